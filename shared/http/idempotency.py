"""`Idempotency-Key`: a retried money-moving call answers its first answer and moves nothing twice.

The convention of Stripe and most payment APIs, designed once for every service:

- Scope. A key belongs to one operation (the route: method and path template) and one caller (the
  admin client; else the customer of the `X-Moltin-Customer-Token`; else the shopper's access
  token), so one shopper's key never replays another's answer.
- Fingerprint. The first request with a key records it (table `idempotency_keys`, in the service's
  own database) with the request's fingerprint: method, concrete path and body as canonical JSON.
  The same key with another fingerprint is refused with 422 before anything runs.
- Answer. Once the operation answers, its status and body are kept, and every retry gets them
  again, byte for byte (with `Idempotent-Replayed: true`). Kept are the operation's decisions:
  successes and the 4xx it decides (400, 422). An answer that may change by itself is not kept (404
  for an order not consumed yet, 409 for a busy transaction, 429, every 5xx): a retry runs the
  operation again.
- Personal data. An answer carrying personal data in clear keeps it sealed (`Answer.kept`: the
  checkout's order with the sealed values of its events); a replay opens it through the service's
  `PersonalData` (`shared/privacy/sealed_json.py`), so it is the first answer's bytes while the
  subject's key lives, and `*` for those fields once it is erased (an order anonymised).
- Expiry. A key lives IDEMPOTENCY_KEY_TTL_SECONDS (24 h by default, as Stripe keeps its own); then
  it is new again (but an effect whose id was derived from it, below, keeps that id). Expired rows
  are deleted as new keys arrive.
- One at a time. A PostgreSQL session advisory lock on (scope, key), on a connection of the
  request's own, is held from the first look at the key until its answer is kept: a concurrent
  duplicate waits up to `IN_PROGRESS_WAIT` seconds for the first one and then answers 409, so the
  two never both run. If the process dies, its connection ends and the lock goes with it.
- Without the header nothing here runs: the route behaves as it always did.

A crash between the effect and the answer leaves the key recorded with no answer; the retry runs
the operation again, and the operation makes that safe. Two ways were weighed: (a) record the
answer with the key in the same database transaction as the effect's events; (b) derive the
effect's identity from the key, so a retry finds the effect done and answers from the state it
left. (a) is exact when the effect is one unit of work, and checkout uses it (`Claim.answer_in`).
A payment is several units of work around a call to Stripe, which no database transaction can
include, so the payment service uses (b): a payment's transaction id is derived from the key
(`Claim.derived_id`), and each Stripe call carries an idempotency key derived from it
(`Claim.gateway_key`), written to the transaction's events before the call; a retry finds that call
done (or in flight, and asks Stripe) instead of making it again. The answer it rebuilds is the
transaction as it is then: the first answer, unless something (a webhook, an admin) changed it since.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from fastapi import Request
from starlette.responses import Response

from shared.auth.dependencies import bearer_token, optional_customer, settings_of
from shared.auth.tokens import Principal
from shared.domain.errors import DomainError
from shared.eventstore.database import DbConnection, connect
from shared.eventstore.unit_of_work import Database
from shared.http.body import read_json_body
from shared.http.errors import ApiError
from shared.http.idempotency_faults import kill_before_answer
from shared.http.openapi import header_parameter
from shared.http.responses import JsonResponse
from shared.privacy.lifespan import personal_data_if_any
from shared.privacy.sealed_json import opened_json

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
"""Room for the `:<scope>:<operation>` the gateway's key adds within Stripe's 255 characters."""
IN_PROGRESS_WAIT = 2.0
"""How long a duplicate waits for the request holding its key before answering 409."""
NOT_KEPT = frozenset({401, 403, 404, 408, 409, 425, 429})
"""4xx answers that may change without the request changing: never replayed."""
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")

IDEMPOTENCY_KEY_PARAMETER = header_parameter(
    HEADER,
    "Optional, a unique string of up to 200 printable ASCII characters (a UUID will do) the client"
    " chooses for this call: a retry with the same key and the same body answers the first answer"
    " again and does nothing twice; the same key with another body is refused (422). Keys are kept"
    " 24 hours (IDEMPOTENCY_KEY_TTL_SECONDS) per route and per caller.",
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]+$"},
)


@dataclass(frozen=True)
class Answer:
    status: int
    document: dict[str, Any]
    kept: dict[str, Any] | None = None
    """What to keep for retries, if not `document`: the same document with its personal strings
    sealed (`shared.privacy`), opened again when it is replayed."""

    def kept_body(self) -> bytes:
        return orjson.dumps(self.document if self.kept is None else self.kept)


@dataclass(frozen=True)
class Kept:
    """An answer as it was kept: its status and the very bytes of its body (personal strings sealed)."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Claim:
    """A key this request holds (no other request with it runs meanwhile)."""

    scope: str
    key: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.scope}\n{self.key}".encode()).hexdigest()

    def derived_id(self) -> str:
        """An id for the effect, the same for every retry with this key and caller (UUID v4 form)."""
        return str(UUID(bytes=bytes.fromhex(self.digest)[:16], version=4))

    def gateway_key(self, operation: str) -> str:
        """The idempotency key for a downstream call (Stripe's): the client's key, then its scope's
        digest (keys are per account at Stripe, per caller here) and the call, since one request
        may make several calls (a payment creates, then confirms)."""
        return f"{self.key}:{self.digest[:16]}:{operation}"

    async def answer_in(self, conn: DbConnection, answer: Answer) -> None:
        """Keep `answer` in the caller's database transaction: committed with the effect, or not at all."""
        await _keep(conn, self, answer)


