"""``%%agent`` in a real kernel: the test is the person, clicking the card by comm message.

It answers without editing; edits after one approval; asks to enter plan mode on the same
approval card, and on Allow the cell turns into a plan review, Approve, then ``%build``
builds; Deny keeps it in its mode; the plan mode (setting or ``%plan mode``) is ``%%plan``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.plans import REVENUE_PLAN as PLAN

from ..agent.test_agent_mode import plan_file_of
from .conftest import Kernel, Script, write_notebook
from .test_live import DATA, SETUP, build_turns, ids

AGENT = "%%agent --notebook analysis.ipynb\n"
WAIT_CARD = "h = S.humans[-1]\nwhile not h.shown: await asyncio.sleep(0)\ncard = h.shown[-1]\n"


def write_plan(body: dict[str, Any]) -> Any:
    return tool_call("write_file", {"file_path": plan_file_of(body), "content": PLAN})


def submit(body: dict[str, Any]) -> Any:
    return tool_call("exit_plan_mode", {"plan_filename": plan_file_of(body)})


async def start(kernel: Kernel) -> bytes:
    original = write_notebook(kernel.root / "analysis.ipynb", [DATA])
    await kernel.run("%load_ext jupyter_plan")
    await kernel.run(SETUP)
    await kernel.run(DATA)
    return original


@pytest.fixture
async def original(kernel: Kernel) -> bytes:
    """The notebook's bytes, once started (the extension loaded, ``sales`` in the kernel)."""
    return await start(kernel)


def tool_names(server: FakeModelServer, turn: int) -> set[str]:
    body = server.requests[turn].body or {}
    return {t["function"]["name"] for t in body.get("tools", [])}


def told(server: FakeModelServer, turn: int) -> str:
    body = server.requests[turn].body or {}
    return str([m for m in body["messages"] if m["role"] == "tool"][-1]["content"])


async def test_a_question_is_answered_and_declining_plan_mode_keeps_the_mode(
    kernel: Kernel, script: Script, server: FakeModelServer, original: bytes
) -> None:
    script += [
        tool_call("inspect_variable", {"name": "sales"}),
        text("Columns: region, amount."),
        tool_call("enter_plan_mode", {"reason": "big"}),
        text("Then in short: group by region and sum the amounts."),
    ]
    await kernel.run(AGENT + "What columns does sales have?")
    out = await kernel.run("await S.wait_idle()\nh = S.humans[-1]\nprint(h.review_widget.phase)")
    assert out.split() == ["answered"]
    assert "enter_plan_mode" in tool_names(server, 0) and "insert_cell" in tool_names(server, 0)

    await kernel.run(AGENT + "Build a revenue report")
    out = await kernel.run(
        WAIT_CARD + "print('ID=' + controls(card, 'jp-plan-deny-reason')[0].model_id, "
        "'ID=' + h.control('jp-plan-deny').model_id)"
    )
    reason, deny = ids(out)
    kernel.set_value(reason, "just tell me")
    kernel.click(deny)
    out = await kernel.run("await S.wait_idle()\nprint(h.review_widget.phase, S.last_plan)")
    assert out.split() == ["answered", "None"]
    assert told(server, 3) == "Denied by the person: just tell me"
    assert "insert_cell" in tool_names(server, 3)  # still the agent, in its mode
    assert (kernel.root / "analysis.ipynb").read_bytes() == original  # nothing changed


