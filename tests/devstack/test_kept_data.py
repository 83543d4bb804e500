"""The pieces of a kept stack's data folder (issue 21, point 1): localstripe's store survives a restart,
the generated secrets are made once, a folder devstack did not make is neither used nor deleted, logs
rotate instead of growing without end, and a cluster of another PostgreSQL version says what to do.
The whole stack across `stop`/`start`/`clean` is `test_data_survives_restart.py`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import stripe

from devstack.apps import AppSettings
from devstack.data_dir import StackFolders, data_targets, deletable, prepare_data_dir
from devstack.errors import DevstackError, MissingDependencyError
from devstack.fake_stripe import API_KEY, LocalStripeServer
from devstack.logs import rotate_logs
from devstack.postgres import bindir_for_cluster, ensure_bindir, server_major_version
from devstack.stack_secrets import SECRETS_FILE, load_or_create


async def test_localstripe_keeps_its_store_across_a_restart(tmp_path: Path) -> None:
    store = tmp_path / "data" / "store.pickle"
    first = LocalStripeServer(tmp_path / "one", store_path=store)
    await first.start()
    try:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": first.url}, max_network_retries=0)
        intent = client.v1.payment_intents.create(
            params={"amount": 1999, "currency": "eur", "payment_method": "pm_card_visa"}
        )
    finally:
        first.stop()  # SIGTERM: the last changes are written on the way out
    second = LocalStripeServer(tmp_path / "two", store_path=store)
    await second.start()
    try:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": second.url}, max_network_retries=0)
        kept = client.v1.payment_intents.retrieve(intent.id)
        assert (kept.amount, kept.status) == (1999, "requires_confirmation")
        assert client.v1.payment_intents.confirm(intent.id).status == "succeeded"
    finally:
        second.stop()


def test_secrets_are_made_once_private_and_completed(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    assert load_or_create(tmp_path) == first
    path = tmp_path / SECRETS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.stripe_webhook_secret.startswith("whsec_") and len(first.jwt_secret) >= 32
    # A file from an older version lacking a secret gets it, and keeps the others.
    path.write_text(f'{{"jwt_secret": "{first.jwt_secret}"}}')
    completed = load_or_create(tmp_path)
    assert completed.jwt_secret == first.jwt_secret
    assert completed.order_id_secret and completed.order_id_secret != first.order_id_secret
    assert load_or_create(tmp_path) == completed


def test_the_environment_wins_over_the_kept_secrets_and_they_come_back(tmp_path: Path) -> None:
    kept = load_or_create(tmp_path)
    settings = AppSettings.from_environ({}, kept)
    assert (settings.jwt_secret, settings.order_id_secret, settings.stripe_webhook_secret) == (
        kept.jwt_secret,
        kept.order_id_secret,
        kept.stripe_webhook_secret,
    )
    override = "x" * 40
    assert AppSettings.from_environ({"JWT_SECRET": override}, kept).jwt_secret == override
    assert AppSettings.from_environ({}, load_or_create(tmp_path)).jwt_secret == kept.jwt_secret


def test_a_folder_devstack_did_not_make_is_neither_used_nor_deleted(tmp_path: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(DevstackError, match="not a devstack data folder"):
        prepare_data_dir(foreign)
    folders = StackFolders(data=foreign, logs=tmp_path / "logs", scratch=tmp_path / "stack")
    with pytest.raises(DevstackError, match="not deleted"):
        deletable(folders)
    assert (foreign / "holiday.jpg").exists()

    made = prepare_data_dir(tmp_path / "data")
    (tmp_path / "logs").mkdir()
    folders = StackFolders(data=made, logs=tmp_path / "logs", scratch=tmp_path / "stack")
    assert [path for path, _ in data_targets(folders)] == [made]
    assert [path for path, _ in deletable(folders)] == [made, tmp_path / "logs"]


def test_data_dir_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVSTACK_DATA_DIR", raising=False)
    assert StackFolders.of(tmp_path).data == tmp_path / "data"
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path / "elsewhere"))
    assert StackFolders.of(tmp_path / "home") == StackFolders(
        data=tmp_path / "elsewhere", logs=tmp_path / "home" / "logs", scratch=tmp_path / "home" / "stack"
    )


def test_logs_over_the_limit_rotate_keeping_three(tmp_path: Path) -> None:
    big, small = tmp_path / "cart.log", tmp_path / "order.log"
    small.write_text("short\n")
    for run in range(5):
        big.write_text(f"run {run}\n" + "x" * 100)
        rotated = rotate_logs(tmp_path, max_bytes=50)
        assert rotated == [big]
    assert not big.exists() and small.read_text() == "short\n"
    assert [(tmp_path / f"cart.log.{n}").read_text().split()[1] for n in (1, 2, 3)] == ["4", "3", "2"]
    assert not (tmp_path / "cart.log.4").exists()


def test_a_cluster_of_a_postgres_version_not_installed_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "PG_VERSION").write_text("9.1\n")
    with pytest.raises(MissingDependencyError) as refused:
        bindir_for_cluster(tmp_path)
    message = str(refused.value)
    assert "PostgreSQL 9.1" in message and "postgresql-9.1" in message and "make clean" in message


def test_a_cluster_of_the_installed_version_finds_its_binaries(tmp_path: Path) -> None:
    major = server_major_version(ensure_bindir())
    assert major is not None
    (tmp_path / "PG_VERSION").write_text(f"{major}\n")
    found = bindir_for_cluster(tmp_path)
    assert server_major_version(found) == major and os.access(found / "postgres", os.X_OK)
