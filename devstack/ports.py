"""Free loopback ports for servers we start.

Ports are drawn at random below Linux's ephemeral range (32768+), where outgoing client connections
cannot grab them between the moment we pick a port and the moment the server binds it; ports already
handed out by this process are never handed out again.
"""

from __future__ import annotations

import random
import socket
import threading

LOOPBACK = "127.0.0.1"
_RANGE = (20000, 32000)
_given: set[int] = set()
_lock = threading.Lock()


def _bindable(port: int, host: str, *, reuse_address: bool = False) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = LOOPBACK) -> int:
    """Return a port on ``host`` that nothing listens on now and that we have not handed out before."""
    with _lock:
        for _ in range(500):
            port = random.randint(*_RANGE)
            if port not in _given and _bindable(port, host):
                _given.add(port)
                return port
    raise RuntimeError(f"no free TCP port found on {host} in {_RANGE[0]}-{_RANGE[1]}")


def claim_port(port: int, host: str = LOOPBACK) -> bool:
    """Take ``port`` if nothing listens on it and we have not handed it out (a stack's port of last time).

    Tested with ``SO_REUSEADDR``, as every server we start binds: the last run's connections leave the
    port in TIME_WAIT for a minute, which stops a plain bind but not the server's.
    """
    with _lock:
        if port in _given or not _bindable(port, host, reuse_address=True):
            return False
        _given.add(port)
        return True


def reserve_port(port: int) -> None:
    """Never hand out ``port``: it was chosen elsewhere (``GATEWAY_PORT``) for a server that starts later."""
    with _lock:
        _given.add(port)


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """Return ``count`` distinct free ports (see :func:`free_port`)."""
    return [free_port(host) for _ in range(count)]
