"""The native card: the run as one synced JSON trait, actions as custom messages."""

from __future__ import annotations

import asyncio

from jupyter_plan.agent.loop import LoopEvent
from jupyter_plan.models import ApprovalRequest, PlanStatus, Revision
from jupyter_plan.ui.card import MODULE, RunCard
from jupyter_plan.ui.human import WidgetHuman
from jupyter_plan.ui.state import RunState

from .conftest import HOSTILE, choice, comm_message, large_plan


def message(card: RunCard, content: dict[str, object]) -> None:
    """A custom message from the view, as ipywidgets delivers it."""
    card._handle_msg(comm_message({"method": "custom", "content": content}))


def test_the_card_names_the_labextension_view_and_syncs_the_whole_run() -> None:
    run = RunState(title="Chart revenue")
    card = RunCard(run)
    state = card.get_state()
    assert (state["_view_module"], state["_view_name"]) == (MODULE, "RunCardView")
    shown = card.state
    assert shown["phase"] == "starting" and shown["title"] == "Chart revenue"
    assert shown["actions"] == ["stop"] and shown["action_labels"] == {"stop": "Stop"}
    assert shown["plan"] is None and shown["progress"]["running"] is True


def test_every_change_reaches_the_view() -> None:
    run = RunState()
    card = RunCard(run)  # no kernel loop here: each change is sent at once
    run.present(large_plan())
    assert card.state["phase"] == "awaiting_review"
    assert card.state["plan"]["id"] == "p-large"
    assert card.state["plan"]["previous"]["feedback"] == "use parquet"
    assert card.state["label"] == "awaiting review"
    run.on_event(LoopEvent("text", 1, {"delta": HOSTILE}))
    assert card.state["narration"] == HOSTILE  # text: the view never makes HTML of it


async def test_actions_come_back_as_messages_and_refusals_are_told() -> None:
    run = RunState()
    card = RunCard(run)
    run.present(large_plan().model_copy(update={"status": PlanStatus.AWAITING_REVIEW}))
    waiting = asyncio.ensure_future(run.wait_decision())
    message(card, {"action": "build"})
    assert card.state["message"] == "Build is not possible: the run is awaiting review"
    message(card, {"action": "approve_auto_edit"})
    assert (await waiting).build_mode == "auto_edit"
    assert card.state["phase"] == "approved"
    message(card, {"nonsense": True})  # ignored, never an exception in the kernel


async def test_progress_is_coalesced_on_the_loop() -> None:
    loop = asyncio.get_running_loop()
    run = RunState(loop=loop)
    card = RunCard(run, loop=loop)
    sent: list[str] = []
    card.observe(lambda change: sent.append(change["new"]["narration"]), names=["state"])
    for word in ("a", "b", "c"):
        run.on_event(LoopEvent("text", 1, {"delta": word}))
    assert sent == []  # not one sync per streamed word
    card.flush()
    assert sent == ["abc"]


async def test_questions_and_approvals_in_the_card_state() -> None:
    human = WidgetHuman(title="t", native=True)
    card = human.widget
    asked = asyncio.ensure_future(human.ask([choice()]))
    await asyncio.sleep(0)
    card.flush()
    assert card.state["questions"][0]["header"] == "Format"
    assert card.state["pending"] == {"questions": 1, "approval": False}
    message(card, {"action": "answer", "answers": [{"header": "Format", "selected": ["CSV"]}]})
    assert (await asked)[0].selected == ["CSV"]
    request = ApprovalRequest(
        tool="insert_cell",
        args={"source": "x", "after": "c1", "step_id": "S1"},
        reason="r",
        preview="x",
        preview_kind="code",
    )
    confirming = asyncio.ensure_future(human.confirm(request))
    await asyncio.sleep(0)
    card.flush()
    approval = card.state["approval"]
    assert approval["sentence"] == "Insert a code cell and run it after cell c1 for step S1?"
    assert approval["language"] == "python"
    message(card, {"action": "allow", "scope": "build"})
    assert (await confirming).scope == "build"


def test_the_card_sends_the_page_threshold_and_a_hand_edit_under_review() -> None:
    run = RunState(title="Clean")
    card = RunCard(run)
    assert card.state["suggest_after_chars"] is None  # not told: the view's default
    run.suggest_after_chars = 120  # pages.suggest_after_chars, set by %%plan
    assert card.state["suggest_after_chars"] == 120
    plan = large_plan()
    run.present(plan)
    assert card.state["plan"]["revision"] == 2 and "edited_by" not in card.state["plan"]
    mine = Revision(number=3, markdown="# Clean, my way", author="person")
    run.sync_plan(plan.model_copy(update={"revisions": [*plan.revisions, mine]}))
    shown = card.state["plan"]
    assert shown["revision"] == 3 and shown["edited_by"] == "person"
    assert card.state["phase"] == "awaiting_review" and "iterate" in card.state["actions"]
