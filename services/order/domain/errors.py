"""Rule violations of the order service, each carrying the Elastic Path error it answers with."""

from __future__ import annotations

from shared.domain.errors import DomainError, NotFound


class OrderNotFound(NotFound):
    """No order with this id (yet: a consumer treats it as a fact that arrived early)."""

    def __init__(self, order_id: str) -> None:
        super().__init__("No order found with the given id", order_id)
        self.order_id = order_id


class FulfilledOrderCannotBeCancelled(DomainError):
    """Elastic Path: "You can cancel an order only if it has not been fulfilled"."""

    status = 422
    title = "Order cannot be cancelled"

    def __init__(self, order_id: str) -> None:
        super().__init__("A fulfilled order cannot be cancelled", meta={"id": order_id})


class PaymentNotApplicable(DomainError):
    """A payment fact that can never apply to this order (another currency, a negative amount)."""

    status = 422
    title = "Payment not applicable"


class OrderCannotBeFulfilled(DomainError):
    """Elastic Path: only a paid order can be fulfilled; a cancelled one never."""

    status = 422
    title = "Order cannot be fulfilled"

    def __init__(self, order_id: str, why: str) -> None:
        super().__init__(why, meta={"id": order_id})


class ShippingAddressIsFinal(DomainError):
    """Elastic Path: the shipping address changes "only if the order is not fulfilled"; here from the
    moment fulfilment is requested, since fulfilment ships to the address that request carries."""

    status = 422
    title = "Order cannot be updated"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            "The shipping address of a fulfilled order cannot change",
            source="data.shipping_address",
            meta={"id": order_id},
        )


class OrderCannotBeAnonymised(DomainError):
    """Elastic Path anonymises only an order that is fulfilled, cancelled or fully refunded."""

    status = 422
    title = "Could not anonymize orders"

    def __init__(self, order_id: str, status: str, payment: str, shipping: str) -> None:
        super().__init__(
            f"Order has status: order:{status}, payment:{payment}, shipping:{shipping}; only fulfilled or"
            " refunded or cancelled orders may be anonymized",
            source="data.order_ids",
            meta={"order_id": order_id},
        )


class OrderDetailsAreErased(DomainError):
    """An anonymised order's personal details cannot be written again."""

    status = 422
    title = "Order cannot be updated"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            "The order was anonymized: its shipping address cannot change",
            source="data.shipping_address",
            meta={"id": order_id},
        )
