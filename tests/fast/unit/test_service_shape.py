"""Every service is assembled the same way (`services/__init__.py`), so the tools find each by its name:
`settings.Settings`, `bootstrap.build_runtime` / `bootstrap.create_app`, and one `__main__.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

import services
from services import SERVICES, bootstrap, settings_class
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings

ROOT = Path(services.__file__).parent
UNUSED = {"database_url": "postgresql://unused/x", "kafka_bootstrap_servers": "unused:9092"}
SKELETON = ("__init__.py", "__main__.py", "settings.py", "bootstrap.py")


def test_the_list_names_every_service_package():
    packages = {path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()}
    assert packages == set(SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_the_same_top_level_files(name: str):
    top = {path.name for path in (ROOT / name).glob("*.py")}
    assert top == set(SKELETON), f"services/{name}: {sorted(top ^ set(SKELETON))}"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_built_from_its_settings_and_bootstrap(name: str):
    cls = settings_class(name)
    assert cls.__name__ == "Settings" and issubclass(cls, ServiceSettings)
    settings = cls(**UNUSED)
    assert settings.service_name == name
    module = bootstrap(name)
    runtime = module.build_runtime(settings)
    assert isinstance(runtime, ServiceRuntime) and runtime.name == name
    again = module.build_runtime(settings)
    assert runtime.consumers and not set(map(id, runtime.consumers)) & set(map(id, again.consumers))
    assert isinstance(module.create_app(settings), FastAPI)


def test_every_main_is_the_same_but_for_the_service_name():
    texts = {(ROOT / name / "__main__.py").read_text().replace(name, "<name>") for name in SERVICES}
    assert len(texts) == 1, texts
