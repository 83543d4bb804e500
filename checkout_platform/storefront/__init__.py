"""The storefront client: the Elastic Path /v2 requests a storefront and its admin make, written once.

`client.Storefront` over any transport (`httpx_transports` for httpx, plain or retrying while a
service restarts; the benchmark's aiohttp one in `bench/api.py`); `sample` is the seed's shopper.
The demo, the benchmark and the test suites (e2e, chaos, security) all go through it, and other
teams' end-to-end tests may too: it ships with the platform, beside `checkout_platform.testing`.
"""
