"""Issue 19 for registered customers: `DELETE /v2/customers/{id}` shreds them as anonymisation
shreds an order.

The cart service with personal data sealed (PII_MASTER_KEY, a key table of the module's own). Two
customers register, save an address (one changes it), and sign in; an admin deletes the first.
Then: no row of any table of the cart's database, nor of the key table, holds either customer's
name, email or street in clear; the kept customer's are there sealed and open through the key
table; the deleted one's are there sealed and open through nothing. The kept customer still signs
in, still owns their email, reads their profile and address; the deleted one's email is free
again; the deleted one's stream still folds, and the customers read model rebuilds as it was.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.cart.domain.customer import Customer
from shared.eventstore.unit_of_work import Database
from shared.privacy.personal_data import Opener, customer_subject
from shared.privacy.sealed_text import ANONYMISED, subject_of, unseal
from tests.cart.registered_customers import PASSWORD, TOKEN_HEADER, sign_in
from tests.e2e.conftest import service_fixture
from tests.e2e.operator import run_admin
from tests.e2e.quiescence import database_state
from tests.support.polling import poll_until
from tests.support.privacy import every_stored_text, live_keys, sealed_values
from tests.support.services import RunningService

pytestmark = pytest.mark.slow

cart_service = service_fixture("cart")


@pytest.fixture(scope="module")
def service_env(privacy_env: dict[str, str]) -> dict[str, str]:
    """The cart seals with the module's master key and key table."""
    return privacy_env


@pytest.fixture(scope="module")
def services(cart_service: RunningService) -> dict[str, RunningService]:
    """Only the cart runs here: registered customers live there alone."""
    return {"cart": cart_service}


def someone(first: str) -> dict[str, Any]:
    """A customer whose name, email and street occur nowhere else in the store."""
    tag = uuid4().hex[:10]
    return {
        "name": f"{first} Q{tag}",
        "email": f"{first.lower()}.{tag}@example.com",
        "address": {
            "type": "address",
            "name": "Home",
            "first_name": first,
            "last_name": f"Q{tag}",
            "line_1": f"{tag} Privet Drive",
            "postcode": "KT22 7AA",
            "county": "Surrey",
            "country": "GB",
            "phone_number": f"+44 7700 {tag[:6]}",
            "instructions": f"Leave with neighbour {tag}",
        },
    }


