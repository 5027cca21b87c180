"""The network guard: loopback passes, anything else fails loudly and is remembered."""

from __future__ import annotations

import contextlib
import json
import socket
import urllib.request

import pytest

from jupyter_plan.testing.fake_server import FakeModelServer, text
from jupyter_plan.testing.guard import (
    NetworkBlockedError,
    NetworkGuard,
    is_loopback,
    loopback_only_fixture,
)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("api.localhost", True),
        (b"127.0.0.1", True),
        (None, True),
        ("", True),
        ("10.0.0.5", False),
        ("8.8.8.8", False),
        ("::ffff:8.8.8.8", False),
        ("api.openai.com", False),
        ("localhost.evil.com", False),
    ],
)
def test_is_loopback(host: str | bytes | None, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_the_suite_runs_under_the_guard() -> None:
    assert socket.getaddrinfo.__module__ == "jupyter_plan.testing.guard"
    assert socket.socket.connect.__module__ == "jupyter_plan.testing.guard"


def test_loopback_traffic_passes() -> None:
    with NetworkGuard() as guard, FakeModelServer([text("hi")]) as srv:
        body = json.dumps({"model": "fake", "messages": []}).encode()
        url = f"http://localhost:{srv.port}/v1/chat/completions"
        reply = json.load(urllib.request.urlopen(urllib.request.Request(url, data=body)))
    assert reply["choices"][0]["message"]["content"] == "hi"
    assert socket.getaddrinfo("127.0.0.1", 80)  # IP literals need no DNS
    assert guard.violations == []
    guard.check()


def test_resolving_a_provider_is_blocked_and_named() -> None:
    with NetworkGuard() as guard:
        with pytest.raises(NetworkBlockedError, match=r"resolve api\.openai\.com:443"):
            socket.getaddrinfo("api.openai.com", 443)
        with pytest.raises(NetworkBlockedError, match=r"api\.anthropic\.com:443"):
            socket.create_connection(("api.anthropic.com", 443))
        with pytest.raises(NetworkBlockedError, match="generativelanguage"):
            socket.gethostbyname("generativelanguage.googleapis.com")
    assert len(guard.violations) == 3


@pytest.mark.parametrize("address", [("203.0.113.7", 443), ("2001:db8::1", 443, 0, 0)])
def test_connecting_to_a_remote_ip_is_blocked(address: tuple[object, ...]) -> None:
    family = socket.AF_INET6 if ":" in str(address[0]) else socket.AF_INET
    with NetworkGuard() as guard, socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlockedError, match=str(address[0])):
            sock.connect(address)
        with pytest.raises(NetworkBlockedError):
            sock.connect_ex(address)
    assert len(guard.violations) == 2


def test_check_fails_even_when_the_error_was_swallowed() -> None:
    # A library that swallows the error and "falls back" still fails the test.
    with NetworkGuard() as guard, contextlib.suppress(Exception):
        socket.create_connection(("example.com", 80))
    with pytest.raises(NetworkBlockedError, match=r"example\.com:80"):
        guard.check()


def test_patches_are_undone_and_nest() -> None:
    before = (socket.socket.connect, socket.getaddrinfo, socket.create_connection)
    with NetworkGuard() as outer:
        with NetworkGuard() as inner, pytest.raises(NetworkBlockedError):
            socket.getaddrinfo("example.org", 443)
        assert (inner.violations, outer.violations) == ([inner.violations[0]], [])
    assert (socket.socket.connect, socket.getaddrinfo, socket.create_connection) == before


def test_fixture_helper_checks_on_teardown() -> None:
    steps = loopback_only_fixture()
    guard = next(steps)
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("example.net", 443)
    assert guard.violations
    with pytest.raises(NetworkBlockedError, match=r"example\.net"):
        next(steps)
