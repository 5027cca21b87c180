"""Policy gating in a real kernel: in default mode an edit waits for the person; their
denial, with its reason, reaches the model and the notebook is unchanged."""

from __future__ import annotations

import json

import nbformat

from jupyter_plan.models import Plan, ReviewDecision
from jupyter_plan.plan_format import parse_plan
from jupyter_plan.session import apply_review, submit
from jupyter_plan.storage import PlanStore
from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call

from .conftest import Kernel, Script, write_notebook
from .test_live import DATA, PLAN, SETUP, ids


def approve(kernel: Kernel, mode: str) -> None:
    parsed = parse_plan(PLAN)
    plan = Plan(id="sales", title=parsed.title, goal="Summarise revenue by region")
    plan = submit(plan, PLAN).model_copy(update={"steps": parsed.steps})
    plan = apply_review(
        plan, ReviewDecision.model_validate({"action": "approve", "build_mode": mode})
    )
    PlanStore(kernel.root / ".jupyter_plan" / "plans").save(plan)


async def test_default_mode_edit_waits_and_denial_reaches_the_model(
    kernel: Kernel, script: Script, server: FakeModelServer
) -> None:
    notebook = kernel.root / "analysis.ipynb"
    original = write_notebook(notebook, [DATA])
    first_id = nbformat.read(notebook, as_version=4).cells[0].id
    approve(kernel, "default")
    script += [
        tool_call("edit_cell", {"cell_id": first_id, "source": "sales = None", "step_id": "S1"}),
        tool_call("update_step", {"step_id": "S1", "status": "failed", "note": "denied"}),
        text("S1 was denied by the person."),
    ]
    await kernel.run("%load_ext jupyter_plan")
    await kernel.run(SETUP)
    await kernel.run("%build sales --notebook analysis.ipynb")
    out = await kernel.run(
        "h = S.humans[-1]\nwhile not h.shown: await asyncio.sleep(0)\n"
        "card = h.shown[-1]\n"
        "print('ID=' + controls(card, 'jp-plan-deny-reason')[0].model_id, "
        "'ID=' + h.control('jp-plan-deny').model_id, 'RULE=' + str(card.request.rule))"
    )
    reason_box, deny = ids(out)
    assert "build.toml" in out  # the card says which rule asked
    kernel.set_value(reason_box, "keep the raw data")
    kernel.click(deny)
    out = await kernel.run("await S.wait_idle()\nprint(h.review_widget.summary)")
    assert "✗ S1. Summarise by region: failed — denied" in out

    told = [m for m in (server.requests[1].body or {})["messages"] if m["role"] == "tool"]
    assert told[-1]["content"] == "Denied by the person: keep the raw data"
    assert notebook.read_bytes() == original
    assert json.loads(original)  # still a valid notebook
