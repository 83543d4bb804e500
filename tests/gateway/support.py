"""Helpers for the gateway tests: fake upstreams that report what nginx sent them, and a lone gateway."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack.apps import AppSettings, gateway_process
from devstack.ports import LOOPBACK, free_port
from devstack.processes import ManagedProcess
from devstack.readiness import tcp_probe

EP_ERROR_KEYS = {"status", "title", "detail"}


async def access_logged(access_log: Path, text: str, timeout: float = 30.0) -> bool:
    """Wait for `text` in nginx's access log: nginx writes the line after the response has gone."""
    deadline = asyncio.get_running_loop().time() + timeout
    while text not in await asyncio.to_thread(access_log.read_text):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


@dataclass
class Seen:
    """One request as an upstream received it."""

    method: str
    target: str
    headers: dict[str, str]
    body_length: int
    peer_port: int


@dataclass
class EchoUpstream:
    """A stand-in service: answers 200 with its name and what it received, and remembers each request."""

    name: str
    seen: list[Seen] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn does

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                seen = Seen(self.command, self.path, dict(self.headers), length, self.client_address[1])
                upstream.seen.append(seen)
                body = json.dumps({"service": upstream.name, "target": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self._server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


async def start_gateway(work_dir: Path, upstreams: Mapping[str, str]) -> tuple[ManagedProcess, str]:
    """nginx as ``make run`` configures it, for ``upstreams`` only, on a free port; ready once it listens."""
    settings = AppSettings(gateway_port=free_port())
    app = gateway_process(work_dir, settings, upstreams)
    process = ManagedProcess(app.spec)
    await process.start(tcp_probe(LOOPBACK, settings.gateway_port))
    return process, settings.gateway_url


@asynccontextmanager
async def gateway_before_echoes(
    work_dir: Path, names: Iterable[str]
) -> AsyncIterator[tuple[str, dict[str, EchoUpstream], ManagedProcess]]:
    """A lone gateway in front of an echoing upstream per service in ``names`` (the others do not
    run); yields its URL, the upstreams and its process, and stops them all after."""
    upstreams = {name: EchoUpstream(name) for name in names}
    process, url = await start_gateway(work_dir, {name: u.address for name, u in upstreams.items()})
    try:
        yield url, upstreams, process
    finally:
        process.stop()
        for upstream in upstreams.values():
            upstream.close()


def assert_ep_error(body: Any, status: int, title: str) -> dict[str, Any]:
    """``body`` is Elastic Path's error document with exactly one error of ``status`` and ``title``."""
    assert isinstance(body, dict) and set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert set(error) == EP_ERROR_KEYS, error
    assert (error["status"], error["title"]) == (status, title), error
    assert isinstance(error["detail"], str) and error["detail"]
    result: dict[str, Any] = error
    return result