async def test_a_small_edit_after_one_approval(
    kernel: Kernel, script: Script, server: FakeModelServer
) -> None:
    await start(kernel)
    first = nbformat.read(kernel.root / "analysis.ipynb", as_version=4).cells[0].id
    source = DATA.replace("5.5", "6.5")
    script += [tool_call("edit_cell", {"cell_id": first, "source": source}), text("Fixed it.")]
    await kernel.run(AGENT + "the last amount is 6.5, not 5.5")
    out = await kernel.run(
        WAIT_CARD + "print(card.request.tool, 'ID=' + h.control('jp-plan-allow-once').model_id)"
    )
    assert out.startswith("edit_cell ")
    kernel.click(ids(out)[0])
    out = await kernel.run("await S.wait_idle()\nprint(h.review_widget.phase, len(h.shown))")
    assert out.split() == ["answered", "1"]  # one approval, and done
    cell = nbformat.read(kernel.root / "analysis.ipynb", as_version=4).cells[0]
    assert "6.5" in cell.source
    assert cell.metadata["jupyter_plan"] == {"plan_id": "agent", "revision": 0, "step_id": None}


async def test_enter_plan_mode_confirmed_then_review_approve_and_build(
    kernel: Kernel, script: Script, server: FakeModelServer, original: bytes
) -> None:
    script += [
        tool_call("enter_plan_mode", {"reason": "a report needs a reviewed plan"}),
        write_plan,
        submit,
        *build_turns(),
    ]
    await kernel.run(AGENT + "Start a plan for a revenue report by region")
    out = await kernel.run(
        WAIT_CARD + "print(card.request.tool, card.request.preview, "
        "'ID=' + h.control('jp-plan-allow-once').model_id)"
    )
    assert out.startswith("enter_plan_mode Switch to plan mode: a report needs a reviewed plan")
    kernel.click(ids(out)[0])
    out = await kernel.run(  # the same card turns into the plan review
        "while not h.review_widget.awaiting: await asyncio.sleep(0)\n"
        "print('ID=' + h.control('jp-plan-approve-auto_edit').model_id)"
    )
    kernel.click(ids(out)[0])
    out = await kernel.run("await S.wait_idle()\nprint(S.last_plan, h.review_widget.phase)")
    plan_id, phase = out.split()
    assert phase == "approved"
    assert "exit_plan_mode" in tool_names(server, 1) and "insert_cell" not in tool_names(server, 1)
    assert (kernel.root / "analysis.ipynb").read_bytes() == original  # planning changed nothing

    await kernel.run("%build --notebook analysis.ipynb")
    out = await kernel.run("await S.wait_idle()\nprint(S.humans[-1].review_widget.summary)")
    assert "✓ S1. Summarise by region: done — north 15.5" in out
    built = nbformat.read(kernel.root / "analysis.ipynb", as_version=4)
    (cell,) = [c for c in built.cells if "jupyter_plan" in c.metadata]
    assert cell.metadata["jupyter_plan"]["plan_id"] == plan_id
    assert "15.5" in json.dumps(cell.outputs)


async def test_the_setting_makes_agent_a_plan_and_the_session_mode_wins(
    kernel: Kernel, script: Script, server: FakeModelServer
) -> None:
    settings = Path(kernel.root / ".jupyter_plan" / "settings.json")
    settings.write_text(json.dumps({"default_approval_mode": "plan"}))
    await start(kernel)
    script += [write_plan, submit, text("sales has region and amount.")]
    await kernel.run(AGENT + "Summarise revenue by region")
    out = await kernel.run(
        "h = S.humans[-1]\nwhile not h.review_widget.awaiting: await asyncio.sleep(0)\n"
        "print(h.review_widget.kind, h.review_widget.plan.status.value, "
        "'ID=' + h.control('jp-plan-reject').model_id)"
    )
    assert out.split()[:2] == ["plan", "awaiting_review"]  # exactly %%plan
    assert "exit_plan_mode" in tool_names(server, 0)
    assert "enter_plan_mode" not in tool_names(server, 0)
    kernel.click(ids(out)[0])
    await kernel.run("await S.wait_idle()")

    await kernel.run("%plan mode auto_edit")  # the status bar / mode cycle: the session's mode
    await kernel.run(AGENT + "What columns does sales have?")
    out = await kernel.run("await S.wait_idle()\nprint(S.humans[-1].review_widget.phase)")
    assert out.split() == ["answered"]
    assert "enter_plan_mode" in tool_names(server, 2)
