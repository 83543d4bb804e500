"""The platform's services for the tools: each one's settings, runtime (built, never started) and app.

Found by convention (`services/__init__.py`): a name in `services.SERVICES` is a package with
`settings.Settings` and `bootstrap.build_runtime` / `bootstrap.create_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

import services
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceEntry:
    name: str

    def settings(self, database_url: str, kafka: str, topic_prefix: str) -> ServiceSettings:
        """Its `Settings`, from the environment but for these three."""
        return services.settings_class(self.name)(
            database_url=database_url, kafka_bootstrap_servers=kafka, topic_prefix=topic_prefix
        )

    def build(self, database_url: str, kafka: str, topic_prefix: str) -> ServiceRuntime:
        """Its runtime, built (not started) with these connection settings."""
        build: Callable[[Any], ServiceRuntime] = services.bootstrap(self.name).build_runtime
        return build(self.settings(database_url, kafka, topic_prefix))

    def app(self, database_url: str, kafka: str, topic_prefix: str) -> FastAPI:
        """Its HTTP app, built (not started) with these connection settings."""
        create: Callable[[Any], FastAPI] = services.bootstrap(self.name).create_app
        return create(self.settings(database_url, kafka, topic_prefix))


SERVICES = {name: ServiceEntry(name) for name in services.SERVICES}
