"""Kafka cluster ids never look like a command-line flag.

One urlsafe-base64 UUID in 64 begins with ``-``; ``kafka-storage format --cluster-id -xyz…`` then
reads the id as an option and the broker never formats (a containers CI run failed so). Kafka's own
``Uuid.randomUuid`` draws again in that case; devstack and the containers platform do the same, and
the Kafka image passes the id glued to its flag, which no value can break.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import devstack.kafka
from checkout_platform.testing.platform import CheckoutPlatform
from devstack.kafka import new_cluster_id

REPO = Path(__file__).resolve().parents[3]
LOOKS_LIKE_A_FLAG = uuid.UUID("f925e61f-8c0a-443c-99b1-cdc402d7e5bc")
PLAIN = uuid.UUID("12345678-1234-4234-8234-123456789abc")


@pytest.fixture
def unlucky_first_draw(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it to make the next ``uuid4()`` the one that looks like a flag, then a plain one."""

    def install() -> None:
        draws = iter([LOOKS_LIKE_A_FLAG, PLAIN])
        monkeypatch.setattr(devstack.kafka.uuid, "uuid4", lambda: next(draws))

    return install


def test_the_unlucky_uuid_really_begins_with_a_dash() -> None:
    assert base64.urlsafe_b64encode(LOOKS_LIKE_A_FLAG.bytes).decode().startswith("-")


def test_a_new_cluster_id_draws_again_rather_than_begin_with_a_dash(
    unlucky_first_draw: Callable[[], None],
) -> None:
    unlucky_first_draw()
    cluster = new_cluster_id()
    assert cluster == base64.urlsafe_b64encode(PLAIN.bytes).decode().rstrip("=")
    assert len(cluster) == 22


def test_the_containers_platform_gives_kafka_such_an_id(unlucky_first_draw: Callable[[], None]) -> None:
    platform = CheckoutPlatform()
    unlucky_first_draw()
    environment = platform._environment("kafka")
    assert environment["CLUSTER_ID"] == base64.urlsafe_b64encode(PLAIN.bytes).decode().rstrip("=")


def test_the_kafka_image_passes_the_id_glued_to_its_flag() -> None:
    entrypoint = (REPO / "containers" / "kafka" / "entrypoint.sh").read_text()
    assert re.search(r'"--cluster-id=\$\{CLUSTER_ID', entrypoint)
    assert not re.search(r"--cluster-id\s", entrypoint)
