"""ui/approval.py: the card a build shows when the policy asks about a tool call."""

from __future__ import annotations

import pytest

from jupyter_plan.models import ApprovalRequest, Confirmation
from jupyter_plan.ui import render
from jupyter_plan.ui.approval import CLASSES, ApprovalCard
from jupyter_plan.ui.outcome import Locked

from .conftest import CLICK, HOSTILE, Waiting, find_live, on_thread, send, widget_state

pytestmark = pytest.mark.usefixtures("callback_errors")


def request(kind: str = "diff", preview: str | None = None) -> ApprovalRequest:
    previews = {
        "diff": render.unified_diff("x = 1\n", "x = 2\n"),
        "code": "df.plot()",
        "command": "pip install duckdb",
        "text": "",
    }
    return ApprovalRequest(
        tool="edit_cell",
        args={"cell_id": "c1"},
        reason="edits ask in default mode",
        rule="builtin/build.toml:7 (builtin)",
        preview=previews[kind] if preview is None else preview,
        preview_kind=kind,
    )


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("diff", '<span class="jp-plan-diff-add">+x = 2</span>'),
        ("code", '<pre class="jp-plan-code">df.plot()</pre>'),
        ("command", "$ pip install duckdb"),
        ("text", ""),
    ],
)
def test_preview_by_kind(kind: str, shown: str) -> None:
    card = ApprovalCard(request(kind))
    assert shown in card.preview.value
    head = card.children[1].value
    assert "edits ask in default mode" in head and "builtin/build.toml:7 (builtin)" in head


def test_hostile_preview_is_escaped() -> None:
    card = ApprovalCard(request("command", HOSTILE))
    assert "<script" not in card.preview.value and "&lt;script&gt;" in card.preview.value


@pytest.mark.parametrize(
    ("button", "reason", "confirmation"),
    [
        ("once", "", Confirmation(allow=True, scope="once")),
        ("build", "", Confirmation(allow=True, scope="build")),
        ("deny", "", Confirmation(allow=False)),
        ("deny", "  not on my data ", Confirmation(allow=False, reason="not on my data")),
    ],
)
async def test_click_answers_and_folds(
    button: str, reason: str, confirmation: Confirmation
) -> None:
    card = ApprovalCard(request())
    card.reason.value = reason
    card.buttons[button].click()
    assert await card.wait() == confirmation
    assert card.locked and card.confirmation == confirmation
    assert all(b.disabled for b in card.buttons.values()) and card.reason.disabled
    assert card.preview.layout.display == "none" and card.actions.layout.display == "none"
    assert "edit_cell" in card.outcome_view.value
    card.buttons["once"].click()  # stale: the first answer stands
    assert await card.wait() == confirmation


def test_python_actions() -> None:
    card = ApprovalCard(request())
    assert card.allow("build") == Confirmation(allow=True, scope="build")
    with pytest.raises(Locked):
        card.deny("too late")
    assert ApprovalCard(request()).deny("no") == Confirmation(allow=False, reason="no")
    assert ApprovalCard(request()).allow() == Confirmation(allow=True, scope="once")


@pytest.mark.parametrize("button", ["once", "build", "deny"])
async def test_click_over_comm_from_another_thread(button: str) -> None:
    card = ApprovalCard(request())
    waiting = Waiting(card.wait())
    comm_id = find_live(widget_state(card), CLASSES[button])
    on_thread(lambda: send(card, comm_id, CLICK))
    assert not waiting.resolved_here
    assert (await waiting.result()).allow is (button != "deny")


def test_cancel_folds_without_an_answer() -> None:
    card = ApprovalCard(request())
    card.cancel()
    assert card.locked and card.confirmation is None
    assert "Interrupted" in card.outcome_view.value
    with pytest.raises(Locked):
        card.allow()
