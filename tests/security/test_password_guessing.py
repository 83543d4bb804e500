"""Password guessing (issue 22, point 3): it neither stalls the cart service nor tells which emails exist,
and it is limited per email (the service) and per client address (the gateway).

scrypt takes about 40 ms. It ran on the event loop: 40 wrong passwords held every other request of
the cart service for 1.4 s, an unknown email answered in 2 ms and a known one in 39 ms, nothing
limited the guesses, and a one-character password was accepted at registration.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from uuid import uuid4

import httpx

from gateway.config import PASSWORD_ROUTES_LIMIT
from services.cart.domain.passwords import MIN_PASSWORD_LENGTH
from tests.gateway.support import start_gateway
from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.support.services import RunningService

PASSWORD = "correct horse battery staple"
ATTEMPTS_PER_EMAIL = 5
"""What the cart service lets one email try at once (services/cart/adapters/http/sign_in_throttle.py)."""


def random_email() -> str:
    return f"guess.{uuid4().hex[:12]}@example.com"


async def register(http: httpx.AsyncClient) -> str:
    email = random_email()
    body = {"type": "customer", "name": "Ann Perkins", "email": email, "password": PASSWORD}
    created = await http.post("/v2/customers", json={"data": body})
    assert created.status_code == 201, created.text
    return email


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    body = {"type": "token", "authentication_mechanism": "password", "email": email, "password": password}
    return await http.post("/v2/customers/tokens", json={"data": body})


async def test_wrong_passwords_do_not_stall_an_unrelated_read(
    services: dict[str, RunningService], shopper_token
):
    async with client(services["cart"], shopper_token) as http:
        emails = [await register(http) for _ in range(8)]

        async def read_products() -> None:
            assert (await http.get("/v2/products")).status_code == 200

        async def attack() -> list[httpx.Response]:
            guesses = [sign_in(http, e, f"wrong-{n}") for e in emails for n in range(ATTEMPTS_PER_EMAIL)]
            return list(await asyncio.gather(*guesses))

        usual = await usual_latency(read_products)
        answers, during = await latencies_during(attack(), read_products)
    for answer in answers:
        assert answer.status_code in (401, 429), answer.text
        assert_ep_error(answer)
    checked = sum(answer.status_code == 401 for answer in answers)
    assert checked >= len(emails), f"only {checked} of 40 passwords were checked: the attack did not run"
    assert_stayed_responsive(usual, during)


async def test_an_unknown_email_answers_as_slowly_as_a_known_one(
    services: dict[str, RunningService], shopper_token
):
    """Timed against each other, taking turns, so that the machine's load weighs on both alike."""
    async with client(services["cart"], shopper_token) as http:
        known = [await register(http) for _ in range(3)]
        await sign_in(http, random_email(), "warm-up")
        known_times: list[float] = []
        unknown_times: list[float] = []
        for email in known * 2:  # 2 guesses per email, within what the per-email limit allows
            for target, times in ((email, known_times), (random_email(), unknown_times)):
                started = time.perf_counter()
                answer = await sign_in(http, target, "not-the-password")
                times.append(time.perf_counter() - started)
                assert_ep_error(answer, 401)
    known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
    assert unknown_median >= known_median / 2, (
        f"an unknown email answers in {unknown_median * 1000:.1f} ms, a known one in "
        f"{known_median * 1000:.1f} ms: the timing tells which emails are registered"
    )


async def test_sign_in_attempts_for_one_email_are_limited(services: dict[str, RunningService], shopper_token):
    async with client(services["cart"], shopper_token) as http:
        email = await register(http)
        for n in range(ATTEMPTS_PER_EMAIL):
            assert_ep_error(await sign_in(http, email, f"guess-{n}"), 401)
        # the right password now, with the email spelled another way: the same account, still limited
        refused = await sign_in(http, f"  {email.upper()} ", PASSWORD)
        unknown = await sign_in(http, random_email(), "guess")  # another email is not held up
    error = assert_ep_error(refused, 429)
    assert error["title"] == "Too Many Requests" and error["source"] == "data.email", error
    assert int(refused.headers["Retry-After"]) >= 1
    assert_ep_error(unknown, 401)


async def test_a_short_password_is_refused_at_registration(
    services: dict[str, RunningService], shopper_token
):
    async with client(services["cart"], shopper_token) as http:
        for short in ("a", "x" * (MIN_PASSWORD_LENGTH - 1)):
            body = {"type": "customer", "name": "Jerry Gergich", "email": random_email(), "password": short}
            error = assert_ep_error(await http.post("/v2/customers", json={"data": body}), 400)
            assert (error["title"], error["source"]) == ("minLength", "data.password"), error
        email = random_email()
        long_enough = "y" * MIN_PASSWORD_LENGTH
        body = {"type": "customer", "name": "Jerry Gergich", "email": email, "password": long_enough}
        assert (await http.post("/v2/customers", json={"data": body})).status_code == 201
        assert (await sign_in(http, email, long_enough)).status_code == 200


async def test_the_gateway_limits_password_guesses_per_client(
    services: dict[str, RunningService], shopper_token, tmp_path
):
    """Each guess names another email, so only the gateway's limit per client address can refuse it.

    nginx lets ``burst + 1`` through at once and one more every ``1 / rate`` seconds after that, so the
    bound allows for however long the flood took to arrive (on a busy machine, a few hundred ms).
    """
    cart = services["cart"]
    limit = PASSWORD_ROUTES_LIMIT
    guesses = 3 * limit.burst
    process, url = await start_gateway(tmp_path, {"cart": cart.url.removeprefix("http://")})
    try:
        headers = {"Authorization": f"Bearer {shopper_token}"}
        pool = httpx.Limits(max_connections=guesses, max_keepalive_connections=guesses)
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=pool) as http:
            # open every connection first, so that the guesses arrive together rather than one handshake apart
            await asyncio.gather(*(http.get("/v2/products") for _ in range(guesses)))
            started = time.perf_counter()
            answers = await asyncio.gather(*(sign_in(http, random_email(), "guess") for _ in range(guesses)))
            flood_seconds = time.perf_counter() - started
            # registration hashes a password too (these bodies are refused before any hashing)
            short = {"type": "customer", "name": "Tom Haverford", "password": "short"}
            registrations = await asyncio.gather(
                *(
                    http.post("/v2/customers", json={"data": {**short, "email": random_email()}})
                    for _ in range(guesses)
                )
            )
            products = await http.get("/v2/products")
    finally:
        process.stop()
    allowed = limit.burst + 1 + int(limit.per_second * flood_seconds)
    assert allowed < guesses, f"the flood took {flood_seconds:.1f} s: too slow to show a limit"
    checked = [a for a in answers if a.status_code == 401]
    assert len(checked) <= allowed, (
        f"{len(checked)} of {guesses} checked in {flood_seconds:.2f} s (at most {allowed} may be)"
    )
    for flood in (answers, registrations):
        by_gateway = [a for a in flood if a.status_code == 429 and "from this client" in a.text]
        assert by_gateway, [a.status_code for a in flood]
        for answer in by_gateway:
            assert assert_ep_error(answer, 429)["title"] == "Too Many Requests"
            assert answer.headers["Retry-After"] == "1"
    assert products.status_code == 200, products.text  # other routes are not limited
