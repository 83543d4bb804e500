"""The `checkout_platform` fixture: ``pytest_plugins = ["checkout_platform.testing.pytest_plugin"]``.

One platform for the whole test session (starting it takes a minute); its containers are removed
when the session ends, whether the tests passed or failed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checkout_platform.testing.platform import CheckoutPlatform


@pytest.fixture(scope="session")
def checkout_platform() -> Iterator[CheckoutPlatform]:
    """The checkout platform in containers: `url`, `client_id`, `client_secret`,
    `kafka_bootstrap_servers`, `database_url`."""
    with CheckoutPlatform() as platform:
        yield platform
