"""What the magics decide before any run starts (the runs themselves: tests/kernel)."""

from __future__ import annotations

import argparse

import pytest

from jupyter_plan.models import Plan
from jupyter_plan.notebook.commands import build_mode
from jupyter_plan.policy.types import Mode


def _args(auto_edit: bool = False, manual: bool = False) -> argparse.Namespace:
    return argparse.Namespace(auto_edit=auto_edit, manual=manual)


APPROVED = Plan(id="p", title="P", goal="P", build_mode="auto_edit")
UNCHOSEN = Plan(id="p", title="P", goal="P")


@pytest.mark.parametrize(
    ("args", "session", "plan", "default", "expected"),
    [
        (_args(auto_edit=True), Mode.PLAN, APPROVED, "default", Mode.AUTO_EDIT),  # flag first
        (_args(manual=True), Mode.YOLO, APPROVED, "default", Mode.DEFAULT),
        (_args(), Mode.PLAN, APPROVED, "default", Mode.PLAN),  # then %plan mode / sidebar
        (_args(), None, APPROVED, "plan", None),  # then the approval (the builder reads it)
        (_args(), None, UNCHOSEN, "plan", Mode.PLAN),  # then the settings' default
        (_args(), None, UNCHOSEN, "default", Mode.DEFAULT),
    ],
)
def test_build_mode_precedence(
    args: argparse.Namespace, session: Mode | None, plan: Plan, default: str, expected: Mode | None
) -> None:
    assert build_mode(args, session, plan, default) == expected
