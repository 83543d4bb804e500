"""A service's broker takes a cluster's comma-separated bootstrap list (found by the chaos suite:
with three brokers FastStream read "h1:p1,h2:p2,h3:p3" as one host name and no service started)."""

from __future__ import annotations

from devstack.ports import free_port
from shared.messaging.kafka import bootstrap_list, service_broker


def test_the_list_is_split_and_trimmed() -> None:
    assert bootstrap_list("127.0.0.1:1, 127.0.0.1:2,") == ["127.0.0.1:1", "127.0.0.1:2"]


async def test_a_broker_connects_through_a_list_whose_first_server_is_down(
    kafka_bootstrap_servers: str,
) -> None:
    dead = f"127.0.0.1:{free_port()}"
    broker = service_broker(f"{dead},{kafka_bootstrap_servers}", client_id="bootstrap-list-test")
    try:
        await broker.start()
        assert await broker.ping(timeout=10)
    finally:
        await broker.stop()
