"""ui/review.py: the plan review widget driven from Python, by clicks and by comm messages."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_plan.agent.loop import LoopEvent
from jupyter_plan.models import ReviewDecision
from jupyter_plan.ui.outcome import Locked
from jupyter_plan.ui.review import BUTTON_CLASSES, EMPTY_FEEDBACK, PlanReviewWidget

from .conftest import CLICK, Waiting, find_live, large_plan, on_thread, send, widget_state

pytestmark = pytest.mark.usefixtures("callback_errors")

DECISIONS = [
    ("approve_auto_edit", ReviewDecision(action="approve", build_mode="auto_edit")),
    ("approve_default", ReviewDecision(action="approve", build_mode="default")),
    ("reject", ReviewDecision(action="reject")),
]


def presented() -> PlanReviewWidget:
    widget = PlanReviewWidget(title="Sales")
    widget.present(large_plan())
    return widget


def live_buttons(widget: PlanReviewWidget) -> list[str]:
    return [name for name, b in widget.buttons.items() if not b.disabled]


def test_before_a_plan_the_buttons_are_locked() -> None:
    widget = PlanReviewWidget(title="Sales <draft>")
    assert live_buttons(widget) == []
    assert "Sales &lt;draft&gt;" in widget.plan_view.value
    with pytest.raises(Locked):
        widget.approve()


def test_present_renders_the_plan_and_unlocks() -> None:
    widget = presented()
    assert live_buttons(widget) == list(widget.buttons)
    assert "Clean the sales data" in widget.plan_view.value
    assert widget.awaiting and widget.decision is None


@pytest.mark.parametrize(("button", "decision"), DECISIONS)
async def test_click_decides_and_locks(button: str, decision: ReviewDecision) -> None:
    widget = presented()
    widget.buttons[button].click()
    assert await widget.wait_decision() == decision
    assert widget.decision == decision
    assert live_buttons(widget) == [] and widget.send.disabled and widget.feedback.disabled
    assert widget.outcome_view.value  # the outcome is shown
    widget.buttons["approve_auto_edit"].click()  # a stale click changes nothing
    assert await widget.wait_decision() == decision


@pytest.mark.parametrize(("button", "decision"), DECISIONS)
async def test_click_from_another_thread_resolves_on_the_loop(
    button: str, decision: ReviewDecision
) -> None:
    widget = presented()
    waiting = Waiting(widget.wait_decision())
    comm_id = find_live(widget_state(widget), BUTTON_CLASSES[button])
    on_thread(lambda: send(widget, comm_id, CLICK))  # the frontend's click, on a subshell
    assert not waiting.resolved_here
    assert live_buttons(widget) == []  # the widget locked at once, on the clicking thread
    assert await waiting.result() == decision


def test_python_actions() -> None:
    widget = presented()
    assert widget.approve("default") == ReviewDecision(action="approve", build_mode="default")
    with pytest.raises(Locked):
        widget.reject()
    widget.present(large_plan())  # a new revision: a new decision
    assert widget.reject("wrong data").feedback == "wrong data"
    widget.present(large_plan())
    assert widget.iterate("  use parquet ").feedback == "use parquet"


async def test_iterate_reveals_feedback_and_refuses_it_empty() -> None:
    widget = presented()
    assert widget.feedback_box.layout.display == "none"
    widget.buttons["iterate"].click()
    assert widget.feedback_box.layout.display is None
    assert widget.awaiting  # Iterate alone decides nothing
    widget.send.click()  # empty: refused with a message
    assert widget.awaiting and EMPTY_FEEDBACK in widget.message_view.value
    with pytest.raises(ValueError, match="feedback"):
        widget.iterate("   ")
    widget.feedback.value = "Split step 2"
    widget.send.click()
    assert await widget.wait_decision() == ReviewDecision(action="iterate", feedback="Split step 2")
    assert widget.message_view.value == ""
    assert widget.feedback_box.layout.display == "none"


async def test_reject_takes_the_feedback_text_as_reason() -> None:
    widget = presented()
    widget.buttons["iterate"].click()
    widget.feedback.value = "not needed"
    widget.buttons["reject"].click()
    assert await widget.wait_decision() == ReviewDecision(action="reject", feedback="not needed")


async def test_iterate_then_a_new_revision() -> None:
    widget = presented()
    widget.iterate("more detail")
    assert (await widget.wait_decision()).action == "iterate"
    revised = large_plan().model_copy(update={"title": "Revision three"})
    widget.present(revised)
    assert live_buttons(widget) == list(widget.buttons)
    assert widget.outcome_view.value == "" and "Revision three" in widget.plan_view.value
    widget.approve()
    assert (await widget.wait_decision()).build_mode == "auto_edit"


async def test_wait_before_present_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="present"):
        await PlanReviewWidget().wait_decision()


def test_cancel_locks_without_a_decision() -> None:
    widget = presented()
    widget.cancel()
    assert live_buttons(widget) == [] and widget.decision is None
    assert "Interrupted" in widget.outcome_view.value
    with pytest.raises(Locked):
        widget.approve()


def test_status_line_from_loop_events_on_any_thread() -> None:
    widget = PlanReviewWidget()
    widget.on_event(LoopEvent("turn", 1, {"elapsed": 0.0}))
    on_thread(lambda: widget.on_event(LoopEvent("tool_call", 1, {"name": "read_cell"})))
    on_thread(
        lambda: widget.on_event(
            LoopEvent("usage", 1, {"usage": {"prompt_tokens": 10, "completion_tokens": 5}})
        )
    )
    assert widget.status_line.startswith("Turn 1 · running read_cell · 15 tokens · ")
    assert "running read_cell" in widget.status_view.value
    widget.reset_progress()
    assert widget.status_line == "" and widget.status_view.value == ""


def test_steps_tick_off_during_a_build() -> None:
    widget = presented()
    widget.set_step("S6", "in_progress")
    assert widget.plan is not None and widget.plan.steps[5].status == "in_progress"
    on_thread(lambda: widget.set_step("S6", "done", "3 cells added"))
    step = widget.plan.steps[5]
    assert (step.status, step.note) == ("done", "3 cells added")
    assert "3 cells added" in widget.plan_view.value
    with pytest.raises(KeyError, match="S99"):
        widget.set_step("S99", "done")
    with pytest.raises(ValueError):
        widget.set_step("S1", "exploded")  # type: ignore[arg-type]


def test_summary_and_error() -> None:
    widget = presented()
    widget.show_summary("Built 4 steps: `sales` cleaned")
    widget.show_error("<b>model</b> timed out")
    assert "<code>sales</code>" in widget.summary_view.value
    assert (
        "&lt;b&gt;model" in widget.error_view.value and "jp-plan-error" in widget.error_view.value
    )


def test_every_button_has_a_stable_class_and_tooltip() -> None:
    widget = presented()
    state = widget_state(widget)
    for name, css in BUTTON_CLASSES.items():
        button = widget.send if name == "send" else widget.buttons[name]
        assert state[button.model_id]["_dom_classes"] == ("jp-plan-button", css)
        assert button.tooltip


async def test_a_new_presentation_cancels_only_the_old_wait() -> None:
    widget = presented()
    old = Waiting(widget.wait_decision())
    widget.present(large_plan())  # a newer revision replaces the undecided one
    with pytest.raises(asyncio.CancelledError):
        await old.result()
    assert widget.awaiting and live_buttons(widget) == list(widget.buttons)
    widget.approve()
    assert (await widget.wait_decision()).action == "approve"


def test_hand_over_hides_what_the_cell_output_repeats() -> None:
    widget = presented()
    widget.approve("auto_edit")
    widget.show_summary("Built 2 of 2 steps")
    widget.hand_over()
    hidden = (widget.plan_view, widget.actions, widget.feedback_box, widget.summary_view)
    assert all(v.layout.display == "none" for v in hidden)
    assert widget.outcome_view.layout.display != "none"  # "Approved — …" stays
    assert "finished" in widget.status_line
    assert widget.summary == "Built 2 of 2 steps"  # the state is kept; only the view hides


def test_refused_calls_are_shown_to_the_person() -> None:
    widget = presented()
    events = [
        LoopEvent("tool_result", 1, {"name": "read_cells", "ok": True, "content": "x = 1"}),
        LoopEvent(
            "tool_result",
            2,
            {"name": "write_file", "ok": True, "content": "Denied by policy: Plan mode <b>"},
        ),
        LoopEvent(
            "tool_result", 3, {"name": "insert_cell", "ok": False, "content": "Error: unknown tool"}
        ),
    ]
    for event in events:
        widget.on_event(event)
    assert widget.refused == [
        "write_file: Denied by policy: Plan mode <b>",
        "insert_cell: Error: unknown tool",
    ]
    assert "Refused: write_file: Denied by policy: Plan mode &lt;b&gt;" in widget.refused_view.value
