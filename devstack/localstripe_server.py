"""Run localstripe on loopback only, with nothing written to disk: ``python -m devstack.localstripe_server``.

localstripe's own CLI binds every interface and pickles its state to a fixed ``/tmp`` path after
each request, which leaks between test runs and collides when two run at once. Here its store stays
in memory and the server binds ``127.0.0.1``.
"""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    """Parse ``--port`` (and ``--host``) and serve localstripe's app until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    from aiohttp import web
    from localstripe import resources

    resources.Store.dump_to_disk = lambda self: None  # keep state in memory only
    from localstripe import server  # imported after the patch; the module builds the app at import

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(server.app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
