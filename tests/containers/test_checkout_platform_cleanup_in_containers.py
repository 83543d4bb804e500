"""`CheckoutPlatform` removes every container it started when the code inside it fails, and the
platform it started answered before that (a positive marker that there was something to remove)."""

from __future__ import annotations

from collections.abc import Iterator

import docker  # type: ignore[import-untyped]
import httpx
import pytest

from checkout_platform.testing import CheckoutPlatform
from checkout_platform.testing.engine import Engine, find_engine
from checkout_platform.testing.platform import LABEL


@pytest.fixture
def engine() -> Iterator[Engine]:
    """An engine kept running across the platform's exit, so what it left can be listed."""
    found = find_engine()
    try:
        yield found
    finally:
        found.stop_if_started_here()


class FailureInside(Exception):
    """What the code inside the platform raised."""


def test_every_container_is_removed_when_the_test_inside_fails(engine: Engine) -> None:
    client = docker.from_env(environment={"DOCKER_HOST": engine.docker_host} if engine.docker_host else None)
    seen: dict[str, object] = {}
    with pytest.raises(FailureInside), CheckoutPlatform() as platform:
        session = platform.session
        seen["running"] = len(client.containers.list(filters={"label": f"{LABEL}={session}"}))
        token = {"grant_type": "implicit", "client_id": platform.client_id}
        seen["gateway"] = httpx.post(f"{platform.url}/oauth/access_token", data=token).status_code
        raise FailureInside
    # PostgreSQL, Kafka, localstripe, five services and the gateway were up, and a token came through it.
    assert seen == {"running": 9, "gateway": 200}
    left = client.containers.list(all=True, filters={"label": f"{LABEL}={session}"})
    assert left == [], [c.name for c in left]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{platform.url}/v2/products")
