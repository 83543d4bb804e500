"""localstripe, a stateful fake of the Stripe API, as a managed server for tests and ``make run``.

The official ``stripe`` SDK talks to it unchanged once pointed at :attr:`LocalStripeServer.url`
(``STRIPE_API_BASE``) with any ``sk_test_`` key.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devstack.ports import LOOPBACK, free_port
from devstack.processes import ManagedProcess, ProcessSpec
from devstack.readiness import Probe, http_probe

API_KEY = "sk_test_12345"
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


class LocalStripeServer:
    """localstripe on ``127.0.0.1:<port>``, its log in ``work_dir``; state in memory (gone when it
    stops), or kept in ``store_path`` across runs (a ``make start`` stack's)."""

    def __init__(
        self,
        work_dir: Path,
        *,
        port: int | None = None,
        start_timeout: float = 30.0,
        store_path: Path | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.port = port or free_port()
        self.api_key = API_KEY
        self.store_path = store_path
        argv = [sys.executable, "-m", "devstack.localstripe_server", "--port", str(self.port)]
        if store_path is not None:
            argv += ["--store", str(store_path)]
        spec = ProcessSpec(
            name="localstripe",
            argv=argv,
            log_path=work_dir / "localstripe.log",
            cwd=work_dir,
            env={"PYTHONPATH": _pythonpath()},
            start_timeout=start_timeout,
            stop_timeout=10.0,
        )
        self.process = ManagedProcess(spec)

    @property
    def url(self) -> str:
        """The API base, e.g. ``http://127.0.0.1:PORT`` (``STRIPE_API_BASE``)."""
        return f"http://{LOOPBACK}:{self.port}"

    def processes(self) -> list[ManagedProcess]:
        """The server process."""
        return [self.process]

    async def start(self) -> None:
        """Start and wait until an authenticated API call answers 200."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        await self.process.start(self._probe())

    def stop(self) -> None:
        """Stop the server; its state is lost, unless kept in ``store_path``."""
        self.process.stop()

    def kill(self) -> None:
        """SIGKILL the server (fault tests)."""
        self.process.kill()

    def _probe(self) -> Probe:
        return http_probe(f"{self.url}/v1/customers", {"Authorization": f"Bearer {self.api_key}"})


def _pythonpath() -> str:
    """Make ``devstack`` importable in the child even without an installed package."""
    existing = os.environ.get("PYTHONPATH")
    return str(_PACKAGE_PARENT) if not existing else f"{_PACKAGE_PARENT}{os.pathsep}{existing}"
