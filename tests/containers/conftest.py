"""The suites that need a Docker engine (``test_*_in_containers.py``) run only when asked:
`make test-containers` sets CHECKOUT_CONTAINER_TESTS=1. They build images, which `make test` must not;
the static checks of the container files here run everywhere."""

from __future__ import annotations

import os

collect_ignore_glob = [] if os.environ.get("CHECKOUT_CONTAINER_TESTS") == "1" else ["test_*_in_containers.py"]
