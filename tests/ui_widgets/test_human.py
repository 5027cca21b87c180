"""ui/human.py: WidgetHuman end to end: an agent task awaits, a person answers over comm.

The person reacts to what the container shows, on other threads (as ipykernel 7 subshells
deliver comm messages), after the agent has started waiting.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from jupyter_plan.agent.loop import LoopEvent
from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    Confirmation,
    Plan,
    ReviewDecision,
)
from jupyter_plan.ui import approval, question, review
from jupyter_plan.ui.approval import ApprovalCard
from jupyter_plan.ui.human import WidgetHuman
from jupyter_plan.ui.question import QuestionCard

from .conftest import CLICK, Waiting, choice, find_live, large_plan, send, widget_state

pytestmark = pytest.mark.usefixtures("callback_errors")

Action = Callable[[Any], None]
T = TypeVar("T")


class Person:
    """Plays ``script`` (one action per card or review shown) on fresh threads, each started
    once the agent's task has suspended to wait for it. An action that fails, or leaves the
    widget undecided, cancels the agent: the test fails instead of waiting forever."""

    def __init__(self, human: WidgetHuman, script: list[Action]) -> None:
        self.human, self.script = human, deque(script)
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.loop = asyncio.get_running_loop()
        self.agent: asyncio.Future[Any] | None = None
        human.cards.observe(lambda change: self._next(change["new"][-1]), "children")
        human.review_widget.observe(self._on_review, "awaiting")

    async def run(self, agent: Coroutine[Any, Any, T]) -> T:
        self.agent = task = asyncio.ensure_future(agent)
        try:
            return await task
        except asyncio.CancelledError:
            raise AssertionError(f"the person failed: {self.errors!r}") from None
        finally:
            for thread in self.threads:
                thread.join()
            assert not self.script, f"{len(self.script)} actions were never needed"

    def _on_review(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._next(self.human.review_widget)

    def _next(self, widget: Any) -> None:
        action = self.script.popleft()
        thread = threading.Thread(target=self._act, args=(action, widget))
        self.threads.append(thread)
        self.loop.call_soon(thread.start)  # after the agent task has suspended

    def _act(self, action: Action, widget: Any) -> None:
        try:
            action(widget)
            decided = not widget.awaiting if widget is self.human.review_widget else widget.locked
            assert decided, f"{type(widget).__name__} is still waiting after the action"
        except BaseException as exc:
            self.errors.append(exc)
            assert self.agent is not None
            self.loop.call_soon_threadsafe(self.agent.cancel)


def click(css: str) -> Action:
    def action(widget: Any) -> None:
        send(widget, find_live(widget_state(widget), css), CLICK)

    return action


def update(css: str, value: object) -> Action:
    def action(widget: Any) -> None:
        send(
            widget,
            find_live(widget_state(widget), css),
            {"method": "update", "state": {"value": value}},
        )

    return action


def then(*actions: Action) -> Action:
    def action(widget: Any) -> None:
        for a in actions:
            a(widget)

    return action


def choose_option(label: str) -> Action:
    def action(widget: Any) -> None:
        state = widget_state(widget)
        (comm_id,) = [
            c
            for c, s in state.items()
            if question.CLASSES["option"] in s["_dom_classes"] and s["description"] == label
        ]
        send(widget, comm_id, {"method": "update", "state": {"value": True}})

    return action


REQUEST = ApprovalRequest(
    tool="run_cell", args={"cell_id": "c2"}, reason="runs ask in default mode", preview="df.plot()",
    preview_kind="code",
)  # fmt: skip


async def test_plan_questions_review_iterate_approve_and_confirm() -> None:
    human = WidgetHuman(title="Sales")
    rev2 = large_plan().model_copy(update={"title": "Revision 2"})
    person = Person(
        human,
        [
            then(choose_option("Parquet"), click(question.CLASSES["submit"])),
            then(
                click(review.BUTTON_CLASSES["iterate"]),
                update("jp-plan-feedback", "merge steps 2 and 3"),
                click(review.BUTTON_CLASSES["send"]),
            ),
            click(review.BUTTON_CLASSES["approve_default"]),
            click(approval.CLASSES["build"]),
            then(update(approval.CLASSES["reason"], "not now"), click(approval.CLASSES["deny"])),
        ],
    )

    async def agent() -> tuple[Any, ...]:
        answers = await human.ask([choice("Format")])
        first = await human.review(large_plan())
        second = await human.review(rev2)
        return answers, first, second, await human.confirm(REQUEST), await human.confirm(REQUEST)

    answers, first, second, allowed, denied = await person.run(agent())
    assert answers == [Answer(header="Format", selected=["Parquet"])]
    assert first == ReviewDecision(action="iterate", feedback="merge steps 2 and 3")
    assert second == ReviewDecision(action="approve", build_mode="default")
    assert allowed == Confirmation(allow=True, scope="build")
    assert denied == Confirmation(allow=False, reason="not now")
    cards = human.shown
    assert [type(c) for c in cards] == [QuestionCard, ApprovalCard, ApprovalCard]
    assert all(c.locked for c in cards)
    assert "Revision 2" in human.review_widget.plan_view.value
    assert not human.review_widget.awaiting
    assert "Approved — review each edit" in human.review_widget.outcome_view.value


async def test_an_interrupt_locks_the_card_it_was_waiting_on() -> None:
    human = WidgetHuman()
    shown = asyncio.Event()
    human.cards.observe(lambda _change: shown.set(), "children")
    task = asyncio.ensure_future(human.confirm(REQUEST))
    await shown.wait()
    task.cancel()  # what a kernel interrupt does to the agent task
    with pytest.raises(asyncio.CancelledError):
        await task
    (card,) = human.shown
    assert card.locked and card.confirmation is None
    assert "Interrupted" in card.outcome_view.value


async def test_an_interrupted_review_locks_the_buttons() -> None:
    human = WidgetHuman()
    presented = asyncio.Event()
    human.review_widget.observe(lambda _change: presented.set(), "awaiting")
    task = asyncio.ensure_future(human.review(large_plan()))
    await presented.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not human.review_widget.awaiting
    assert all(b.disabled for b in human.review_widget.buttons.values())


async def test_no_questions_no_card() -> None:
    human = WidgetHuman()
    assert await human.ask([]) == []
    assert human.shown == ()


async def test_status_line_and_display() -> None:
    human = WidgetHuman()
    human.on_event(LoopEvent("tool_call", 2, {"name": "list_cells"}))
    assert human.review_widget.status_line.startswith("Turn 2 · running list_cells")
    bundle = human._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == human.widget.model_id
    assert "jp-plan-container" in human.widget._dom_classes


async def test_a_given_review_widget_is_reused() -> None:
    widget = review.PlanReviewWidget(title="mine")
    human = WidgetHuman(widget)
    assert human.review_widget is widget and human.widget.children[0] is widget


def test_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running event loop"):
        WidgetHuman()


def test_a_loop_can_be_given() -> None:
    loop = asyncio.new_event_loop()
    try:
        human = WidgetHuman(loop=loop)

        async def review(plan: Plan) -> ReviewDecision:
            waiting = Waiting(human.review(plan))
            human.review_widget.approve("auto_edit")
            return await waiting.result()  # type: ignore[no-any-return]

        decision = loop.run_until_complete(review(large_plan()))
        assert decision.build_mode == "auto_edit"
    finally:
        loop.close()


async def test_control_finds_the_one_live_control_by_class() -> None:
    human = WidgetHuman()
    with pytest.raises(LookupError, match="0 enabled"):
        human.control(approval.CLASSES["once"])
    waiting = Waiting(human.confirm(REQUEST))
    button = human.control(approval.CLASSES["once"])
    assert button is human.shown[0].buttons["once"]
    button.click()
    assert await waiting.result() == Confirmation(allow=True)
    with pytest.raises(LookupError):
        human.control(approval.CLASSES["once"])  # the answered card's buttons are locked