async def signed_up(shopper: httpx.AsyncClient, who: dict[str, Any]) -> None:
    """Register `who`, save their address, sign them in; the ids and token go into `who`."""
    body = {"data": {"type": "customer", "name": who["name"], "email": who["email"], "password": PASSWORD}}
    created = await shopper.post("/v2/customers", json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["data"]["name"], created.json()["data"]["email"]) == (who["name"], who["email"])
    token = await sign_in(shopper, who["email"])
    assert token.status_code == 200, token.text
    who["id"], who["headers"] = created.json()["data"]["id"], {TOKEN_HEADER: token.json()["data"]["token"]}
    saved = await shopper.post(
        f"/v2/customers/{who['id']}/addresses", json={"data": who["address"]}, headers=who["headers"]
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["data"]["line_1"] == who["address"]["line_1"]  # the answer is in clear
    who["address_id"] = saved.json()["data"]["id"]


async def customers_rows(cart: RunningService) -> list[tuple[Any, ...]]:
    return (await database_state(cart))['"proj_customers"."customers"']


@pytest.fixture(scope="module")
async def erased(cart_service: RunningService, cart_clients: list[httpx.AsyncClient]) -> dict[str, Any]:
    admin, shopper = cart_clients
    gone, kept = someone("Ann"), someone("Bob")
    for who in (gone, kept):
        await signed_up(shopper, who)
    # The kept customer changes a field of their address: the new value is sealed too.
    kept["line_2"] = f"Flat {uuid4().hex[:10]}"
    changed = await shopper.put(
        f"/v2/customers/{kept['id']}/addresses/{kept['address_id']}",
        json={"data": {"type": "address", "line_2": kept["line_2"]}},
        headers=kept["headers"],
    )
    assert changed.status_code == 200 and changed.json()["data"]["line_2"] == kept["line_2"], changed.text

    deleted = await admin.delete(f"/v2/customers/{gone['id']}")
    assert deleted.status_code == 204, deleted.text
    rows = await poll_until(
        lambda: customers_rows(cart_service), lambda rows: [row[0] for row in rows] == [kept["id"]]
    )
    assert [row[0] for row in rows] == [kept["id"]], rows  # the deleted customer left the read model
    return {"gone": gone, "kept": kept}


async def test_no_table_holds_either_customer_in_clear_and_only_the_kept_one_opens(
    erased, services, keys_dsn, master_key
):
    stored = await every_stored_text(services, keys_dsn)
    gone, kept = erased["gone"], erased["kept"]
    clear = [
        *(gone["name"], gone["email"], gone["address"]["line_1"], gone["address"]["instructions"]),
        *(kept["name"], kept["email"], kept["address"]["line_1"], kept["line_2"]),
    ]
    leaks = {(where, c) for where, texts in stored.items() for c in clear for t in texts if c in t}
    assert not leaks, leaks

    # Both are there, sealed: the events were not rewritten or dropped.
    gone_sealed = sealed_values(stored, customer_subject(gone["id"]))
    kept_sealed = sealed_values(stored, customer_subject(kept["id"]))
    assert len(gone_sealed) >= 10 and len(kept_sealed) >= 12, (len(gone_sealed), len(kept_sealed))
    assert sealed_values(
        {"read model": stored['cart "proj_customers"."customers"']}, customer_subject(kept["id"])
    )

    subjects = [customer_subject(gone["id"]), customer_subject(kept["id"])]
    keys = await live_keys(keys_dsn, master_key, subjects)
    assert list(keys) == [customer_subject(kept["id"])]  # the deleted customer's key is gone
    opened = {unseal(keys[subject_of(v)], v) for v in kept_sealed}
    assert {kept["name"], kept["email"], kept["address"]["line_1"], kept["line_2"]} <= opened


async def test_the_customers_read_model_rebuilt_equals_the_live_one(erased, cart_service, admin_env):
    """Run before the tests below write again, so the live read model is the fixture's, settled."""
    live = await customers_rows(cart_service)
    out = await run_admin(admin_env, "projections", "rebuild", "cart", "customers")
    assert "rebuilt cart/customers" in out, out
    assert await customers_rows(cart_service) == live


async def test_the_kept_customer_signs_in_owns_their_email_and_reads_their_address(erased, cart_clients):
    admin, shopper = cart_clients
    kept = erased["kept"]
    assert (await sign_in(shopper, kept["email"].upper())).status_code == 200
    taken = await shopper.post(
        "/v2/customers",
        json={
            "data": {"type": "customer", "name": "Someone Else", "email": kept["email"], "password": PASSWORD}
        },
    )
    assert taken.status_code == 409, taken.text

    profile = (await shopper.get(f"/v2/customers/{kept['id']}", headers=kept["headers"])).json()["data"]
    assert (profile["name"], profile["email"]) == (kept["name"], kept["email"])
    [address] = (await shopper.get(f"/v2/customers/{kept['id']}/addresses", headers=kept["headers"])).json()[
        "data"
    ]
    assert {k: address[k] for k in kept["address"] if k != "type"} == {
        k: v for k, v in kept["address"].items() if k != "type"
    }
    assert address["line_2"] == kept["line_2"]
    listed = (await admin.get("/v2/customers", params={"page[limit]": 100})).json()["data"]
    assert [(c["id"], c["email"]) for c in listed] == [(kept["id"], kept["email"])]

    # A change of email moves the claim: sign-in follows the new email, the old one is free.
    new_email = f"bob.{uuid4().hex[:10]}@example.com"
    moved = await shopper.put(
        f"/v2/customers/{kept['id']}",
        json={"data": {"type": "customer", "email": new_email}},
        headers=kept["headers"],
    )
    assert moved.status_code == 200 and moved.json()["data"]["email"] == new_email, moved.text
    assert moved.json()["data"]["name"] == kept["name"]
    assert (await sign_in(shopper, new_email)).status_code == 200
    assert (await sign_in(shopper, kept["email"])).status_code == 401


async def test_the_deleted_customer_is_gone_and_their_email_free(erased, cart_clients):
    admin, shopper = cart_clients
    gone = erased["gone"]
    assert (await sign_in(shopper, gone["email"])).status_code == 401
    assert (await admin.get(f"/v2/customers/{gone['id']}")).status_code == 404
    assert (await admin.delete(f"/v2/customers/{gone['id']}")).status_code == 404
    again = await shopper.post(
        "/v2/customers",
        json={
            "data": {"type": "customer", "name": gone["name"], "email": gone["email"], "password": PASSWORD}
        },
    )
    assert again.status_code == 201, again.text
    assert again.json()["data"]["id"] != gone["id"]
    assert (await sign_in(shopper, gone["email"])).status_code == 200


async def test_the_deleted_customers_stream_still_folds_to_anonymised_values(
    erased, cart_service, keys_dsn, master_key
):
    gone = erased["gone"]
    database = Database(cart_service.env["DATABASE_URL"], producer="test")
    await database.open(min_size=1, max_size=1)
    try:
        customer = await database.read(Customer, gone["id"])
    finally:
        await database.close()
    assert customer.deleted_at is not None and customer.created_at is not None
    open_ = Opener(await live_keys(keys_dsn, master_key, [customer_subject(gone["id"])]))
    assert subject_of(customer.email) == customer_subject(gone["id"])
    assert (open_(customer.name), open_(customer.email)) == (ANONYMISED, ANONYMISED)
