"""The run state: one decision per presentation, questions and approvals checked and answered
once, phases that always end in a final one, and only valid actions."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_plan.agent.client import ModelError
from jupyter_plan.agent.loop import LoopEvent
from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    Option,
    Plan,
    PlanStatus,
    Question,
    Revision,
)
from jupyter_plan.ui.actions import ActionRefused
from jupyter_plan.ui.outcome import Locked
from jupyter_plan.ui.state import EMPTY_FEEDBACK, RunState

from .conftest import Waiting, choice, large_plan, on_thread, small_plan


def reviewable() -> Plan:
    return small_plan().model_copy(update={"status": PlanStatus.AWAITING_REVIEW})


def insert(source: str = "x = 1") -> ApprovalRequest:
    return ApprovalRequest(
        tool="insert_cell",
        args={"source": source, "step_id": "S1"},
        reason="edits ask",
        rule="<builtin>/build.toml:7 (builtin tier)",
        preview=source,
        preview_kind="code",
    )


def run_cell(source: str = "x = 1") -> ApprovalRequest:
    return ApprovalRequest(
        tool="run_cell", args={"cell_id": "c9"}, reason="runs ask", preview=source
    )


async def test_a_review_takes_one_decision_and_the_plan_follows_it() -> None:
    run = RunState(title="t")
    assert run.phase == "starting" and run.actions == ["stop"]
    run.present(reviewable())
    assert run.phase == "awaiting_review" and run.awaiting
    assert run.actions == ["approve_auto_edit", "approve_default", "iterate", "reject"]
    waiting = asyncio.ensure_future(run.wait_decision())
    run.act("approve_default")
    decision = await waiting
    assert (decision.action, decision.build_mode) == ("approve", "default")
    assert run.phase == "approved" and run.plan is not None
    assert run.plan.status is PlanStatus.APPROVED and run.actions == ["build"]
    with pytest.raises(ActionRefused, match="not possible: the run is approved"):
        run.act("approve_auto_edit")


async def test_iterate_needs_feedback_and_offers_nothing_of_the_old_revision() -> None:
    run = RunState()
    run.present(reviewable())
    waiting = asyncio.ensure_future(run.wait_decision())
    with pytest.raises(ActionRefused, match="feedback"):
        run.act("iterate", feedback="  ")
    assert run.message == EMPTY_FEEDBACK and not waiting.done()
    run.act("iterate", feedback="use parquet")
    assert (await waiting).feedback == "use parquet"
    # revision 2 is being written: no Approve for revision 1 anywhere
    assert run.phase == "working" and run.actions == ["stop"]


async def test_a_click_from_another_thread_resolves_on_the_loop() -> None:
    run = RunState(loop=asyncio.get_running_loop())
    run.present(reviewable())
    waiting = Waiting(run.wait_decision())
    on_thread(lambda: run.act("reject", reason="no"))
    assert not waiting.resolved_here
    assert (await waiting.result()).action == "reject"
    assert run.phase == "rejected" and run.actions == []


async def test_questions_are_checked_then_answered_once() -> None:
    run = RunState()
    asked = asyncio.ensure_future(run.ask([choice(), choice("Size", multi=True)]))
    await asyncio.sleep(0)
    assert run.phase == "asking" and len(run.questions) == 2
    with pytest.raises(ValueError, match="Answer Size first"):
        run.answer([Answer(header="Format", selected=["CSV"]), Answer(header="Size")])
    assert run.message == "Answer Size first."
    with pytest.raises(ValueError, match="no option 'XLS'"):
        run.answer([Answer(header="Format", selected=["XLS"]), Answer(header="Size", text="x")])
    with pytest.raises(ValueError, match="takes one answer"):
        run.answer(
            [Answer(header="Format", selected=["csv", "Parquet"]), Answer(header="Size", text="x")]
        )
    run.act(
        "answer",
        answers=[
            {"header": "Format", "selected": ["csv"]},
            {"header": "Size", "selected": ["CSV", "Parquet"], "text": "both"},
        ],
    )
    answers = await asked
    assert answers[0].selected == ["CSV"]  # the label as offered
    assert answers[1].selected == ["CSV", "Parquet"] and answers[1].text == "both"
    assert run.questions == [] and run.phase == "working"
    assert run.history[-1]["text"].startswith("Answered — Format: CSV")
    with pytest.raises(Locked):
        run.answer(answers)


async def test_yes_no_takes_yes_or_no() -> None:
    run = RunState()
    question = Question(question="Go?", header="Go", type="yesno")
    asked = asyncio.ensure_future(run.ask([question]))
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="yes/no"):
        run.answer([Answer(header="Go", text="maybe")])
    run.answer([Answer(header="Go", selected=["yes"])])
    assert (await asked)[0].selected == ["Yes"]


async def test_one_approval_covers_inserting_a_cell_and_running_it() -> None:
    run = RunState(kind="build")
    run.plan = large_plan()
    asked = asyncio.ensure_future(run.confirm(insert("y = 2")))
    await asyncio.sleep(0)
    assert run.phase == "confirming" and run.approval is not None
    run.act("allow", scope="once")
    assert (await asked).allow
    assert run.phase == "building" and run.approval is None
    assert "Insert a code cell and run it at the end of the notebook" in run.history[-1]["text"]
    # running that very code asks nothing more; other code still asks
    assert (await run.confirm(run_cell("y = 2"))).allow
    assert run.approval is None and "no second approval" in run.history[-1]["text"]
    other = asyncio.ensure_future(run.confirm(run_cell("rm -rf")))
    await asyncio.sleep(0)
    assert run.approval is not None
    run.act("deny", reason="no")
    answer = await other
    assert not answer.allow and answer.reason == "no"


async def test_a_failure_ends_in_failed_with_the_fix_and_nothing_left_to_click() -> None:
    run = RunState()
    asked = asyncio.ensure_future(run.ask([choice()]))
    await asyncio.sleep(0)
    run.end_with(ModelError("model 'x' at y: auth after 1 attempt: HTTP 401: nope", kind="auth"))
    assert run.phase == "failed" and run.questions == [] and not run.live
    assert run.error == "The model provider refused the API key."
    assert "JUPYTER_PLAN_API_KEY" in run.fix and "restart JupyterLab" in run.fix
    assert "HTTP 401" in run.details
    assert run.actions == ["retry"]  # the only button: it does something
    with pytest.raises(asyncio.CancelledError):
        await asked


async def test_a_stop_ends_in_stopped_and_keeps_what_it_says() -> None:
    run = RunState(kind="build")
    stopped: list[bool] = []
    run.on_stop = lambda: stopped.append(True)
    run.on_event(LoopEvent("turn", 1, {}))
    assert run.phase == "building"
    run.act("stop")
    assert stopped == [True] and run.message == "Stopping…"
    run.undoable = True
    run.end_with(asyncio.CancelledError(), "Stopped after 0 of 1 steps.")
    assert run.phase == "stopped" and run.error == "Stopped after 0 of 1 steps."
    assert run.actions == ["resume", "undo"]


def test_progress_narration_and_refusals_from_loop_events() -> None:
    run = RunState()
    run.on_event(LoopEvent("turn", 1, {}))
    run.on_event(LoopEvent("text", 1, {"delta": "Let me look "}))
    run.on_event(LoopEvent("text", 1, {"delta": "at the notebook."}))
    assert run.narration == "Let me look at the notebook."
    run.on_event(LoopEvent("tool_call", 1, {"name": "read_cells", "arguments": "{}"}))
    assert run.progress.activity == "Reading cells" and run.phase == "working"
    run.on_event(LoopEvent("text", 2, {"delta": "Now the plan."}))
    assert run.narration == "Now the plan."  # a new turn's words replace the old ones
    run.on_event(
        LoopEvent("tool_result", 2, {"name": "insert_cell", "content": "Error: unknown tool"})
    )
    assert run.refused == ["insert_cell: Error: unknown tool"]


def test_a_build_ticks_steps_and_finishes_built_with_undo_and_rebuild() -> None:
    run = RunState(kind="build")
    run.plan = large_plan()
    run.set_step("S1", "done", "ok")
    assert run.plan.steps[0].note == "ok"
    with pytest.raises(KeyError, match="no step 'S99'"):
        run.set_step("S99", "done")
    built = run.plan.model_copy(update={"status": PlanStatus.BUILT})
    run.undoable = True
    run.finish(built, "Built.")
    assert run.phase == "built" and run.actions == ["undo", "rebuild"]
    run.undone(built.model_copy(update={"status": PlanStatus.APPROVED}))
    assert run.phase == "undone" and run.actions == ["build"]


def test_an_approved_plan_run_follows_its_builds() -> None:
    run = RunState()
    approved = small_plan().model_copy(update={"status": PlanStatus.APPROVED})
    run.finish(approved)
    assert run.shown_phase == "approved" and run.actions == ["build"]
    run.sync_plan(approved.model_copy(update={"status": PlanStatus.BUILT}))
    assert run.shown_phase == "built" and run.actions == ["rebuild"]


def test_actions_that_need_the_notebook_go_to_the_controller() -> None:
    run = RunState()
    run.finish(small_plan().model_copy(update={"status": PlanStatus.APPROVED}))
    with pytest.raises(ActionRefused, match="needs the notebook open"):
        run.act("build")
    asked: list[str] = []
    run.controller = lambda state, action: asked.append(action)
    run.act("build")
    assert asked == ["build"]


def test_unknown_options_are_named() -> None:
    question = Question(question="?", header="H", options=[Option(label="A"), Option(label="B")])
    from jupyter_plan.ui.answers import check_answers

    with pytest.raises(ValueError, match=r"'H' has no option 'C' \(options: 'A', 'B'\)"):
        check_answers([question], [Answer(header="H", selected=["C"])])


def test_a_hand_edit_saved_during_review_shows_on_the_card_at_once() -> None:
    run = RunState()
    under_review = large_plan()  # revision 2, awaiting review
    run.present(under_review)
    edited = under_review.model_copy(
        update={
            "revisions": [
                *under_review.revisions,
                Revision(number=3, markdown="# Mine", author="person"),
            ]
        }
    )
    run.sync_plan(edited)
    assert run.plan is edited and run.awaiting and run.phase == "awaiting_review"
    run.sync_plan(under_review)  # an older revision never replaces the one shown
    assert run.plan is edited
    run.act("iterate", feedback="go on from my edit")  # the decision is taken on it
    assert run.phase == "working"
    run.sync_plan(
        under_review.model_copy(
            update={"revisions": [*edited.revisions, Revision(number=4, markdown="# x")]}
        )
    )
    assert run.plan is not None and run.plan.revision == 3  # the agent is at work: not now
