"""Secrets come only from the environment and never reach a log line or an HTTP answer.

Every service of this suite runs with the distinctive values of `canaries` (client secret, JWT
secret, Stripe key and webhook secret, the database password inside DATABASE_URL). This drives
requests that succeed and many that fail (wrong credentials, bad tokens, declined cards, forged
webhooks, malformed bodies, probes), then reads every response and every line the processes
logged, during this test and whatever ran before it in the package, for any of the values.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from uuid import uuid4

import httpx

from tests.security import canaries
from tests.security.conftest import SERVICES, client, database_url_with_password
from tests.security.credentials import BAD
from tests.security.shoppers import check_out, consumed_everywhere, create_product
from tests.support.polling import poll_until
from tests.support.services import REPO, RunningService
from tests.support.settling import services_settled


def leaks(text: str) -> list[str]:
    return [name for name, value in canaries.ALL.items() if value in text]


def _rendered(response: httpx.Response) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return f"{response.status_code}\n{headers}\n{response.text}"


async def _drive(services, admin_token: str, shopper_token: str) -> list[httpx.Response]:
    seen: list[httpx.Response] = []
    product = await create_product(services["cart"], admin_token)
    order = await check_out(
        services["cart"], shopper_token, product["id"], {"name": "Ann", "email": "ann@example.com"}
    )
    await consumed_everywhere(services, admin_token, order["id"])  # so that the Stripe key is used
    for name in SERVICES:
        service = services[name]
        async with client(service) as anonymous:
            seen += [await anonymous.get(path) for path in ("/health", "/ready", "/metrics", "/openapi.json")]
            if name != "fulfillment":
                seen.append(
                    await anonymous.post(
                        "/oauth/access_token",
                        data={
                            "grant_type": "client_credentials",
                            "client_id": canaries.CLIENT_ID,
                            "client_secret": "wrong-secret",
                        },
                    )
                )
                seen.append(await anonymous.post("/oauth/access_token", data={"grant_type": "implicit"}))
                seen.append(
                    await anonymous.post(
                        "/oauth/access_token",
                        content=b"{not json",
                        headers={"Content-Type": "application/json"},
                    )
                )
        for bad in BAD.values():
            async with client(service, bad) as intruder:
                seen.append(await intruder.get("/v2/orders"))
    async with client(services["payment"], shopper_token) as payments:
        pay = f"/v2/orders/{order['id']}/payments"
        for card in ("pm_card_chargeDeclined", "pm_does_not_exist", "pm_card_visa"):
            body = {"data": {"gateway": "stripe_payment_intents", "method": "purchase", "payment": card}}
            seen.append(await payments.post(pay, json=body))
        seen.append(
            await payments.post(pay, content=b"\xff\xfe", headers={"Content-Type": "application/json"})
        )
    async with client(services["payment"]) as stripe:
        for headers in ({}, {"Stripe-Signature": "t=1,v1=00"}):
            seen.append(await stripe.post("/v2/webhooks/stripe", content=b'{"id":"evt_1"}', headers=headers))
    async with client(services["cart"], shopper_token) as cart:
        seen.append(await cart.post(f"/v2/carts/{uuid4().hex}/items", json={"data": {"quantity": "x"}}))
        seen.append(
            await cart.post("/v2/customers/tokens", json={"data": {"email": "no@x.io", "password": "p"}})
        )
    async with client(services["inventory"], admin_token) as stock:
        seen.append(
            await stock.post(f"/v2/inventories/{uuid4()}/transactions", json={"data": {"action": "x"}})
        )
    return seen


async def logged_up_to_now(service: RunningService) -> str:
    """The service's log once it holds the access line of a request sent after every earlier one:
    a process writes its lines in order, straight to the file, so the earlier ones are there too."""
    marker = f"/v2/log-marker-{uuid4().hex}"
    async with client(service) as probe:
        await probe.get(marker)  # unknown: a 404, and one access-log line naming the path
    path = Path(service.process.log_path)
    text = await poll_until(
        lambda: asyncio.to_thread(path.read_text, errors="replace"), lambda t: marker in t
    )
    assert marker in text, f"{service.name} never logged {marker}"
    return text


async def test_no_secret_in_any_response_or_log_line(
    services, admin_token, shopper_token, kafka_bootstrap_servers, topic_prefix
):
    responses = await _drive(services, admin_token, shopper_token)
    statuses = {r.status_code for r in responses}
    assert {200, 400, 401, 404}.issubset(statuses), statuses  # successes and failures of every kind
    stripe_answers = [r for r in responses if "/payments" in r.url.path]
    assert any(r.status_code == 200 for r in stripe_answers), "the Stripe key was never used"
    for response in responses:
        found = leaks(_rendered(response))
        assert not found, (response.request.method, str(response.request.url), found)
    # Everything these requests set going has been logged: the messages they caused are consumed
    # and relayed everywhere, and a marker request logged after all of them by each process.
    await services_settled(kafka_bootstrap_servers, topic_prefix, services.values())
    for name, service in services.items():
        log = await logged_up_to_now(service)
        assert log.strip(), f"{name} logged nothing at all: the scan would prove nothing"
        assert not leaks(log), (name, leaks(log), service.process.log_path)


async def test_a_service_that_cannot_reach_its_database_does_not_print_the_password(tmp_path):
    """Start-up failures print tracebacks; the connection string's password must not be in them."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": database_url_with_password("postgresql://postgres@127.0.0.1:1/order"),
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "HTTP_PORT": "0",
        **canaries.environment(),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.order",
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
    text = output.decode(errors="replace")
    assert (process.returncode != 0 and "Traceback" in text) or "error" in text.lower(), text[-2000:]
    assert not leaks(text), (leaks(text), text[-3000:])
