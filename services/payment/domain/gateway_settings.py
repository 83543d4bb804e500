"""A payment gateway's configuration, as Elastic Path's `/v2/gateways/{slug}` sets it: enabled or not,
and its secret key (`login`, Stripe's), which is written and used but never read back.

One stream per gateway (`gateway-<slug>`). The environment seeds it once, when no instance has yet;
from then on only an admin changes it, so every instance of the service answers the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.payment.domain.errors import GatewayLoginRequired
from services.payment.domain.events import PAYMENT_EVENTS, GatewaySeeded, GatewayUpdated
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate

MANUAL = "manual"
STRIPE_PAYMENT_INTENTS = "stripe_payment_intents"
GATEWAY_NAMES = {MANUAL: "Manual", STRIPE_PAYMENT_INTENTS: "Stripe Payment Intents"}
"""The gateways this service implements, by slug, with the names Elastic Path gives them."""
NEEDS_LOGIN = frozenset({STRIPE_PAYMENT_INTENTS})
"""Gateways that cannot take a payment without a secret key."""


class GatewaySettings(Aggregate):
    stream_type = "gateway"
    registry: ClassVar[EventRegistry] = PAYMENT_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.enabled = False
        self.login = ""

    @property
    def slug(self) -> str:
        return self.id

    @property
    def name(self) -> str:
        return GATEWAY_NAMES[self.id]

    def seed(self, enabled: bool, login: str, at: datetime) -> bool:
        """The environment's configuration, unless the gateway has one already (then nothing)."""
        if self.exists:
            return False
        self._record(GatewaySeeded(enabled=enabled and self._usable(login), login=login, at=at))
        return True

    def update(self, enabled: bool | None, login: str | None, at: datetime) -> None:
        """What was given changes; a key not given is kept. Enabling needs a key where one is used."""
        enabled = self.enabled if enabled is None else enabled
        login = self.login if login is None else login
        if enabled and not self._usable(login):
            raise GatewayLoginRequired(self.id)
        self._record(GatewayUpdated(enabled=enabled, login=login, at=at))

    def _usable(self, login: str) -> bool:
        return bool(login) or self.id not in NEEDS_LOGIN

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case GatewaySeeded() | GatewayUpdated():
                self.enabled = event.enabled
                self.login = event.login
