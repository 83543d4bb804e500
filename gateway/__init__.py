"""The gateway: nginx as the single public entry point, routing Elastic Path's /v2 paths to the services.

:mod:`gateway.config` renders ``nginx.conf`` from the routing table, for ``make run`` (loopback ports,
files in the work dir) and for ``docker compose`` (service hostnames; ``nginx.compose.conf``).
Nothing here starts processes: :mod:`devstack.apps` runs nginx with the rendered file.
"""
