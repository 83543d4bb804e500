import pytest

pytest_plugins = ["devstack.pytest_plugin"]


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    """What every service a module starts with `tests.e2e.conftest.service_fixture` gets besides its
    own settings; a module overrides it (the anonymisation test: the privacy keys)."""
    return {}
