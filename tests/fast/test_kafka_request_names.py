"""The API a counted Kafka request is filed under (`kafka_requests_total{api}`), and the counter is
installed once however many clients a service builds."""

from __future__ import annotations

from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.commit import OffsetCommitRequest_v2
from aiokafka.protocol.fetch import FetchRequest, FetchRequest_v11
from aiokafka.protocol.produce import ProduceRequest_v8

from shared.messaging.kafka_requests import api_name, install_kafka_request_counter


def test_a_request_is_filed_under_its_api_whatever_its_version() -> None:
    assert api_name(FetchRequest_v11.__new__(FetchRequest_v11)) == "Fetch"
    assert api_name(FetchRequest.__new__(FetchRequest)) == "Fetch"
    assert api_name(ProduceRequest_v8.__new__(ProduceRequest_v8)) == "Produce"
    assert api_name(OffsetCommitRequest_v2.__new__(OffsetCommitRequest_v2)) == "OffsetCommit"


def test_installing_twice_counts_each_request_once() -> None:
    install_kafka_request_counter()
    once = AIOKafkaClient.send
    install_kafka_request_counter()
    assert AIOKafkaClient.send is once
    assert getattr(once, "counts_requests", False)
