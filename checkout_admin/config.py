"""Where the live stack is: from the environment (the same variables the services read).

DATABASE_URL names the PostgreSQL server; each service's database is named after the service
unless `<SERVICE>_DATABASE_URL` says otherwise. KAFKA_BOOTSTRAP_SERVERS and TOPIC_PREFIX as for
the services. `make start` prints the first two.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class StackConfig:
    database_server: str
    kafka: str
    topic_prefix: str

    @classmethod
    def from_environment(cls) -> StackConfig:
        return cls(
            database_server=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            kafka=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            topic_prefix=os.environ.get("TOPIC_PREFIX", ""),
        )

    def database_url(self, service: str) -> str:
        explicit = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if explicit:
            return explicit
        parts = urlsplit(self.database_server)
        return urlunsplit((parts.scheme, parts.netloc, f"/{service}", parts.query, parts.fragment))
