"""Policy gating in a real kernel: in default mode an edit waits for the person; their
denial, with its reason, reaches the model and the notebook is unchanged."""

from __future__ import annotations

import json

import nbformat

from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.plans import approved_plan

from .conftest import Kernel, Script, write_notebook
from .test_live import DATA, PLAN, SETUP, ids


async def test_default_mode_edit_waits_and_denial_reaches_the_model(
    kernel: Kernel, script: Script, server: FakeModelServer
) -> None:
    notebook = kernel.root / "analysis.ipynb"
    original = write_notebook(notebook, [DATA])
    first_id = nbformat.read(notebook, as_version=4).cells[0].id
    approved_plan(kernel.root / ".jupyter_plan" / "plans", "sales", PLAN, "default")
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