Operation = Callable[[Claim | None], Awaitable[Answer]]


def requested_key(request: Request) -> str | None:
    """The request's key, or None without the header; a malformed one is a 400."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not _KEY.fullmatch(raw):
        raise ApiError(
            400,
            "Bad Request",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces",
            source=HEADER,
        )
    return raw


def scope_of(request: Request, principal: Principal) -> str:
    """The operation and the caller a key belongs to."""
    route = request.scope.get("route")
    operation = f"{request.method} {getattr(route, 'path', request.url.path)}"
    if principal.is_admin:
        return f"{operation} admin:{principal.client_id}"
    customer = optional_customer(request)
    if customer is not None:
        return f"{operation} customer:{customer.customer_id}"
    token = bearer_token(request) or ""
    return f"{operation} token:{hashlib.sha256(token.encode()).hexdigest()}"


async def fingerprint_of(request: Request) -> str:
    """What makes two requests the same: method, concrete path and body (JSON compared as data).

    The body is read with the same limits as the route reads it (size, depth, NUL), so a body the
    route would refuse is refused here the same way, before any key is recorded."""
    body = await read_json_body(request)
    canonical = b"" if body is None else orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


async def answer_once(request: Request, principal: Principal, database: Database, run: Operation) -> Response:
    """Run `run` (given the claim, or None without a key) and answer it, once per key."""
    key = requested_key(request)
    if key is None:
        answer = await run(None)
        return JsonResponse(answer.document, status_code=answer.status)
    claim = Claim(scope_of(request, principal), key)
    fingerprint = await fingerprint_of(request)
    ttl = settings_of(request).idempotency_key_ttl_seconds
    conn = await connect(database.dsn)
    try:
        await _lock(conn, claim)
        kept = await _recall(conn, claim, fingerprint, ttl)
        if kept is not None:
            return Response(
                await _opened(request, kept.body),
                status_code=kept.status,
                media_type="application/json",
                headers={REPLAYED_HEADER: "true"},
            )
        answer = await _run(conn, claim, run)
        kill_before_answer()
        await _keep(conn, claim, answer)
        return JsonResponse(answer.document, status_code=answer.status)
    finally:
        await _close(conn)


async def _run(conn: DbConnection, claim: Claim, run: Operation) -> Answer:
    """The operation's answer; the refusals it decides are kept before they are raised."""
    try:
        return await run(claim)
    except ApiError as exc:
        await _keep_refusal(conn, claim, Answer(exc.status, dict(exc.body())))
        raise
    except DomainError as exc:
        error = ApiError(exc.status, exc.title, exc.detail, source=exc.source, meta=exc.meta)
        await _keep_refusal(conn, claim, Answer(exc.status, dict(error.body())))
        raise


async def _keep_refusal(conn: DbConnection, claim: Claim, refused: Answer) -> None:
    if 400 <= refused.status < 500 and refused.status not in NOT_KEPT:
        await _keep(conn, claim, refused)


_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended($1::text, 0))"
_FORGET_EXPIRED = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at <= now()"
_RECALL = "SELECT fingerprint, status, answer FROM idempotency_keys WHERE scope = $1 AND key = $2"
_RECORD = """
INSERT INTO idempotency_keys (scope, key, fingerprint, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
"""
_PURGE = """
DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT 100
))
"""
_KEEP = "UPDATE idempotency_keys SET status = $3, answer = $4 WHERE scope = $1 AND key = $2"


async def _lock(conn: DbConnection, claim: Claim) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + IN_PROGRESS_WAIT
    while not await conn.fetchval(_TRY_LOCK, "idempotency:" + claim.digest):
        if loop.time() >= deadline:
            raise ApiError(
                409,
                "Conflict",
                f"A request with this {HEADER} is in progress; retry once it has answered",
                source=HEADER,
            )
        await asyncio.sleep(0.05)


async def _recall(conn: DbConnection, claim: Claim, fingerprint: str, ttl: int) -> Kept | None:
    """The kept answer to replay; None to run the operation (a new key is recorded first)."""
    await conn.execute(_FORGET_EXPIRED, claim.scope, claim.key)
    row = await conn.fetchrow(_RECALL, claim.scope, claim.key)
    if row is None:
        await conn.execute(_RECORD, claim.scope, claim.key, fingerprint, float(ttl))
        await conn.execute(_PURGE)
        return None
    if row["fingerprint"] != fingerprint:
        raise ApiError(
            422,
            "Unprocessable Entity",
            f"This {HEADER} was used for a different request (another path or body): use a new key"
            " for a new request",
            source=HEADER,
        )
    if row["status"] is None:
        return None  # started, never answered (a crash, or an answer not kept): run it again
    return Kept(row["status"], row["answer"])


async def _keep(conn: DbConnection, claim: Claim, answer: Answer) -> None:
    await conn.execute(_KEEP, claim.scope, claim.key, answer.status, answer.kept_body())


async def _opened(request: Request, body: bytes) -> bytes:
    """A kept body as it is answered: its sealed strings opened (none kept where privacy is off,
    or in a service without personal data)."""
    personal = personal_data_if_any(request)
    return body if personal is None else await opened_json(personal, body)


async def _close(conn: DbConnection) -> None:
    """Close the connection, and with its session the lock; terminate it if that cannot be done."""
    try:
        await conn.close(timeout=5)
    except BaseException:
        conn.terminate()
        raise
