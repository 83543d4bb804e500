"""The platform-wide AsyncAPI document: every topic, who produces it, who consumes it, which are inbound.

Per-service documents (`shared.messaging.asyncapi`) say what one service reads and writes; an
integrator needs the whole bus at once, and to know which topics it may publish into. This one is
built from the same sources as the event catalogue (`checkout_admin.catalogue.wiring`: the
services' runtimes, built and never started) and the contracts, so it cannot drift from the code
(`checkout-admin schemas --check`). Each message's payload is the JSON Schema of its envelope;
the inbound envelopes are also written whole, one self-contained JSON Schema file each, for
validators that do not read AsyncAPI.
"""

from __future__ import annotations

from typing import Any

from checkout_admin.catalogue import PUBLIC_MODULES, key_of, wiring
from shared.contracts.inbound import INBOUND
from shared.contracts.integration_event import CONTRACTS
from shared.contracts.ownership import INTEGRATOR
from shared.messaging.asyncapi import DEAD_LETTER_DESCRIPTION, DOCUMENTED_SERVER, HEADERS, envelope_model
from shared.messaging.dead_letters import dead_letter_topic

SCHEMAS = "#/components/schemas/"


def public_event_types() -> list[str]:
    """The catalogue's event types (not those registered by tests or plugins)."""
    return [t for t in CONTRACTS.event_types() if CONTRACTS.class_for(t).__module__ in PUBLIC_MODULES]


def inbound_schema(event_type: str) -> dict[str, Any]:
    """A self-contained JSON Schema (draft 2020-12) of one event type's envelope."""
    schema = envelope_model(event_type).model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _channel(event_type: str, producers: list[str], consumers: list[str]) -> dict[str, Any]:
    cls = CONTRACTS.class_for(event_type)
    inbound = event_type in INBOUND
    return {
        "address": event_type,
        "title": event_type,
        "description": (cls.__doc__ or "").strip(),
        "messages": {event_type: {"$ref": f"#/components/messages/{event_type}"}},
        "x-inbound": inbound,
        "x-key": key_of(event_type),
        "x-producers": producers,
        "x-consumers": consumers,
    }


def _operation(action: str, event_type: str, who: str, description: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{event_type}"},
        "messages": [{"$ref": f"#/channels/{event_type}/messages/{event_type}"}],
        "summary": f"{who} {'publishes' if action == 'send' else 'consumes'} {event_type}",
        "description": description,
    }


def platform_document(version: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the whole platform as plain JSON data."""
    producers, consumers = wiring()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for event_type in public_event_types():
        made_by = sorted(producers.get(event_type, set()))
        if event_type in INBOUND:
            made_by.append(INTEGRATOR)
        read_by = sorted(consumers.get(event_type, set()))
        channels[event_type] = _channel(event_type, made_by, read_by)
        for who in made_by:
            how = (
                "Published by another backend system, in the envelope, keyed as `x-key` says."
                if who == INTEGRATOR
                else f"Relayed from the {who} service's transactional outbox after its transaction commits."
            )
            operations[f"{who}.send.{event_type}"] = _operation("send", event_type, who, how)
        for who in read_by:
            operations[f"{who}.receive.{event_type}"] = _operation(
                "receive",
                event_type,
                who,
                f"Consumer group `{who}`: applied once per event_id, parked when early, "
                "dead-lettered with the reason when it cannot apply.",
            )
        envelope = envelope_model(event_type)
        schema = envelope.model_json_schema(ref_template=SCHEMAS + "{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[envelope.__name__] = schema
        messages[event_type] = {
            "name": event_type,
            "title": event_type,
            "contentType": "application/json",
            "payload": {"$ref": SCHEMAS + envelope.__name__},
            "headers": HEADERS,
        }
    dead_letters = dead_letter_topic()
    channels[dead_letters] = {
        "address": dead_letters,
        "title": dead_letters,
        "description": DEAD_LETTER_DESCRIPTION,
        "messages": {dead_letters: {"$ref": f"#/components/messages/{dead_letters}"}},
        "x-inbound": False,
        "x-producers": sorted({name for names in consumers.values() for name in names}),
        "x-consumers": ["checkout-admin"],
    }
    messages[dead_letters] = {"name": dead_letters, "title": dead_letters, "payload": {"type": "string"}}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Checkout platform events",
            "version": version,
            "description": "Every Kafka topic of the platform: who produces it (`x-producers`; "
            f"`{INTEGRATOR}` is any other backend system) and who consumes it (`x-consumers`, each a "
            "consumer group). Topics with `x-inbound: true` are the ones other systems publish into. "
            "Every message is a JSON envelope keyed as `x-key` says; topic names get TOPIC_PREFIX in "
            "front when it is set. Generated by `checkout-admin schemas`.",
        },
        "defaultContentType": "application/json",
        "servers": {"development": {"host": DOCUMENTED_SERVER, "protocol": "kafka"}},
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": dict(sorted(messages.items())), "schemas": dict(sorted(schemas.items()))},
    }
