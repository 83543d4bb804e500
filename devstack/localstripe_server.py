"""Run localstripe on loopback only: ``python -m devstack.localstripe_server --port N [--store FILE]``.

localstripe's own CLI binds every interface and pickles its state to a fixed ``/tmp`` path after
each request, which leaks between test runs and collides when two run at once. Here the server binds
``127.0.0.1`` and its store stays in memory, unless ``--store`` names a file (a kept ``make start``
stack's): then the store is loaded from it on start and written back to it (atomically: a new file
renamed over the old) at most every half second while it changes, and once more on a clean stop. A
``kill -9`` loses at most the last half second of changes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import pickle
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

log = logging.getLogger("localstripe")
_SAVE_EVERY = 0.5


class _StoreFile:
    """localstripe's store, persisted to one file; ``dirty`` is set by every change."""

    def __init__(self, path: Path, store: dict[str, Any]) -> None:
        self.path = path
        self.store = store
        self.dirty = False

    def load(self) -> None:
        try:
            with self.path.open("rb") as handle:
                saved = pickle.load(handle)
        except FileNotFoundError:
            return
        self.store.clear()
        self.store.update(saved)
        log.info("loaded %d objects from %s", len(saved), self.path)

    def save(self) -> None:
        self.dirty = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".store-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(dict(self.store), handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def keep_saved(self, app: object) -> AsyncIterator[None]:
        """An aiohttp cleanup context: save while the store changes, and once more at shutdown."""
        del app

        async def loop() -> None:
            while True:
                await asyncio.sleep(_SAVE_EVERY)
                if self.dirty:
                    self.save()

        task = asyncio.ensure_future(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self.dirty:
            self.save()


def main(argv: list[str] | None = None) -> None:
    """Parse ``--port``, ``--host`` and ``--store``, and serve localstripe's app until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--store", type=Path, default=None, help="keep the state in this file")
    args = parser.parse_args(argv)

    from aiohttp import web
    from localstripe import resources

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store_file = None if args.store is None else _StoreFile(args.store, resources.store)

    def changed(self: object) -> None:
        if store_file is not None:
            store_file.dirty = True  # written by the background saver, not on every change

    resources.Store.dump_to_disk = changed  # never localstripe's fixed /tmp file
    from localstripe import server  # imported after the patch; the module builds the app at import

    if store_file is not None:
        store_file.load()
        server.app.cleanup_ctx.append(store_file.keep_saved)
    web.run_app(server.app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
