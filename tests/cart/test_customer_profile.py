"""A customer's profile changes as Elastic Path's `PUT /v2/customers/{id}` does: only the members
sent, by an admin or by the customer with their own token (another's token, or none, is a 403),
with EP's validation errors; a new password signs in from then on and the old one no longer does;
a new email frees the old one and cannot be another customer's (409)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cart.registered_customers import PASSWORD, registered, sign_in, unique_email


async def put(
    client: httpx.AsyncClient, customer_id: str, data: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.put(
        f"/v2/customers/{customer_id}", json={"data": {"type": "customer", **data}}, headers=headers or {}
    )


async def test_the_customer_changes_their_name_and_email_with_their_own_token(shopper, admin):
    leslie = await registered(shopper)
    new_email = unique_email("knope")
    changed = await put(
        shopper, leslie.id, {"name": "Leslie Knope-Wyatt", "email": new_email.upper()}, leslie.headers
    )
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert (data["id"], data["name"], data["email"], data["password"]) == (
        leslie.id,
        "Leslie Knope-Wyatt",
        new_email,
        True,
    )
    assert data["meta"]["timestamps"]["updated_at"] > data["meta"]["timestamps"]["created_at"]
    read = await admin.get(f"/v2/customers/{leslie.id}")
    assert read.json()["data"]["name"] == "Leslie Knope-Wyatt" and read.json()["data"]["email"] == new_email
    # only what was sent changes
    renamed = await put(admin, leslie.id, {"external_ref": "crm-7"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["data"]["name"], renamed.json()["data"]["external_ref"]) == (
        "Leslie Knope-Wyatt",
        "crm-7",
    )
    # the new email signs in; the old one is free to register again
    assert (await sign_in(shopper, new_email)).status_code == 200
    assert (await sign_in(shopper, leslie.email)).status_code == 401
    again = await shopper.post(
        "/v2/customers",
        json={"data": {"type": "customer", "name": "Other", "email": leslie.email, "password": PASSWORD}},
    )
    assert again.status_code == 201, again.text


async def test_an_email_that_is_another_customers_is_a_409_and_changes_nothing(shopper, admin):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    taken = await put(shopper, ben.id, {"email": ann.email, "name": "Ben W"}, ben.headers)
    assert taken.status_code == 409, taken.text
    error = taken.json()["errors"][0]
    assert (error["status"], error["title"], error["source"]) == (409, "Duplicate email", "data.email")
    unchanged = (await admin.get(f"/v2/customers/{ben.id}")).json()["data"]
    assert (unchanged["name"], unchanged["email"]) == ("Ben Wyatt", ben.email)


async def test_another_customers_token_or_none_is_refused_and_an_admin_may(shopper, admin):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    for headers in (ben.headers, {}):
        refused = await put(shopper, ann.id, {"name": "Hacked"}, headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["status"] == 403
    assert (await admin.get(f"/v2/customers/{ann.id}")).json()["data"]["name"] == "Ann Perkins"
    by_admin = await put(admin, ann.id, {"name": "Ann Perkins-Traeger"})
    assert by_admin.status_code == 200 and by_admin.json()["data"]["name"] == "Ann Perkins-Traeger"
    assert (await put(admin, "7d0b5d2c-1b7a-4c39-9f55-2f6c1c2f1a11", {"name": "X"})).status_code == 404
    assert (await put(admin, "not-a-customer-id", {"name": "X"})).status_code == 404


async def test_a_password_change_signs_in_with_the_new_password_only(shopper):
    ron = await registered(shopper, "Ron Swanson")
    changed = await put(shopper, ron.id, {"password": "lagavulin-16"}, ron.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["password"] is True and "lagavulin" not in changed.text
    assert (await sign_in(shopper, ron.email, PASSWORD)).status_code == 401
    assert (await sign_in(shopper, ron.email, "lagavulin-16")).status_code == 200
    # the token issued before the change stays valid until it expires (as EP's do)
    assert (await shopper.get(f"/v2/customers/{ron.id}", headers=ron.headers)).status_code == 200


async def test_invalid_changes_answer_eps_400s_and_change_nothing(shopper, admin):
    april = await registered(shopper, "April Ludgate")
    cases = [
        ({"email": "april..ludgate@example.com"}, "data.email", "format"),
        ({"password": "short"}, "data.password", None),
        ({"name": ""}, "data.name", None),
        ({"type": "account"}, "data.type", None),
    ]
    for data, source, title in cases:
        body = {"data": {"type": "customer", **data}}
        answer = await shopper.put(f"/v2/customers/{april.id}", json=body, headers=april.headers)
        assert answer.status_code == 400, (data, answer.text)
        error = answer.json()["errors"][0]
        assert error["status"] == 400 and error["source"] == source, (data, error)
        if title:
            assert error["title"] == title and error["detail"] == "Does not match format 'email"
    customer = (await admin.get(f"/v2/customers/{april.id}")).json()["data"]
    assert (customer["name"], customer["email"]) == ("April Ludgate", april.email)
    assert (await sign_in(shopper, april.email)).status_code == 200
