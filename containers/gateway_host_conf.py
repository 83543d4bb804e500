"""Print the gateway's nginx.conf for the host network (containers/compose.yml), to stdout.

Why rendered at container start: on the host network every service has its own 127.0.0.1 port, set
in the environment (``<SERVICE>_PORT``); the routes and error pages stay gateway/config.py's.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from gateway.config import ROUTED_SERVICES, local_config, render


def main() -> None:
    """Render the config: listen on 127.0.0.1:GATEWAY_PORT, upstreams on 127.0.0.1:<SERVICE>_PORT."""
    port = int(os.environ.get("GATEWAY_PORT", "8080"))
    upstreams = {service: f"127.0.0.1:{os.environ[f'{service.upper()}_PORT']}" for service in ROUTED_SERVICES}
    config = dataclasses.replace(
        local_config(Path("/tmp/nginx"), host="127.0.0.1", port=port, upstreams=upstreams),
        temp_dir="/tmp/nginx",
        error_log="/dev/stderr",
        access_log="/dev/stdout",
    )
    sys.stdout.write(render(config))


if __name__ == "__main__":
    main()
