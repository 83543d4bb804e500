"""Standard promotions (Elastic Path "Promotions Standard"): cart-level fixed or percent discounts,
applied by code, limited by dates, an enabled flag, a minimum cart value, uses per code, and the
customer a code may be for (`user`).

A code's use is consumed when a cart using it is checked out, in the same transaction as the
checkout, so a code with one use left can win exactly one race. Its limits on use (uses left, its
customer) are checked again then, against the customer checking out: a checkout they refuse fails
(422, as applying the code does) and writes nothing. A promotion that has expired or was disabled
since is dropped from the checkout instead, as Elastic Path documents for expired promotions.

An automatic promotion (`automatic: true`) needs no code: every cart in a currency it discounts
prices with it while it is enabled and running and the cart reaches its minimum value, and the
checkout prices it again. It has no uses to consume.

Every checkout with a code adds an event to its promotion's stream, and every cart holding the code
loads the promotion to price itself, so a promotion snapshots its state every `snapshot_every`
events (shared/domain/snapshots.py) and loads in bounded time however often it was used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import uuid4

from services.cart.domain.errors import PromotionNotApplicable, PromotionNotFound
from services.cart.domain.events import (
    CART_EVENTS,
    PromotionCodeDeleted,
    PromotionCodesAdded,
    PromotionCodeUsed,
    PromotionDefined,
    PromotionDeleted,
)
from services.cart.domain.pricing import PromotionTerms
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.snapshots import SnapshottingAggregate, moment_from_text, moment_text

SUPPORTED_TYPES = ("fixed_discount", "percent_discount")
MAX_CODES = 1000


@dataclass
class PromotionCode:
    id: str
    code: str
    uses: int | None  # None: unlimited
    user: str | None
    used: int = 0

    @property
    def exhausted(self) -> bool:
        return self.uses is not None and self.used >= self.uses


class Promotion(SnapshottingAggregate):
    stream_type = "promotion"
    registry: ClassVar[EventRegistry] = CART_EVENTS
    # A snapshot holds up to MAX_CODES codes, so it is taken less often than a stock's.
    # Bump `snapshot_version` whenever `snapshot_state` changes.
    snapshot_every: ClassVar[int] = 100
    snapshot_version: ClassVar[int] = 1

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.definition: PromotionDefined | None = None
        self.codes: dict[str, PromotionCode] = {}  # by code (case-insensitive key)
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None
        self.deleted = False

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "definition": None if self.definition is None else self.definition.model_dump(mode="json"),
            "codes": [asdict(code) for code in self.codes.values()],
            "created_at": moment_text(self.created_at),
            "updated_at": moment_text(self.updated_at),
            "deleted": self.deleted,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        definition = state["definition"]
        self.definition = None if definition is None else PromotionDefined.model_validate(definition)
        self.codes = {str(code["code"]).lower(): PromotionCode(**code) for code in state["codes"]}
        self.created_at, self.updated_at = (
            moment_from_text(state["created_at"]),
            moment_from_text(state["updated_at"]),
        )
        self.deleted = state["deleted"]

    @property
    def live(self) -> bool:
        return self.definition is not None and not self.deleted

    # -- admin ----------------------------------------------------------------------------

    def define(self, definition: PromotionDefined) -> None:
        if definition.promotion_type not in SUPPORTED_TYPES:
            raise PromotionNotApplicable(
                f"promotion_type must be one of {', '.join(SUPPORTED_TYPES)}",
                status=400,
                title="Validation Error",
                source="data.promotion_type",
            )
        if definition.end <= definition.start:
            raise PromotionNotApplicable(
                "end must be after start", status=400, title="Validation Error", source="data.end"
            )
        self._record(definition)

    def add_codes(self, codes: list[dict[str, Any]], now: datetime) -> list[PromotionCode]:
        fresh = [c for c in codes if str(c["code"]).lower() not in self.codes]
        if len(self.codes) + len(fresh) > MAX_CODES:
            raise PromotionNotApplicable(
                f"A promotion can have at most {MAX_CODES} codes", status=422, title="Too many codes"
            )
        entries: list[dict[str, Any]] = [
            {"id": str(uuid4()), "code": str(c["code"]), "uses": c.get("uses"), "user": c.get("user")}
            for c in fresh
        ]
        if entries:
            self._record(PromotionCodesAdded(codes=entries, at=now))
        return [self.codes[str(e["code"]).lower()] for e in entries]

    def delete_code(self, code_id: str, now: datetime) -> None:
        if not any(c.id == code_id for c in self.codes.values()):
            raise PromotionNotFound()
        self._record(PromotionCodeDeleted(code_id=code_id, at=now))

    def delete(self, now: datetime) -> None:
        self._record(PromotionDeleted(at=now))

    # -- shopping -------------------------------------------------------------------------

    def check_applicable(self, code: str, now: datetime, customer_id: str | None = None) -> None:
        """Raise unless `code` can be applied to a cart right now."""
        entry = self.codes.get(code.lower())
        if self.definition is None or self.deleted or entry is None:
            raise PromotionNotFound()
        d = self.definition
        if not d.enabled:
            raise PromotionNotApplicable("This promotion is not enabled", meta={"code": code})
        if now < d.start:
            raise PromotionNotApplicable("This promotion has not started yet", meta={"code": code})
        if now >= d.end:
            raise PromotionNotApplicable("This promotion has expired", meta={"code": code})
        if entry.exhausted:
            raise PromotionNotApplicable("This promotion code has no uses left", meta={"code": code})
        if entry.user is not None and entry.user != customer_id:
            raise PromotionNotApplicable("This promotion code is for another customer", meta={"code": code})

    def use_code(self, code: str, order_id: str, now: datetime, customer_id: str | None) -> None:
        """Consume one use at checkout by `customer_id` (None: a guest). Raises, as applying does,
        when the code cannot be used now or not by them: a customer's code was applied with their
        token, but anyone holding the cart's reference may check it out, as a guest or as themselves."""
        self.check_applicable(code, now, customer_id)
        self._record(PromotionCodeUsed(code=code, order_id=order_id, at=now))

    @property
    def automatic(self) -> bool:
        """Applies to every eligible cart without a code (Elastic Path's `automatic: true`)."""
        return self.live and self.definition is not None and self.definition.automatic

    def automatic_terms(self, currency: str) -> PromotionTerms:
        """This automatic promotion's effect on a cart in `currency`, under its id (it has no code)."""
        return replace(self.terms(self.id, currency), automatic=True)

    def terms(self, code: str, currency: str) -> PromotionTerms:
        """This promotion's effect on a cart in `currency` (no discount if it has none there)."""
        assert self.definition is not None
        d = self.definition
        amount, percent = 0, Decimal(0)
        for entry in d.promotion_schema.get("currencies", []):
            if str(entry.get("currency", "")).upper() == currency:
                amount = int(entry.get("amount", 0) or 0)
                percent = Decimal(str(entry.get("percentage", 0) or 0))
        minimum = next(
            (int(m["amount"]) for m in d.min_cart_value if str(m.get("currency", "")).upper() == currency), 0
        )
        cap = next(
            (
                int(m["amount"])
                for m in d.max_discount_value
                if str(m.get("currency", "")).upper() == currency
            ),
            None,
        )
        return PromotionTerms(
            promotion_id=self.id,
            code=code,
            name=d.name,
            promotion_type=d.promotion_type,
            amount=amount,
            percent=percent,
            min_cart_value=minimum,
            max_discount=cap,
            enabled=d.enabled and not self.deleted,
            start=d.start,
            end=d.end,
        )

    # -- state ----------------------------------------------------------------------------

    def apply(self, event: VersionedEvent) -> None:
        at = getattr(event, "at", None)
        match event:
            case PromotionDefined():
                self.definition = event
                self.created_at = self.created_at or at
            case PromotionCodesAdded(codes=codes):
                for c in codes:
                    self.codes[str(c["code"]).lower()] = PromotionCode(
                        id=c["id"], code=c["code"], uses=c.get("uses"), user=c.get("user")
                    )
            case PromotionCodeDeleted(code_id=code_id):
                self.codes = {k: v for k, v in self.codes.items() if v.id != code_id}
            case PromotionCodeUsed(code=code):
                entry = self.codes.get(code.lower())
                if entry is not None:
                    entry.used += 1
            case PromotionDeleted():
                self.deleted = True
        self.updated_at = at or self.updated_at
