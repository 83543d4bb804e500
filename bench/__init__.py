"""The benchmark: the seed's whole checkout workflow driven through the gateway at rising concurrency.

`make bench` runs :mod:`bench.__main__`; `make bench-replay` runs :mod:`bench.replay`.
"""
