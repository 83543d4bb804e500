"""Customer tokens keep Elastic Path's lifetime: `expires` in the token answer is 24 hours on
(epoch seconds, the JWT's own `exp`). That a token past it is refused: test_customer_token_expiry.py."""

from __future__ import annotations

import time

from tests.cart.registered_customers import claims, registered

EP_LIFETIME = 24 * 60 * 60


async def test_the_token_answer_expires_24_hours_on_as_its_jwt_says(shopper):
    before = int(time.time())
    leslie = await registered(shopper)
    answer = await shopper.post(
        "/v2/customers/tokens",
        json={"data": {"type": "token", "email": leslie.email, "password": "correct-horse-1"}},
    )
    after = int(time.time())
    data = answer.json()["data"]
    assert isinstance(data["expires"], int)
    assert before + EP_LIFETIME <= data["expires"] <= after + EP_LIFETIME
    assert claims(data["token"])["exp"] == data["expires"]
