"""What each running service was started with, read from its process environment.

A service's port, database and topic prefix are not in devstack's state file, but the variables
devstack starts it with (``HTTP_PORT``, ``DATABASE_URL``, ``TOPIC_PREFIX``) are, and /proc shows them
to the same user.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import psutil

from devstack.apps import SERVICES
from devstack.state import StackState


def service_environs(state: StackState) -> dict[str, dict[str, str]]:
    """Each running service's environment, by service name."""
    found: dict[str, dict[str, str]] = {}
    for record in state.apps:
        if record.name not in SERVICES:
            continue
        try:
            found[record.name] = psutil.Process(record.pid).environ()
        except psutil.Error:
            continue
    return found


def service_urls(state: StackState) -> dict[str, str]:
    """Each running service's own base URL (behind the gateway)."""
    urls: dict[str, str] = {}
    for name, environ in service_environs(state).items():
        host, port = environ.get("HTTP_HOST", "127.0.0.1"), environ.get("HTTP_PORT")
        if port:
            urls[name] = f"http://{host}:{port}"
    return urls


def service_databases(state: StackState) -> list[str]:
    """The database each running service owns (the path of its ``DATABASE_URL``)."""
    names = {
        unquote(urlsplit(environ["DATABASE_URL"]).path.lstrip("/"))
        for environ in service_environs(state).values()
        if environ.get("DATABASE_URL")
    }
    return sorted(n for n in names if n)


def topic_prefix(state: StackState) -> str:
    """``TOPIC_PREFIX`` of the stack: the state's, else the services' (they all share one)."""
    if "TOPIC_PREFIX" in state.env:
        return state.env["TOPIC_PREFIX"]
    for environ in service_environs(state).values():
        return environ.get("TOPIC_PREFIX", "")
    return ""
