"""An admin deletes a customer (`DELETE /v2/customers/{id}`, as the SDK's `Customers.Delete` sends
it, with the client-credentials token only): from the answer on, the customer cannot be read,
changed or signed in as, their addresses are gone, their email is free to register again, and
every customer token of theirs is refused (401) by this service at once. A shopper's token, even
the customer's own, cannot delete."""

from __future__ import annotations

from tests.cart.registered_customers import PASSWORD, registered, sign_in

GONE = "4b0c3a5e-3a55-4d0f-9b7e-2a1c7e9e0f11"


async def test_an_admin_deletes_a_customer_and_their_token_stops_working_at_once(shopper, admin):
    ann = await registered(shopper, "Ann Perkins")
    address = await shopper.post(
        f"/v2/customers/{ann.id}/addresses",
        json={
            "data": {
                "type": "address",
                "first_name": "Ann",
                "last_name": "Perkins",
                "line_1": "3 Elm St",
                "postcode": "46001",
                "county": "Wamapoke",
                "country": "US",
            }
        },
        headers=ann.headers,
    )
    assert address.status_code == 201, address.text
    assert (await shopper.get(f"/v2/customers/{ann.id}", headers=ann.headers)).status_code == 200

    deleted = await admin.delete(f"/v2/customers/{ann.id}")
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""

    refused = [
        await shopper.get(f"/v2/customers/{ann.id}", headers=ann.headers),
        await shopper.put(
            f"/v2/customers/{ann.id}", json={"data": {"type": "customer", "name": "Ann"}}, headers=ann.headers
        ),
        await shopper.get(f"/v2/customers/{ann.id}/addresses", headers=ann.headers),
        await shopper.get(
            f"/v2/customers/{ann.id}/addresses/{address.json()['data']['id']}", headers=ann.headers
        ),
    ]
    assert [r.status_code for r in refused] == [401] * 4, [r.text for r in refused]
    assert all(r.json()["errors"][0]["status"] == 401 for r in refused)
    assert (await sign_in(shopper, ann.email)).status_code == 401
    assert (await admin.get(f"/v2/customers/{ann.id}")).status_code == 404
    assert (await admin.get(f"/v2/customers/{ann.id}/addresses")).status_code == 404
    assert (await admin.delete(f"/v2/customers/{ann.id}")).status_code == 404
    listed = await admin.get("/v2/customers", params={"page[limit]": 100})
    assert ann.id not in [c["id"] for c in listed.json()["data"]]

    again = await shopper.post(
        "/v2/customers",
        json={"data": {"type": "customer", "name": "Ann Again", "email": ann.email, "password": PASSWORD}},
    )
    assert again.status_code == 201, again.text
    assert again.json()["data"]["id"] != ann.id
    assert (await sign_in(shopper, ann.email)).status_code == 200


async def test_only_an_admin_may_delete_and_unknown_customers_are_404s(shopper, admin):
    ben = await registered(shopper, "Ben Wyatt")
    for headers in (ben.headers, {}):
        refused = await shopper.delete(f"/v2/customers/{ben.id}", headers=headers)
        assert refused.status_code == 403, refused.text
    assert (await shopper.get(f"/v2/customers/{ben.id}", headers=ben.headers)).status_code == 200
    assert (await admin.delete(f"/v2/customers/{GONE}")).status_code == 404
    assert (await admin.delete("/v2/customers/not-a-customer")).status_code == 404
