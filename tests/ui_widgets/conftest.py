"""Plans small, large and hostile; helpers that act like a frontend (comm messages, threads)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from jupyter_plan.models import (
    Answer,
    Approach,
    Option,
    Plan,
    PlanStatus,
    Question,
    QuestionRecord,
    Revision,
    Step,
    Usage,
)

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)>'
CLICK = {"method": "custom", "content": {"event": "click"}}


def small_plan() -> Plan:
    return Plan(id="p-small", title="Say hello", goal="print hello")


def large_plan() -> Plan:
    statuses = ["done", "done", "in_progress", "failed", "skipped", "pending"]
    return Plan(
        id="p-large",
        title="Clean the sales data and chart monthly revenue",
        goal="clean sales.csv and chart revenue by month",
        status=PlanStatus.AWAITING_REVIEW,
        revisions=[
            Revision(number=1, markdown="# Clean v1"),
            Revision(number=2, markdown="# Clean v2", feedback="use parquet"),
        ],
        steps=[
            Step(
                id=f"S{i + 1}",
                title=f"Step number {i + 1}",
                description=f"Do part {i + 1} with `df.x < {i}`.",
                verification=f"check {i + 1}",
                status=status,
                note="timed out" if status == "failed" else None,
            )
            for i, status in enumerate(statuses * 2)
        ],
        approaches=[
            Approach(title="Pandas groupby", summary="simple and fast", recommended=True),
            Approach(title="SQL via duckdb", summary="more setup"),
        ],
        chosen_approach="pandas groupby",
        questions=[
            QuestionRecord(
                question=Question(
                    question="Which currency?",
                    header="Currency",
                    options=[Option(label="EUR"), Option(label="USD")],
                ),
                answer=Answer(header="Currency", selected=["EUR"]),
            )
        ],
        build_mode="auto_edit",
        model="openai/gpt-test",
        usage=Usage(prompt_tokens=12000, completion_tokens=345, cost_usd=0.0123),
        notebook_path="analysis.ipynb",
    )


def hostile_plan() -> Plan:
    """Every model-provided field carries markup that would run if not escaped."""
    question = Question(question=HOSTILE, header="<b>hdr</b>", type="text")
    return Plan(
        id="p-hostile",
        title=HOSTILE,
        goal=HOSTILE,
        status=PlanStatus.AWAITING_REVIEW,
        revisions=[Revision(number=1, markdown=HOSTILE)],
        steps=[
            Step(
                id="S1",
                title=HOSTILE,
                description=f"{HOSTILE}\n\n`code {HOSTILE}`",
                verification=HOSTILE,
                note=HOSTILE,
                status="failed",
            )
        ],
        approaches=[Approach(title=HOSTILE, summary=HOSTILE)],
        chosen_approach=HOSTILE,
        questions=[
            QuestionRecord(question=question, answer=Answer(header="<b>hdr</b>", text=HOSTILE))
        ],
        model=HOSTILE,
    )


def choice(header: str = "Format", multi: bool = False) -> Question:
    return Question(
        question=f"Pick the {header.lower()}",
        header=header,
        options=[Option(label="CSV", description="plain text"), Option(label="Parquet")],
        multiSelect=multi,
    )


def comm_message(data: dict[str, Any]) -> dict[str, Any]:
    """A ``comm_msg`` as the kernel hands it to a widget (what nbclient/the browser sends)."""
    return {"content": {"data": data}, "buffers": []}


def widget_tree(root: Any) -> Iterator[Any]:
    yield root
    for child in getattr(root, "children", ()):
        yield from widget_tree(child)


def widget_state(root: Any) -> dict[str, dict[str, Any]]:
    """``{comm id: state}`` like nbclient's ``NotebookClient.widget_state``."""
    return {w.model_id: w.get_state() for w in widget_tree(root)}


def find_live(state: dict[str, dict[str, Any]], css: str) -> str:
    """The comm id of the one enabled control with class ``css`` (how a kernel test finds it)."""
    found = [
        comm_id
        for comm_id, s in state.items()
        if css in s.get("_dom_classes", ()) and not s.get("disabled", False)
    ]
    assert len(found) == 1, f"{len(found)} live controls with class {css}"
    return found[0]


def send(root: Any, comm_id: str, data: dict[str, Any]) -> None:
    """Deliver a comm message to the widget with ``comm_id`` under ``root``."""
    (widget,) = [w for w in widget_tree(root) if w.model_id == comm_id]
    widget._handle_msg(comm_message(data))


def on_thread(action: Callable[[], object]) -> None:
    """Run ``action`` on another thread, as an ipykernel 7 subshell delivers comm messages."""
    thread = threading.Thread(target=action)
    thread.start()
    thread.join()


class Waiting:
    """A coroutine awaiting a person, stepped by hand up to its first suspension.

    It shows *where* an answer given on another thread resolves the future: right there on
    the clicking thread (wrong: an asyncio future belongs to its loop's thread), or queued
    onto the loop with ``call_soon_threadsafe`` (right) — with no timeout and no hang.
    """

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro = coro
        self.future: asyncio.Future[Any] = coro.send(None)  # the future it now waits on
        self.future._asyncio_future_blocking = False  # taken over, as a Task would

    @property
    def resolved_here(self) -> bool:
        return self.future.done()

    async def result(self) -> Any:
        await self.future  # the loop runs what was queued onto it
        try:
            self.coro.send(None)
        except StopIteration as stop:
            return stop.value
        raise AssertionError("the coroutine waits again after its answer")


@pytest.fixture
def callback_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """ipywidgets logs (and swallows) what a click handler raises: any such log fails."""
    caplog.set_level(logging.WARNING, logger="traitlets")
    yield
    errors = [r.getMessage() for r in caplog.records if r.name == "traitlets"]
    assert not errors, errors
