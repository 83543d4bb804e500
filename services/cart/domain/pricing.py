"""Cart totals as Elastic Path's `line` calculation method computes them.

- A line's value is unit price x quantity, with or without tax as the price says.
- Cart-level promotions (fixed or percent) apply before tax, in the order given (automatic ones
  first, then the cart's codes), spread over product lines in proportion to their pre-tax value
  (largest remainder, so shares add up exactly); custom items are not discounted.
- Tax is per line: the sum of the line's tax rates on its discounted pre-tax value, rounded half up.
- Totals: without_discount + discount = without_tax; without_tax + tax = with_tax.
All amounts are integers in minor units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from shared.contracts.values import Totals


@dataclass(frozen=True)
class PricedLineInput:
    """What pricing needs of a cart line."""

    item_id: str
    type: str
    quantity: int
    unit_amount: int
    includes_tax: bool
    tax_rates: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class PromotionTerms:
    """A promotion as it applies to one cart: its discount in the cart's currency and its limits."""

    promotion_id: str
    code: str
    name: str
    promotion_type: str  # fixed_discount | percent_discount
    amount: int = 0  # fixed_discount, minor units
    percent: Decimal = Decimal(0)  # percent_discount, e.g. 10 for 10 %
    min_cart_value: int = 0
    max_discount: int | None = None
    enabled: bool = True
    start: datetime | None = None
    end: datetime | None = None
    automatic: bool = False  # applies to every eligible cart without a code; `code` is then its id

    def active_at(self, now: datetime) -> bool:
        return (
            self.enabled
            and (self.start is None or self.start <= now)
            and (self.end is None or now < self.end)
        )


@dataclass(frozen=True)
class LinePrice:
    item_id: str
    unit_without_tax: int
    value_without_discount: int  # pre-tax, pre-discount
    discount: int  # <= 0
    tax: int
    discounts: dict[str, int] = field(default_factory=dict)  # code -> amount (<= 0)

    @property
    def without_tax(self) -> int:
        return self.value_without_discount + self.discount

    @property
    def with_tax(self) -> int:
        return self.without_tax + self.tax


@dataclass(frozen=True)
class CartPrice:
    currency: str
    lines: dict[str, LinePrice]
    applied: dict[str, int]  # code -> total discount (<= 0) of promotions that applied
    automatic: tuple[PromotionTerms, ...] = ()  # the automatic promotions among them, in order

    def totals(self) -> Totals:
        without_discount = sum(line.value_without_discount for line in self.lines.values())
        discount = sum(line.discount for line in self.lines.values())
        tax = sum(line.tax for line in self.lines.values())
        return Totals(
            currency=self.currency,
            without_discount=without_discount,
            discount=discount,
            without_tax=without_discount + discount,
            tax=tax,
            with_tax=without_discount + discount + tax,
        )


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pre_tax_value(line: PricedLineInput) -> int:
    gross = line.unit_amount * line.quantity
    if not line.includes_tax or not line.tax_rates:
        return gross
    return _round(Decimal(gross) / (1 + sum(line.tax_rates)))


def _spread(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` over keys in proportion to weights, exactly (largest remainder)."""
    weight_sum = sum(weights.values())
    if weight_sum <= 0 or total == 0:
        return dict.fromkeys(weights, 0)
    exact = {k: Decimal(total) * w / weight_sum for k, w in weights.items()}
    shares = {k: int(v) for k, v in exact.items()}  # truncates toward zero
    left = total - sum(shares.values())
    step = 1 if left > 0 else -1
    for key in sorted(exact, key=lambda k: abs(exact[k] - shares[k]), reverse=True)[: abs(left)]:
        shares[key] += step
    return shares


def price_cart(
    currency: str, lines: Sequence[PricedLineInput], promotions: Sequence[PromotionTerms], now: datetime
) -> CartPrice:
    """Price a cart: per-line discounts and tax, and which promotions applied."""
    pre_tax = {line.item_id: _pre_tax_value(line) for line in lines}
    discountable = {line.item_id: pre_tax[line.item_id] for line in lines if line.type == "cart_item"}
    subtotal = sum(pre_tax.values())
    discounts: dict[str, dict[str, int]] = {line.item_id: {} for line in lines}
    applied: dict[str, int] = {}
    remaining = sum(discountable.values())
    for promo in promotions:
        if not promo.active_at(now) or subtotal < promo.min_cart_value or remaining <= 0:
            continue
        if promo.promotion_type == "fixed_discount":
            wanted = promo.amount
        elif promo.promotion_type == "percent_discount":
            wanted = _round(Decimal(sum(discountable.values())) * promo.percent / 100)
        else:
            continue
        if promo.max_discount is not None:
            wanted = min(wanted, promo.max_discount)
        amount = min(max(wanted, 0), remaining)
        if amount == 0:
            continue
        left_per_line = {k: v + sum(discounts[k].values()) for k, v in discountable.items()}
        for item_id, share in _spread(-amount, left_per_line).items():
            if share:
                discounts[item_id][promo.code] = share
        applied[promo.code] = -amount
        remaining -= amount

    priced: dict[str, LinePrice] = {}
    for line in lines:
        line_discount = sum(discounts[line.item_id].values())
        taxable = pre_tax[line.item_id] + line_discount
        tax = _round(Decimal(taxable) * sum(line.tax_rates)) if line.tax_rates else 0
        unit = _round(Decimal(pre_tax[line.item_id]) / line.quantity) if line.quantity else 0
        priced[line.item_id] = LinePrice(
            item_id=line.item_id,
            unit_without_tax=unit,
            value_without_discount=pre_tax[line.item_id],
            discount=line_discount,
            tax=tax,
            discounts=discounts[line.item_id],
        )
    automatic = tuple(promo for promo in promotions if promo.automatic and promo.code in applied)
    return CartPrice(currency=currency, lines=priced, applied=applied, automatic=automatic)
