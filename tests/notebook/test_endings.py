"""How a run's end shows on its card (a real ``RunState``) and in its cell."""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_plan.models import Plan, PlanStatus
from jupyter_plan.notebook.endings import ended, stopped
from jupyter_plan.ui.state import RunState

PLAN = Plan(id="p", title="P", goal="P", status=PlanStatus.APPROVED)


class Handle:
    def __init__(self) -> None:
        self.shown: list[Any] = []

    def update(self, value: Any) -> None:
        self.shown.append(value)


class Session:
    changes = 0

    def changed(self) -> None:
        self.changes += 1


def test_an_ended_run_is_decided_on_the_card_and_handed_to_the_cell() -> None:
    card = RunState()
    ended(card, PLAN)
    assert (card.phase, card.plan, card.handed_over) == ("approved", PLAN, True)
    answered = RunState()
    ended(answered, None)
    assert (answered.phase, answered.handed_over) == ("answered", True)
    built = RunState(kind="build")
    ended(built, PLAN, "1 cell inserted")
    assert (built.phase, built.summary, built.handed_over) == ("built", "1 cell inserted", True)
    ended(None, PLAN)  # headless: no card, nothing to do


def test_a_stopped_run_is_said_once_on_the_card_with_what_is_kept() -> None:
    card, handle, session = RunState(), Handle(), Session()
    stopped(session, handle, card, "Stopped; the draft is kept.")(asyncio.CancelledError())
    assert (card.phase, card.error, card.handed_over) == (
        "stopped",
        "Stopped; the draft is kept.",
        False,
    )
    assert [h.data for h in handle.shown] == [""]  # the cell shows nothing more
    assert session.changes == 1
    failed = RunState()
    stopped(session, Handle(), failed, "Stopped.")(RuntimeError("the model is down"))
    assert failed.phase == "failed" and "the model is down" in failed.error
    headless = Handle()
    stopped(session, headless, None, "Stopped.")(RuntimeError("x"))  # the UsageError says it
    assert [h.data for h in headless.shown] == [""] and session.changes == 3
