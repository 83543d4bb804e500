"""What the order knows of one payment transaction, merged with set semantics.

Every merge is commutative, associative and idempotent (amounts take the maximum, flags are
or-ed), so the facts of a transaction can arrive in any order, any number of times, and end in
the same value: a fact is new exactly when merging it changes that value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class TransactionFacts:
    authorized: int | None = None
    captured: int | None = None
    refunded_total: int = 0
    fully_refunded: bool = False
    cancelled: bool = False
    failed: bool = False

    def with_authorization(self, amount: int) -> TransactionFacts:
        return replace(self, authorized=_max(self.authorized, amount))

    def with_capture(self, amount: int) -> TransactionFacts:
        return replace(self, captured=_max(self.captured, amount))

    def with_refund(self, refunded_total: int, fully_refunded: bool) -> TransactionFacts:
        return replace(
            self,
            refunded_total=max(self.refunded_total, refunded_total),
            fully_refunded=self.fully_refunded or fully_refunded,
        )

    def with_cancellation(self) -> TransactionFacts:
        return replace(self, cancelled=True)

    def with_failure(self) -> TransactionFacts:
        return replace(self, failed=True)

    @property
    def paid(self) -> int:
        """Captured money counts whatever else is known: it moved."""
        return self.captured or 0

    @property
    def has_capture(self) -> bool:
        """A capture (or purchase) completed, even one of 0: a free order's payment."""
        return self.captured is not None

    @property
    def has_hold(self) -> bool:
        """A completed authorisation not captured, voided or failed yet, even one of 0."""
        return self.authorized is not None and not (self.has_capture or self.cancelled or self.failed)

    @property
    def holding(self) -> int:
        """The money an authorisation still reserves (see `has_hold`)."""
        return (self.authorized or 0) if self.has_hold else 0

    @property
    def refunded(self) -> int:
        """Refunds count once the capture they return is known, up to what was captured."""
        if self.captured is None:
            return 0
        return self.captured if self.fully_refunded else min(self.refunded_total, self.captured)


def _max(current: int | None, new: int) -> int:
    return new if current is None else max(current, new)
