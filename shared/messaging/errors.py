"""Exceptions handlers raise to steer the consumer."""

from __future__ import annotations


class NotReady(Exception):
    """What this message depends on has not arrived yet: park it and try again later.

    For example a `PaymentCaptured` seen before its `OrderCreated`. The handler's transaction is
    rolled back; the message is kept in `parked_messages` and re-run after the next message with
    the same key is applied, and by a periodic sweep.
    """


class PoisonMessage(Exception):
    """The message can never be applied (bad payload, broken rule): send it to the dead-letter topic."""


class UntrustedMessage(PoisonMessage):
    """The envelope claims more than its topic allows: a producer that does not own the topic, or
    an event type other than the one the topic is named after. Dead-lettered, never applied."""
