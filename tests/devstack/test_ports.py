"""The ports a stack hands out: last run's given back though its connections linger, and the gateway's
(chosen before the stack starts) never handed to a server that starts before the gateway."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from devstack import ports
from devstack.apps import AppSettings, check_gateway_port
from devstack.ports import LOOPBACK, claim_port, free_port, reserve_port


def a_port_left_in_time_wait() -> int:
    """A port outside the handed-out range that a server used and closed first, as a stopped server does."""
    with socket.create_server((LOOPBACK, 0)) as listener:
        port = int(listener.getsockname()[1])
        client = socket.create_connection((LOOPBACK, port))
        accepted, _ = listener.accept()
        accepted.close()  # the server's side closes first: its end of the connection waits (TIME_WAIT)
        client.close()
    return port


def test_last_runs_port_is_given_back_while_its_connections_linger():
    port = a_port_left_in_time_wait()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind((LOOPBACK, port))  # the case: a bind without SO_REUSEADDR is refused
    assert claim_port(port)
    assert not claim_port(port)  # and not twice


def test_a_port_something_listens_on_is_not_claimed():
    with socket.create_server((LOOPBACK, 0)) as listener:
        assert not claim_port(int(listener.getsockname()[1]))


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The ports free_port draws, in order (instead of at random)."""
    queue: list[int] = []
    monkeypatch.setattr(ports.random, "randint", lambda low, high: queue.pop(0))
    yield queue


def port_never_handed_out() -> int:
    """A free port the kernel picks (above the handed-out range), so free_port has not given it."""
    with socket.create_server((LOOPBACK, 0)) as listener:
        return int(listener.getsockname()[1])


def test_a_reserved_port_is_never_handed_out(draws: list[int]):
    reserved, other = port_never_handed_out(), port_never_handed_out()
    reserve_port(reserved)
    draws.extend([reserved, other])
    assert free_port() == other


def test_the_gateways_port_is_reserved_once_checked(draws: list[int]):
    gateway, other = port_never_handed_out(), port_never_handed_out()
    check_gateway_port(AppSettings(gateway_port=gateway))
    draws.extend([gateway, other])
    assert free_port() == other
