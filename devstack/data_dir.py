"""The folders of a ``make start``/``make run`` stack: kept data, appended logs, scratch.

- data (``$DEVSTACK_DATA_DIR``, default ``<DEVSTACK_DIR>/data``): PostgreSQL's cluster, Kafka's log,
  localstripe's store, the generated secrets and the servers' last ports. It survives ``make stop``,
  ``make start`` and upgrades of this repository; only ``make clean`` (``python -m devstack clean``)
  or ``start --fresh`` deletes it. A marker file tells a folder devstack made from any other, so a
  mistyped ``DEVSTACK_DATA_DIR`` is never filled, nor deleted.
- logs (``<DEVSTACK_DIR>/logs``): one ``<process>.log`` each, appended across runs and rotated at
  start once over :data:`ROTATE_BYTES` (see :mod:`devstack.logs`).
- scratch (``<DEVSTACK_DIR>/stack``): nginx's configuration and temp files, remade on every start.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from devstack.errors import DevstackError
from devstack.postgres import cluster_roots_elsewhere

DATA_DIR_ENV = "DEVSTACK_DATA_DIR"
MARKER = ".devstack-data"
_MARKER_TEXT = (
    "The data of a devstack stack (python -m devstack): PostgreSQL, Kafka, localstripe, secrets.\n"
    "Kept across make stop / make start; make clean deletes it.\n"
)
WHAT_IS_KEPT = "every database, the Kafka log (topics and consumer offsets), localstripe's store, the secrets"


@dataclass(frozen=True)
class StackFolders:
    """Where one stack keeps its data, its logs and its scratch files."""

    data: Path
    logs: Path
    scratch: Path

    @classmethod
    def of(cls, home: Path) -> StackFolders:
        """The folders of the stack whose state lives in ``home`` (``$DEVSTACK_DIR``)."""
        override = os.environ.get(DATA_DIR_ENV)
        data = Path(override).expanduser().resolve() if override else home / "data"
        return cls(data=data, logs=home / "logs", scratch=home / "stack")


def prepare_data_dir(path: Path) -> Path:
    """Make ``path`` a data folder (or check that it is one); refuse a foreign, non-empty folder."""
    marker = path / MARKER
    if path.exists() and not marker.exists() and any(path.iterdir()):
        raise DevstackError(
            f"{DATA_DIR_ENV} {path} is not empty and holds no {MARKER}: not a devstack data folder; "
            "name an empty or new folder"
        )
    path.mkdir(parents=True, exist_ok=True)
    # Reachable by the unprivileged users our servers run as (postgres, nginx's workers).
    path.chmod(0o755)
    if not marker.exists():
        marker.write_text(_MARKER_TEXT)
    return path


def is_data_dir(path: Path) -> bool:
    """True for a folder devstack made as a data folder."""
    return (path / MARKER).is_file()


def data_targets(folders: StackFolders) -> list[tuple[Path, str]]:
    """The kept data, each folder with what it is: the data folder and a cluster kept outside it."""
    found: list[tuple[Path, str]] = []
    if folders.data.exists():
        if not is_data_dir(folders.data):
            raise DevstackError(
                f"{folders.data} holds no {MARKER}: not a devstack data folder, so it is not deleted "
                f"(check {DATA_DIR_ENV})"
            )
        found.append((folders.data, f"the data: {WHAT_IS_KEPT}"))
        found += [
            (root, "the PostgreSQL cluster of that data, kept here for the postgres user to reach")
            for root in cluster_roots_elsewhere(folders.data / "postgres")
            if root.exists()
        ]
    return found


def deletable(folders: StackFolders) -> list[tuple[Path, str]]:
    """What ``clean`` deletes, each with what it is: the data (:func:`data_targets`), the logs and the
    scratch folder, those that exist."""
    found = data_targets(folders)
    if folders.logs.exists():
        found.append((folders.logs, "the logs of every run"))
    if folders.scratch.exists():
        found.append((folders.scratch, "scratch files (nginx's configuration and temp files)"))
    return found


def remove(path: Path) -> None:
    """Delete a folder (``clean``)."""
    shutil.rmtree(path)


def size_of(path: Path) -> int:
    """Bytes in the files under ``path``."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                pass
    return total
