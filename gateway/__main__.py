"""``python -m gateway``: rewrite ``gateway/nginx.compose.conf`` after changing the routes or the template.

``python -m gateway --check`` exits 1 when the committed file is stale (the tests check the same).
"""

from __future__ import annotations

import argparse
import sys

from gateway.config import COMPOSE_CONF, compose_config, render


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) the compose gateway config."""
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check the committed file is current")
    args = parser.parse_args(argv)
    wanted = render(compose_config())
    current = COMPOSE_CONF.read_text() if COMPOSE_CONF.exists() else ""
    if args.check:
        if current != wanted:
            print(f"{COMPOSE_CONF} is stale; run: python -m gateway", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        COMPOSE_CONF.write_text(wanted)
        print(f"wrote {COMPOSE_CONF}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
