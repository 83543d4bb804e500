"""Email claims recorded in clear rewritten as keyed indexes when the service starts sealing.

While personal data was kept in clear, `customer_emails` held each email itself; once it is sealed,
sign-in and the duplicate check look up the email's keyed index (`customer_privacy.email_claim`).
So at every start with privacy on, the claims still in clear (an email has an `@`, an index never
does) become indexes: a customer registered before keeps signing in, and their email stays theirs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from services.cart.application.customer_privacy import email_claim
from shared.privacy.lifespan import Lifespan
from shared.privacy.personal_data import PersonalData

log = logging.getLogger("cart.email_claims")

_IN_CLEAR = "SELECT email FROM customer_emails WHERE position('@' in email) > 0"
_INDEXED = "UPDATE customer_emails SET email = $2 WHERE email = $1"


async def index_claims_in_clear(pool: asyncpg.Pool, personal: PersonalData) -> int:
    """Rewrite the claims still in clear (none with privacy off); how many were."""
    if not personal.enabled:
        return 0
    rows = await pool.fetch(_IN_CLEAR)
    for row in rows:
        try:
            await pool.execute(_INDEXED, row["email"], email_claim(personal, row["email"]))
        except asyncpg.UniqueViolationError:
            log.warning("an email claimed in clear is claimed by its index too: the clear claim is kept")
    if rows:
        log.info("%d email claims recorded in clear are now keyed indexes", len(rows))
    return len(rows)


def with_claims_indexed(inner: Lifespan) -> Lifespan:
    """`inner` (the runtime's lifespan: the table exists once it started), then the claims indexed
    before the first request."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            personal = app.state.personal_data
            assert isinstance(personal, PersonalData)
            await index_claims_in_clear(app.state.runtime.database.pool, personal)
            yield

    return lifespan
