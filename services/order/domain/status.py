"""An order's statuses as a pure function of its facts (Elastic Path's split-payment table).

Deriving instead of storing statuses is what makes the order order-tolerant: the same set of
facts gives the same statuses whatever order they arrived in.

| facts                                                  | payment              | status     |
|--------------------------------------------------------|----------------------|------------|
| no completed transaction                               | unpaid               | incomplete |
| authorisations cover part of the total                 | partially_authorized | incomplete |
| captures cover part of the total                       | partially_paid       | incomplete |
| covered, and at least one uncaptured authorisation     | authorized           | processing |
| captures cover the total                               | paid                 | complete   |
| some / all of the captured money refunded              | (partially_)refunded | unchanged  |
| an admin cancelled it                                  | unchanged            | cancelled  |

A refund does not reopen a complete order, and cancelling wins over everything (it refunds
nothing by itself). Shipping is separate: `fulfilled` once the fulfilment service shipped it.

"Cover" counts completed transactions, not only money: an order whose total is 0 (a free
product, a 100 % promotion) is covered by one completed transaction of 0. Elastic Path pays
such an order like any other, through the manual gateway ("Configure your store to use Manual
Gateway to process payments if the order total is zero", payments.yaml), so a manual `purchase`
makes it `paid`/`complete`, an `authorize` makes it `authorized`/`processing` until captured. It
is never paid automatically: until that payment it is `unpaid`, like any order just checked out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from services.order.domain.transactions import TransactionFacts

OrderStatus = Literal["incomplete", "processing", "complete", "cancelled"]
PaymentStatus = Literal[
    "unpaid", "partially_authorized", "partially_paid", "authorized", "paid", "partially_refunded", "refunded"
]
ShippingStatus = Literal["unfulfilled", "fulfilled"]


@dataclass(frozen=True)
class Statuses:
    status: OrderStatus
    payment: PaymentStatus
    shipping: ShippingStatus
    authorized: int
    paid: int
    refunded: int


def covers(total: int, amount: int, *, completed: bool) -> bool:
    """Completed transactions for `amount` cover the order; for a total of 0, one of 0 does."""
    return completed and amount >= total


def payment_status(
    total: int, authorized: int, paid: int, refunded: int, *, captured: bool, holding: bool
) -> PaymentStatus:
    """`captured`: some capture or purchase completed; `holding`: some authorisation still holds."""
    if paid > 0 and refunded >= paid:
        return "refunded"
    if refunded > 0:
        return "partially_refunded"
    if covers(total, paid, completed=captured):
        return "paid"
    if covers(total, paid + authorized, completed=holding):
        return "authorized"
    if paid > 0:
        return "partially_paid"
    if authorized > 0:
        return "partially_authorized"
    return "unpaid"


def order_status(
    total: int, payment: PaymentStatus, paid: int, *, captured: bool, cancelled: bool
) -> OrderStatus:
    if cancelled:
        return "cancelled"
    if covers(total, paid, completed=captured):
        return "complete"  # captures only grow: once complete, refunds leave it complete
    if payment == "authorized":
        return "processing"
    return "incomplete"


def derive_statuses(
    total: int, transactions: Iterable[TransactionFacts], *, cancelled: bool, fulfilled: bool
) -> Statuses:
    """The statuses and money of an order whose total (with tax) is `total`."""
    facts = list(transactions)
    authorized = sum(t.holding for t in facts)
    paid = sum(t.paid for t in facts)
    refunded = sum(t.refunded for t in facts)
    captured = any(t.has_capture for t in facts)
    holding = any(t.has_hold for t in facts)
    payment = payment_status(total, authorized, paid, refunded, captured=captured, holding=holding)
    return Statuses(
        status=order_status(total, payment, paid, captured=captured, cancelled=cancelled),
        payment=payment,
        shipping="fulfilled" if fulfilled else "unfulfilled",
        authorized=authorized,
        paid=paid,
        refunded=refunded,
    )
