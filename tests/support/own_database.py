"""A service process on a database of its own, on the session's PostgreSQL and Kafka under the
test's topic prefix: how a test module gets a service whose store no other test writes to."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

from tests.support.services import RunningService, start_service


async def start_on_own_database(
    module: str, postgres: Any, kafka: str, prefix: str, work: Path, database: str | None = None, **env: str
) -> RunningService:
    """`module` (`services.<name>`) started on a new database named after it, or on the test's
    `database` (where instances of one service share theirs), with `env` added."""
    if database is None:
        database = f"{module.rsplit('.', 1)[-1]}_{uuid4().hex[:10]}"
        await postgres.create_database(database)
    environment = {
        "DATABASE_URL": postgres.dsn(database),
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "TOPIC_PREFIX": prefix,
        **env,
    }
    return await start_service(module, environment, work)
