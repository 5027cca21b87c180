"""The approval-mode cycle (Alt+Shift+P, the status bar and toolbar items), decided here.

As in Gemini CLI the cycle is default → auto_edit → plan → default, and plan is left out
while the agent works or an approval is showing: switching to read-only under a running tool
call or an open confirmation would change the rules the person is answering under.

The kernel decides the next mode, not the panel: it knows at once when a run stops, and a
panel learns it only with the next ``state`` push, so a cycle pressed right after Stop used to
skip plan. The panel still guesses the same way (``labextension/src/sidebar/modes.ts``) to
show the change at once, and takes the kernel's answer. It sends the mode it showed when
pressed, and the kernel cycles from that one: two quick presses stay in step even when the
first answer is late or lost (each press is then as absolute as ``set_mode``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from jupyter_plan.policy.types import Mode
from jupyter_plan.ui import phases

if TYPE_CHECKING:
    from jupyter_plan.ui.state import RunState

CYCLE = (Mode.DEFAULT, Mode.AUTO_EDIT, Mode.PLAN)
_BUSY = phases.WORKING | {"confirming"}


def plan_blocked(runs: Iterable[RunState]) -> str | None:
    """Why plan is not offered now (a run works, or an approval shows), or None."""
    for run in runs:
        if not run.live:
            continue
        phase = run.shown_phase
        if run.approval is not None or phase == "confirming":
            return "an approval is showing"
        if phase in _BUSY:
            return "the agent is running"
    return None


def next_mode(shown: Mode | None, blocked: bool) -> Mode:
    """The mode after ``shown`` (None: unset; yolo is not in the cycle: both go to default)."""
    cycle = [m for m in CYCLE if not (blocked and m is Mode.PLAN)]
    if shown not in cycle:
        return Mode.DEFAULT
    return cycle[(cycle.index(shown) + 1) % len(cycle)]
