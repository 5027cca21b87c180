"""The approval-mode cycle, decided by the kernel: the ``cycle_mode`` op and its rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from jupyter_plan.notebook.mode_cycle import next_mode, plan_blocked
from jupyter_plan.policy.types import Mode
from jupyter_plan.ui.state import RunState

from .test_sidebar import Panel, _open, _settled


def _run(phase: str) -> RunState:
    run = RunState()
    run.phase = phase
    return run


@pytest.fixture
def panel(tmp_path: Path) -> Panel:
    return _open(tmp_path)


@dataclass
class _Human:
    """What the sidebar reads of a run's human: its state."""

    state: RunState


@pytest.mark.parametrize(
    ("shown", "blocked", "expected"),
    [
        (None, False, Mode.DEFAULT),
        (Mode.DEFAULT, False, Mode.AUTO_EDIT),
        (Mode.AUTO_EDIT, False, Mode.PLAN),
        (Mode.PLAN, False, Mode.DEFAULT),
        (Mode.YOLO, False, Mode.DEFAULT),
        (Mode.AUTO_EDIT, True, Mode.DEFAULT),  # plan is skipped while the agent works
        (Mode.PLAN, True, Mode.DEFAULT),
    ],
)
def test_the_cycle(shown: Mode | None, blocked: bool, expected: Mode) -> None:
    assert next_mode(shown, blocked) is expected


@pytest.mark.parametrize(
    ("phase", "why"),
    [
        ("starting", "the agent is running"),
        ("working", "the agent is running"),
        ("building", "the agent is running"),
        ("confirming", "an approval is showing"),
        ("asking", None),  # waiting for the person's answer: nothing runs
        ("awaiting_review", None),
        ("stopped", None),
        ("failed", None),
    ],
)
def test_which_runs_block_plan(phase: str, why: str | None) -> None:
    assert plan_blocked([_run(phase)]) == why


async def test_cycle_mode_goes_round_and_pushes_the_mode(panel: Panel) -> None:
    panel.connection.open()
    seen = []
    for _ in range(4):
        reply = await panel.click("cycle_mode")
        assert reply["ok"] is True, reply
        seen.append(reply["result"]["mode"])
    assert seen == ["default", "auto_edit", "plan", "default"]
    await _settled()
    assert panel.states()[-1]["mode"] == "default"


async def test_plan_is_offered_again_the_moment_a_run_stops(panel: Panel) -> None:
    panel.connection.open()
    run = _run("working")
    panel.session.humans.append(_Human(run))
    panel.session.mode = Mode.AUTO_EDIT
    assert (await panel.click("cycle_mode"))["result"]["mode"] == "default"  # plan skipped
    assert (await panel.click("cycle_mode"))["result"]["mode"] == "auto_edit"
    run.phase = "stopped"  # no push has reached the panel yet: the kernel knows already
    assert (await panel.click("cycle_mode"))["result"]["mode"] == "plan"


async def test_the_cycle_goes_on_from_the_mode_the_panel_showed(panel: Panel) -> None:
    panel.connection.open()
    panel.session.mode = Mode.DEFAULT  # an earlier press never reached the kernel
    reply = await panel.click("cycle_mode", **{"from": "auto_edit"})
    assert reply["result"]["mode"] == "plan"
    assert (await panel.click("cycle_mode", **{"from": None}))["result"]["mode"] == "default"
    bad = await panel.click("cycle_mode", **{"from": "sideways"})
    assert bad["ok"] is False and "'sideways'" in bad["error"]["message"]
    assert panel.session.mode is Mode.DEFAULT


async def test_the_cycle_starts_from_the_settings_mode_when_none_is_set(tmp_path: Path) -> None:
    (tmp_path / ".jupyter_plan").mkdir()
    (tmp_path / ".jupyter_plan" / "settings.json").write_text(
        json.dumps({"default_approval_mode": "plan"})
    )
    panel = _open(tmp_path)
    panel.connection.open()
    assert (await panel.click("cycle_mode"))["result"]["mode"] == "default"  # plan → default
