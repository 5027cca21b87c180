"""Make any attempt to reach a real model provider from a test fail loudly.

While a :class:`NetworkGuard` is active, sockets may connect only to loopback addresses
(127.0.0.0/8, ::1, ``localhost``) or Unix sockets, and only loopback names resolve. Anything
else raises :class:`NetworkBlockedError` naming the host — and is remembered, so a library that
swallows the error (and retries, or falls back) still fails the test in :meth:`check`.

In a ``conftest.py``::

    import pytest
    from jupyter_plan.testing.guard import loopback_only_fixture

    no_real_network = pytest.fixture(autouse=True)(loopback_only_fixture)

The patches are process-wide (every thread), stack when nested, and undo on exit.
Subprocesses are not covered.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, Self
from unittest import mock

__all__ = ["NetworkBlockedError", "NetworkGuard", "is_loopback", "loopback_only_fixture"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_HINT = (
    "tests may only reach 127.0.0.1, ::1 or localhost; point the client at "
    "jupyter_plan.testing.fake_server.FakeModelServer (api_base=srv.base_url)"
)


class NetworkBlockedError(RuntimeError):
    """A test tried to reach a non-loopback host.

    Not an ``OSError`` on purpose: network libraries treat those as transient and retry or
    try the next address; this must surface as a bug.
    """


def is_loopback(host: str | bytes | None) -> bool:
    """True for loopback IP literals (v4, v6, v4-mapped) and the ``localhost`` names."""
    if not host:
        return True  # None or "": a passive lookup / this host's wildcard address
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = host.strip("[]").split("%", 1)[0].lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name other than localhost
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_loopback or (mapped is not None and mapped.is_loopback)


def _is_ip_literal(host: str | bytes) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _resolve_through_python(stack: ExitStack) -> None:
    """aiohttp resolves names with c-ares when aiodns is installed: DNS queries the patches
    above never see. While guarded, it resolves through ``socket.getaddrinfo`` instead."""
    try:
        import aiohttp.connector
        import aiohttp.resolver
    except ImportError:
        return
    threaded = aiohttp.resolver.ThreadedResolver
    stack.enter_context(mock.patch.object(aiohttp.connector, "DefaultResolver", threaded))
    stack.enter_context(mock.patch.object(aiohttp.resolver, "DefaultResolver", threaded))


class NetworkGuard:
    """Context manager: allow only loopback connections while active; record every refusal."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._lock = threading.Lock()
        self._stack: ExitStack | None = None

    def __enter__(self) -> Self:
        if self._stack is not None:
            raise RuntimeError("NetworkGuard is already active")
        stack = ExitStack()
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_create_connection = socket.create_connection
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname
        real_gethostbyname_ex = socket.gethostbyname_ex
        guard = self

        def connect(sock: socket.socket, address: Any) -> None:
            guard._check_address(sock, address)
            return real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            guard._check_address(sock, address)
            return real_connect_ex(sock, address)

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
            guard._check_host(address[0], address[1], "connect to")
            return real_create_connection(address, *args, **kwargs)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            guard._check_lookup(host, port)
            return real_getaddrinfo(host, port, *args, **kwargs)

        def gethostbyname(host: str) -> str:
            guard._check_lookup(host, None)
            return real_gethostbyname(host)

        def gethostbyname_ex(host: str) -> Any:
            guard._check_lookup(host, None)
            return real_gethostbyname_ex(host)

        for target, name, new in (
            (socket.socket, "connect", connect),
            (socket.socket, "connect_ex", connect_ex),
            (socket, "create_connection", create_connection),
            (socket, "getaddrinfo", getaddrinfo),
            (socket, "gethostbyname", gethostbyname),
            (socket, "gethostbyname_ex", gethostbyname_ex),
        ):
            stack.enter_context(mock.patch.object(target, name, new))
        _resolve_through_python(stack)
        self._stack = stack
        return self

    def __exit__(self, *exc: object) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def check(self) -> None:
        """Raise if anything was blocked, even if the code under test swallowed the error."""
        with self._lock:
            blocked = list(self.violations)
        if blocked:
            lines = "\n  ".join(blocked)
            raise NetworkBlockedError(f"real network access was attempted:\n  {lines}\n{_HINT}")

    # checks --------------------------------------------------------------------------

    def _check_address(self, sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return  # Unix sockets (and the like) stay on this machine
        if isinstance(address, tuple) and address:
            self._check_host(address[0], address[1] if len(address) > 1 else None, "connect to")

    def _check_host(self, host: Any, port: Any, action: str) -> None:
        if not is_loopback(host):
            self._block(host, port, action)

    def _check_lookup(self, host: Any, port: Any) -> None:
        # IP literals need no DNS: a non-loopback one is refused when connecting.
        if host is None or is_loopback(host) or _is_ip_literal(host):
            return
        self._block(host, port, "resolve")

    def _block(self, host: Any, port: Any, action: str) -> None:
        target = f"{host}:{port}" if port is not None else str(host)
        message = f"jupyter-plan test guard: blocked an attempt to {action} {target}"
        with self._lock:
            self.violations.append(message)
        raise NetworkBlockedError(f"{message} — {_HINT}")


def loopback_only_fixture() -> Iterator[NetworkGuard]:
    """Body of a pytest fixture: guard the test, then fail it if anything was blocked."""
    with NetworkGuard() as guard:
        yield guard
    guard.check()
