"""Where the live stack is: the environment first, else the stack `make start` runs here.

DATABASE_URL names the PostgreSQL server; each service's database is named after the service
unless `<SERVICE>_DATABASE_URL` says otherwise. KAFKA_BOOTSTRAP_SERVERS and TOPIC_PREFIX as for
the services. A variable the environment does not set is taken from the running local stack's
state file (`local_stack.py`), so `checkout-admin` works after `make start` with nothing exported;
without a running stack, the defaults of a local installation. TOPIC_PREFIX comes from the state
file only along with the Kafka it belongs to. Each value remembers where it came from, so that a
server which does not answer is reported with the variable to fix (`connections.py`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from checkout_admin.local_stack import LocalStack, find_local_stack

DATABASE_URL = "DATABASE_URL"
KAFKA_BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS"
TOPIC_PREFIX = "TOPIC_PREFIX"
DEFAULTS = {
    DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/postgres",
    KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:9092",
    TOPIC_PREFIX: "",
}


@dataclass(frozen=True)
class Origin:
    """Where a variable's value came from, and what to do when the server it names does not answer."""

    text: str
    hint: str


FROM_ENVIRONMENT = Origin(
    "set in the environment", "fix it, or unset it to use the stack `make start` runs here"
)
FROM_CALLER = Origin("given by the caller", "check it")


def _from_state(state_file: Path) -> Origin:
    return Origin(
        f"taken from {state_file} (the stack `make start` runs here)",
        "is that stack still running? (make status)",
    )


def _default(why: str) -> Origin:
    return Origin(
        f"not set and no local stack runs ({why}), so the default was tried",
        "set it, or start a local stack with `make start`",
    )


@dataclass(frozen=True)
class StackConfig:
    database_server: str
    kafka: str
    topic_prefix: str
    origins: Mapping[str, Origin] = field(default_factory=dict)
    """Where each variable's value came from (`origin`)."""

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, stack: LocalStack | None = None
    ) -> StackConfig:
        environ = os.environ if environ is None else environ
        if not (environ.get(DATABASE_URL) and environ.get(KAFKA_BOOTSTRAP_SERVERS)):
            stack = stack or find_local_stack()
        running = stack.env if stack is not None and stack.env is not None else {}
        values: dict[str, str] = {}
        origins: dict[str, Origin] = {}
        for variable in (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS):
            if environ.get(variable):
                values[variable], origins[variable] = environ[variable], FROM_ENVIRONMENT
            elif stack is not None and running.get(variable):
                values[variable], origins[variable] = running[variable], _from_state(stack.state_file)
            else:
                values[variable] = DEFAULTS[variable]
                origins[variable] = _default(stack.why_not if stack is not None else "none found")
        if TOPIC_PREFIX in environ:
            values[TOPIC_PREFIX], origins[TOPIC_PREFIX] = environ[TOPIC_PREFIX], FROM_ENVIRONMENT
        elif stack is not None and running.get(KAFKA_BOOTSTRAP_SERVERS) == values[KAFKA_BOOTSTRAP_SERVERS]:
            values[TOPIC_PREFIX] = running.get(TOPIC_PREFIX, "")  # the prefix goes with its Kafka
            origins[TOPIC_PREFIX] = _from_state(stack.state_file)
        else:
            values[TOPIC_PREFIX], origins[TOPIC_PREFIX] = "", _default("no prefix")
        return cls(values[DATABASE_URL], values[KAFKA_BOOTSTRAP_SERVERS], values[TOPIC_PREFIX], origins)

    def database_variable(self, service: str) -> str:
        """The variable that names `service`'s database: its own, or the server's."""
        own = f"{service.upper()}_DATABASE_URL"
        return own if os.environ.get(own) else DATABASE_URL

    def database_url(self, service: str) -> str:
        explicit = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if explicit:
            return explicit
        parts = urlsplit(self.database_server)
        return urlunsplit((parts.scheme, parts.netloc, f"/{service}", parts.query, parts.fragment))

    def origin(self, variable: str) -> Origin:
        """Where `variable`'s value came from (a service's own database URL: the environment)."""
        if variable in self.origins:
            return self.origins[variable]
        return FROM_ENVIRONMENT if os.environ.get(variable) else FROM_CALLER
