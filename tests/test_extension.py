"""``%load_ext jupyter_plan`` in a kernel: the comm target, and a ring for tabs already open."""

from __future__ import annotations

from typing import Any

import comm
import pytest

import jupyter_plan
from jupyter_plan.bridge.base import PROTOCOL_VERSION


class FakeManager:
    def __init__(self) -> None:
        self.targets: dict[str, Any] = {}

    def register_target(self, name: str, handler: Any) -> None:
        self.targets[name] = handler


class Doorbell:
    def __init__(self, target_name: str, data: dict[str, Any]) -> None:
        self.target_name, self.data, self.closed = target_name, data, False

    def close(self) -> None:
        self.closed = True


class FakeShell:
    kernel = object()  # "in a kernel"

    def __init__(self) -> None:
        self.magics: list[Any] = []

    def register_magics(self, magics: Any) -> None:
        self.magics.append(magics)


def test_load_ext_registers_the_target_and_rings_open_tabs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager, rung = FakeManager(), []
    monkeypatch.setattr(comm, "get_comm_manager", lambda: manager)
    monkeypatch.setattr(comm, "create_comm", lambda **kw: rung.append(Doorbell(**kw)) or rung[-1])
    jupyter_plan.load_ipython_extension(FakeShell())
    assert list(manager.targets) == ["jupyter_plan"]
    [bell] = rung
    assert bell.target_name == "jupyter_plan"
    assert bell.data == {"op": "announce", "protocol": PROTOCOL_VERSION}
    assert bell.closed  # opened and hung up: the ring is the message


def test_a_failed_ring_does_not_fail_load_ext(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = FakeManager()

    def broken(**kw: Any) -> Any:
        raise RuntimeError("no frontend")

    monkeypatch.setattr(comm, "get_comm_manager", lambda: manager)
    monkeypatch.setattr(comm, "create_comm", broken)
    jupyter_plan.load_ipython_extension(FakeShell())
    assert "jupyter_plan" in manager.targets


def test_the_protocol_version_is_stated_once_in_effect() -> None:
    assert jupyter_plan._PROTOCOL_VERSION == PROTOCOL_VERSION
