"""The compiled Kafka codecs write and read exactly what aiokafka's generic `Schema` code does, for
every fetch and produce request and response class they are installed on."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from aiokafka.protocol import types
from aiokafka.protocol.api import RequestStruct, Response
from aiokafka.protocol.fetch import FetchResponse_v11

from shared.messaging.kafka_codecs import compile_decoder, compile_encoder, hot_classes, install_kafka_codecs

_RANGES = {types.Int8: 8, types.Int16: 16, types.Int32: 32, types.Int64: 64}
REQUESTS, RESPONSES = hot_classes()
ROUNDS = 60


def random_value(field: object, rng: random.Random) -> Any:
    """A value of `field`'s type, with the edges aiokafka gives meaning to: None (-1 lengths), empty."""
    if field in _RANGES:
        bits = _RANGES[field]  # type: ignore[index]
        return rng.choice([-1, 0, 1, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1, rng.randrange(-100, 100)])
    if field is types.UInt32:
        return rng.choice([0, 1, 2**32 - 1])
    if field is types.Float64:
        return rng.choice([0.0, -1.5, 1e300])
    if field is types.Boolean:
        return rng.choice([True, False])
    if isinstance(field, types.String):
        return rng.choice([None, "", "checkout.CartCheckedOut", "ünïcode-topic"])
    if field is types.Bytes:
        return rng.choice([None, b"", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))])
    if isinstance(field, types.Array):
        if rng.random() < 0.15:
            return None
        return [random_value(field.array_of, rng) for _ in range(rng.randrange(0, 4))]
    if isinstance(field, types.Schema):
        return tuple(random_value(f, rng) for f in field.fields)
    raise AssertionError(f"no generator for {field!r}")


def random_values(schema: types.Schema, rng: random.Random) -> list[Any]:
    return [random_value(field, rng) for field in schema.fields]


def test_every_fetch_and_produce_class_is_compiled() -> None:
    names = {cls.__name__ for cls in install_kafka_codecs()}
    assert {"FetchRequest_v11", "FetchResponse_v11", "ProduceRequest_v8", "ProduceResponse_v8"} <= names
    assert names == {cls.__name__ for cls in REQUESTS + RESPONSES}


@pytest.mark.parametrize("cls", REQUESTS + RESPONSES, ids=lambda cls: cls.__name__)
def test_compiled_codecs_agree_with_aiokafka(cls: type[RequestStruct] | type[Response]) -> None:
    rng = random.Random(cls.__name__)
    encode, decode = compile_encoder(cls.SCHEMA), compile_decoder(cls.SCHEMA)
    for _ in range(ROUNDS):
        values = random_values(cls.SCHEMA, rng)
        expected = cls.SCHEMA.encode(values)
        assert encode(values) == expected
        prefix = b"header"
        decoded, end = decode(prefix + expected + b"next", len(prefix))
        assert decoded == cls.SCHEMA.decode(io.BytesIO(expected))
        assert end == len(prefix) + len(expected)


@pytest.mark.parametrize("cls", RESPONSES, ids=lambda cls: cls.__name__)
def test_an_installed_decoder_reads_from_where_the_header_ended(cls: type[Response]) -> None:
    """aiokafka hands `decode` its frame as a BytesIO positioned after the response header."""
    install_kafka_codecs()
    rng = random.Random(f"installed {cls.__name__}")
    values = random_values(cls.SCHEMA, rng)
    raw = cls.SCHEMA.encode(values)
    frame = io.BytesIO(b"\x00\x00\x00\x07" + raw)
    frame.seek(4)
    response = cls.decode(frame)
    assert isinstance(response, cls)
    assert frame.tell() == 4 + len(raw)
    assert tuple(response.__dict__[name] for name in cls.SCHEMA.names) == cls.SCHEMA.decode(io.BytesIO(raw))


@pytest.mark.parametrize("cls", REQUESTS, ids=lambda cls: cls.__name__)
def test_an_installed_encoder_writes_the_request_aiokafka_would(cls: type[RequestStruct]) -> None:
    install_kafka_codecs()
    rng = random.Random(f"installed {cls.__name__}")
    values = random_values(cls.SCHEMA, rng)
    assert cls(*values).encode() == cls.SCHEMA.encode(values)


def test_a_truncated_response_is_a_value_error_as_with_aiokafka() -> None:
    partition = (0, 0, 5, 5, 0, None, -1, b"record batch bytes")
    raw = FetchResponse_v11.SCHEMA.encode([0, 0, 0, [("orders", [partition])]])
    decode = compile_decoder(FetchResponse_v11.SCHEMA)
    for cut in (3, 12, len(raw) - 5):
        with pytest.raises(ValueError):
            FetchResponse_v11.SCHEMA.decode(io.BytesIO(raw[:cut]))
        with pytest.raises(ValueError):
            decode(raw[:cut], 0)


def test_a_value_out_of_range_is_a_value_error_as_with_aiokafka() -> None:
    schema = types.Schema(("partition", types.Int32), ("topic", types.String("utf-8")))
    with pytest.raises(ValueError):
        schema.encode([2**31, "orders"])
    with pytest.raises(ValueError):
        compile_encoder(schema)([2**31, "orders"])
