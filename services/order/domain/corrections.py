"""What an admin asks to correct on an order after checkout, before it is merged into the order.

Only what is given changes: `shipping_address` holds the address fields to replace (the others stay),
`order_number` and `external_ref` a new value, or "" to clear it (Elastic Path: "remove them by
passing an empty value"). None means "leave as it is".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.contracts.values import Address


@dataclass(frozen=True)
class DetailsCorrection:
    shipping_address: Mapping[str, str] | None = None
    order_number: str | None = None
    external_ref: str | None = None

    def is_empty(self) -> bool:
        return self.shipping_address is None and self.order_number is None and self.external_ref is None

    def address_from(self, current: Address) -> Address:
        """`current` with the given fields replaced."""
        if not self.shipping_address:
            return current
        return current.model_copy(update=dict(self.shipping_address))

    @staticmethod
    def reference_from(given: str | None, current: str | None) -> str | None:
        """A reference as corrected: unchanged if not given, cleared (None) if given empty."""
        if given is None:
            return current
        return given or None
