"""The ipywidgets fallback draws the same run: buttons only when valid, forms that answer
the run, clicks over comm messages from any thread."""

from __future__ import annotations

import asyncio

from jupyter_plan.models import ApprovalRequest, PlanStatus
from jupyter_plan.ui.human import WidgetHuman
from jupyter_plan.ui.review import BUTTON_CLASSES

from .conftest import CLICK, choice, find_live, large_plan, on_thread, send, widget_state


async def test_review_buttons_show_only_while_a_plan_awaits_review(callback_errors: None) -> None:
    human = WidgetHuman(title="t", native=False)
    view = human.review_view
    assert view.buttons["approve_auto_edit"].layout.display == "none"
    assert view.buttons["stop"].disabled is False  # starting: Stop is the one action
    plan = large_plan().model_copy(update={"status": PlanStatus.AWAITING_REVIEW})
    waiting = asyncio.ensure_future(human.review(plan))
    await asyncio.sleep(0)
    assert view.buttons["approve_auto_edit"].disabled is False
    assert view.buttons["stop"].disabled is True
    comm_id = find_live(widget_state(human.widget), BUTTON_CLASSES["approve_default"])
    on_thread(lambda: send(human.widget, comm_id, CLICK))
    assert (await waiting).build_mode == "default"
    assert all(b.disabled for name, b in view.buttons.items() if name != "stop")


async def test_iterate_opens_feedback_then_sends_it(callback_errors: None) -> None:
    human = WidgetHuman(native=False)
    plan = large_plan().model_copy(update={"status": PlanStatus.AWAITING_REVIEW})
    waiting = asyncio.ensure_future(human.review(plan))
    await asyncio.sleep(0)
    view = human.review_view
    view.buttons["iterate"].click()
    assert view.feedback_box.layout.display is None and not view.feedback.disabled
    view.feedback.value = "use parquet"
    view.send_button.click()
    assert (await waiting).feedback == "use parquet"
    assert human.state.phase == "working"


async def test_question_form_answers_the_run(callback_errors: None) -> None:
    human = WidgetHuman(native=False)
    asked = asyncio.ensure_future(human.ask([choice()]))
    await asyncio.sleep(0)
    (form,) = human.shown
    assert "plain text" in form.fields[0].box.children[0].value  # descriptions are shown
    option = form.fields[0].options[0]
    on_thread(lambda: setattr(option, "value", True))
    assert option.icon == "check"
    human.control("jp-plan-submit").click()
    assert (await asked)[0].selected == ["CSV"]
    assert form.locked and "Answered — Format: CSV" in form.outcome_view.value


async def test_approval_form_denies_with_a_reason(callback_errors: None) -> None:
    human = WidgetHuman(native=False)
    request = ApprovalRequest(
        tool="edit_cell",
        args={"cell_id": "c1", "source": "y", "step_id": "S1"},
        reason="edits ask",
        rule="<builtin>/build.toml:7 (builtin tier)",
        preview="--- c1\n+++ c1\n@@ -1 +1 @@\n-x\n+y",
        preview_kind="diff",
    )
    confirming = asyncio.ensure_future(human.confirm(request))
    await asyncio.sleep(0)
    (form,) = human.shown
    head = form.children[1].value
    assert "Change cell c1 and run it for step S1?" in head
    assert head.count("build.toml:7") == 1  # the rule once, in its details line
    form.reason.value = "keep it"
    human.control("jp-plan-deny").click()
    answer = await confirming
    assert not answer.allow and answer.reason == "keep it"
    assert form.locked


async def test_a_run_ending_closes_open_forms() -> None:
    human = WidgetHuman(native=False)
    asked = asyncio.ensure_future(human.ask([choice()]))
    await asyncio.sleep(0)
    human.state.end_with(asyncio.CancelledError(), "Stopped.")
    (form,) = human.shown
    assert form.locked and "The run ended." in form.outcome_view.value
    assert asked.cancelled() or (await asyncio.gather(asked, return_exceptions=True))
