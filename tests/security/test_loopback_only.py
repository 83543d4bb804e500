"""A development stack listens on loopback only (issue 22, point 7).

A service's own port answers `/metrics`, `/ready` and `/openapi.json` without a token, and the
stack runs with the development client secret: it is for this machine, never a network. So every
server `make run` starts (the services, the nginx gateway, PostgreSQL, Kafka, localstripe) binds
127.0.0.1, which this reads from the sockets the running processes really listen on.
"""

from __future__ import annotations

from ipaddress import IPv6Address, ip_address

import psutil

from devstack.stack import Stack


def is_loopback(address: str) -> bool:
    """127.0.0.0/8 or ::1, also as Java writes an IPv4 address on a dual-stack socket (::ffff:127.0.0.1)."""
    parsed = ip_address(address)
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped.is_loopback
    return parsed.is_loopback


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """The (address, port) pairs a process and its children listen on over TCP."""
    leader = psutil.Process(pid)
    addresses: set[tuple[str, int]] = set()
    for process in [leader, *leader.children(recursive=True)]:
        try:
            connections = process.net_connections(kind="inet")
        except psutil.NoSuchProcess:  # a worker that ended meanwhile
            continue
        addresses |= {
            (c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN and c.laddr
        }
    return addresses


async def test_every_server_of_the_development_stack_listens_on_loopback_only(gateway_stack: Stack) -> None:
    listening = {
        process.name: listening_addresses(process.pid)
        for process in gateway_stack.processes()
        if process.pid is not None and process.is_running()
    }
    assert {"gateway", "cart", "order", "payment", "inventory", "fulfillment"} <= set(listening), listening
    for name, addresses in listening.items():
        assert addresses, f"{name} listens on nothing we could see"
        assert all(is_loopback(address) for address, _ in addresses), (name, addresses)
