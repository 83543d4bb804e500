"""The PostgreSQL that `make start`, `make run` and the benchmark (`--throwaway`) start commits
durably: `fsync`, `synchronous_commit` and `full_page_writes` on, so an acknowledged checkout survives
a crash. Only the test suites ask for the fast, losable settings, and must say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.cli import StartOptions, _open_stack
from devstack.data_dir import DATA_DIR_ENV

DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


@pytest.mark.parametrize(
    "options", [StartOptions(), StartOptions(throwaway=True)], ids=["kept data", "throwaway (bench)"]
)
def test_the_stack_make_start_opens_runs_postgres_durably(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: StartOptions
) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)  # the data folder inside tmp_path
    stack = _open_stack(tmp_path, options)
    server = stack._new_postgres()  # built, not started
    assert {name: server.settings[name] for name in DURABLE} == DURABLE
