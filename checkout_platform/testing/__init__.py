"""Test your system against the checkout platform running in containers (testcontainers).

    from checkout_platform.testing import CheckoutPlatform

    with CheckoutPlatform() as platform:
        platform.url, platform.client_id, platform.client_secret
        platform.kafka_bootstrap_servers, platform.database_url

Or with pytest: ``pytest_plugins = ["checkout_platform.testing.pytest_plugin"]`` and the
``checkout_platform`` fixture (one platform per test session). Nothing of the services is imported:
the platform is reached only over HTTP and Kafka, as another system reaches it.
"""

from __future__ import annotations

from checkout_platform.testing.engine import NoDockerEngine
from checkout_platform.testing.platform import SERVICES, CheckoutPlatform, PlatformNotReady

__all__ = ["SERVICES", "CheckoutPlatform", "NoDockerEngine", "PlatformNotReady"]
