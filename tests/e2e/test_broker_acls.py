"""The broker knows who may say what (issue 15): SASL/SCRAM principals and the platform's ACLs, on the
real (secured) Kafka, with inventory running as its own principal. The integrator may publish a
warehouse's stock adjustment, which inventory applies, but not `PaymentCaptured` or `OrderShipped`;
a service may publish its own topics and not another's; a wrong password gets no connection at all."""

from __future__ import annotations

from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, SaslAuthenticationFailed, TopicAuthorizationFailedError

from checkout_platform.contracts import WarehouseStockAdjusted, envelope_for
from checkout_platform.contracts.example_producer import publish
from devstack.kafka import ADMIN_CREDENTIALS
from devstack.kafka_acls import apply_platform_acls
from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderShipped, PaymentCaptured
from shared.contracts.values import Money
from shared.messaging.kafka_security import INTEGRATOR, KafkaCredentials, secured_by_default
from tests.e2e.conftest import Spawner, admin_and_shopper
from tests.support.polling import poll_until

pytestmark = pytest.mark.skipif(
    not secured_by_default(), reason="KAFKA_SECURITY_PROTOCOL=PLAINTEXT: the broker knows nobody"
)


def principal(name: str, password: str | None = None) -> KafkaCredentials:
    """A principal with its development password (or `password`)."""
    known = KafkaCredentials.development(name, "SASL_PLAINTEXT")
    return known if password is None else KafkaCredentials(known.protocol, name, password)


@pytest.fixture(scope="module")
async def acls(kafka_bootstrap_servers: str, topic_prefix: str) -> int:
    """The platform's ACLs for this module's topic prefix, as a devstack `start_apps` applies them."""
    return await apply_platform_acls(kafka_bootstrap_servers, topic_prefix, ADMIN_CREDENTIALS)


@pytest.fixture(scope="module")
async def inventory_as_itself(acls, spawner: Spawner):
    """Inventory authenticated as the `inventory` principal: only what its ACLs allow works."""
    service = await spawner.start("inventory", **principal("inventory").environment())
    yield service
    service.stop()


@pytest.fixture(scope="module")
async def stock_admin(inventory_as_itself):
    async with admin_and_shopper(inventory_as_itself) as (admin, _):
        yield admin


async def produce(servers: str, credentials: KafkaCredentials, topic: str, envelope: Envelope) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=servers,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=15_000,
        **credentials.client_options(),
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, envelope.to_json(), key=envelope.aggregate_id.encode())
    finally:
        await producer.stop()


def captured(order_id: str, producer: str) -> Envelope:
    event = PaymentCaptured(
        order_id=order_id,
        transaction_id=str(uuid4()),
        gateway="manual",
        amount=Money(amount=100, currency="USD"),
    )
    return Envelope.of(event, aggregate_id=order_id, producer=producer, correlation_id=order_id)


async def test_the_integrator_may_not_publish_a_capture_or_a_shipment(
    acls, kafka_bootstrap_servers, topic_prefix
):
    order_id = str(uuid4())
    shipped = Envelope.of(
        OrderShipped(order_id=order_id), aggregate_id=order_id, producer=INTEGRATOR, correlation_id=order_id
    )
    for topic, envelope in (("PaymentCaptured", captured(order_id, INTEGRATOR)), ("OrderShipped", shipped)):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(kafka_bootstrap_servers, principal(INTEGRATOR), f"{topic_prefix}{topic}", envelope)


async def test_a_service_may_publish_its_own_topic_and_not_another_services(
    acls, kafka_bootstrap_servers, topic_prefix
):
    order_id = str(uuid4())
    topic = f"{topic_prefix}PaymentCaptured"
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(kafka_bootstrap_servers, principal("cart"), topic, captured(order_id, "cart"))
    # the owner may: the refusal above is about who publishes, not a topic that cannot be written
    await produce(kafka_bootstrap_servers, principal("payment"), topic, captured(order_id, "payment"))


async def test_a_wrong_password_gets_no_connection(kafka_bootstrap_servers):
    host, port = kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)
    for credentials in (principal(INTEGRATOR, "not-the-password"), principal("nobody")):
        with pytest.raises(SaslAuthenticationFailed):
            connection = await create_conn(host, int(port), **credentials.client_options())
            connection.close()
    anonymous = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers, request_timeout_ms=5_000)
    with pytest.raises(KafkaError):  # a client without SASL never gets metadata
        await anonymous.start()
    await anonymous.stop()


async def test_the_integrator_publishes_a_stock_adjustment_that_inventory_running_as_itself_applies(
    stock_admin, kafka_bootstrap_servers, topic_prefix
):
    product = str(uuid4())
    created = await stock_admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": 10}})
    assert created.status_code == 201, created.text
    received = envelope_for(
        WarehouseStockAdjusted(product_id=product, kind="received", quantity=5, reference="GRN-7"),
        producer="wms",
    )
    await publish(
        kafka_bootstrap_servers, received, topic_prefix=topic_prefix, credentials=principal(INTEGRATOR)
    )

    async def total() -> int:
        return int((await stock_admin.get(f"/v2/inventories/{product}")).json()["data"]["total"])

    assert await poll_until(total, lambda seen: seen == 15) == 15
