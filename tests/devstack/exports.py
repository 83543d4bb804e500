"""The variables `make start` exports for a developer's shell, which a test starting a stack of its
own must not inherit: they would point it at the session's servers."""

from __future__ import annotations

from shared.messaging.kafka_security import PASSWORD_ENV, PROTOCOL_ENV, USERNAME_ENV

KAFKA_CREDENTIALS = (PROTOCOL_ENV, USERNAME_ENV, PASSWORD_ENV)
"""`make start` exports the admin's Kafka credentials with the servers' endpoints."""
SERVER_ENDPOINTS = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "DATABASE_URL",
    "STRIPE_API_BASE",
    "STRIPE_API_KEY",
    *KAFKA_CREDENTIALS,
)
"""What the servers alone export (`DEVSTACK_SERVERS_ONLY`)."""
ENDPOINTS = (*SERVER_ENDPOINTS, "TOPIC_PREFIX")
"""The servers' endpoints and the services' topic prefix: what a whole stack of a test's own clears."""
