"""The platform's services: one package each, every one assembled the same way.

Each `services/<name>/` has the same top-level files, so a tool finds a service from its name alone
(`checkout_admin.registry`, `devstack.apps`), with no table of module paths or class names:

- `settings.py`: `Settings`, what the service reads from the environment (a
  `shared.settings.ServiceSettings`: the common variables plus the service's own);
- `bootstrap.py`, the composition root: `build_runtime(settings)`, the service's
  `shared.runtime.ServiceRuntime` (tables, projections, the consumers its `adapters/consumers.py`
  builds with `build_<name>_consumer(...)`, what it publishes, its background tasks), which the tools
  build without starting; and `create_app(settings=None)`, the HTTP app that runs that runtime;
- `__main__.py`: `python -m services.<name>` serves `create_app(Settings())`.

Inside, the layers are `domain/`, `application/`, `adapters/` and `projections/`.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.settings import ServiceSettings

SERVICES: tuple[str, ...] = ("cart", "order", "payment", "inventory", "fulfillment")
"""Every service of the platform, in the order a stack starts them."""


def settings_class(name: str) -> type[ServiceSettings]:
    """`services.<name>.settings.Settings` (importing only the settings module)."""
    cls: type[ServiceSettings] = importlib.import_module(f"services.{name}.settings").Settings
    return cls


def bootstrap(name: str) -> ModuleType:
    """`services.<name>.bootstrap`: its `build_runtime(settings)` and `create_app(settings)`."""
    return importlib.import_module(f"services.{name}.bootstrap")
