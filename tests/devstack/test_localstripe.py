"""localstripe answers the official stripe SDK."""

from __future__ import annotations

import stripe

from devstack.fake_stripe import API_KEY


def test_payment_intent_with_the_official_sdk(localstripe_url: str):
    client = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0)
    intent = client.v1.payment_intents.create(
        params={"amount": 1999, "currency": "eur", "payment_method": "pm_card_visa"}
    )
    assert intent.status == "requires_confirmation"
    confirmed = client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"
    assert confirmed.amount == 1999
