"""A real kernel in live mode: the test is the person, clicking widgets by comm message."""

from __future__ import annotations

import json
import re

import nbformat
import yaml

from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.plans import REVENUE_PLAN as PLAN
from jupyter_plan.testing.plans import REVENUE_QUESTION as ASK

from .conftest import Kernel, Script, write_notebook

DATA = (
    "import pandas as pd\n"
    "sales = pd.DataFrame({'region': ['north', 'south', 'north'], 'amount': [10.0, 2.0, 5.5]})"
)
SETUP = """
import asyncio
from jupyter_plan.notebook.kernel_session import KernelSession
S = KernelSession.of(get_ipython())

def controls(widget, css):
    found = [widget] if css in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += controls(child, css)
    return found
"""


def inserted_id(body: dict[str, object]) -> str:
    messages = body["messages"]
    assert isinstance(messages, list)
    last = next(m for m in reversed(messages) if m["role"] == "tool")
    return str(last["content"]).split("'")[1]


def build_turns() -> list[object]:
    """The model's side of building PLAN: insert the summary cell, run it, tick S1 off."""
    return [
        tool_call(
            "insert_cell",
            {"source": "totals = sales.groupby('region').amount.sum()\ntotals", "step_id": "S1"},
        ),
        lambda body: tool_call("run_cell", {"cell_id": inserted_id(body)}),
        tool_call("update_step", {"step_id": "S1", "status": "done", "note": "north 15.5"}),
        text("Done: the summary is in a new cell."),
    ]


def ids(output: str) -> list[str]:
    return re.findall(r"ID=(\S+)", output)


async def test_plan_answer_approve_build_undo(
    kernel: Kernel, script: Script, server: FakeModelServer
) -> None:
    notebook = kernel.root / "analysis.ipynb"
    original = write_notebook(
        notebook,
        [
            "import pandas as pd\nsales = pd.DataFrame({'region': ['north', 'south', 'north'], "
            "'amount': [10.0, 2.0, 5.5]})"
        ],
    )
    script += [
        tool_call("inspect_variable", {"name": "sales"}),
        tool_call("ask_user", ASK),
        tool_call("write_file", {"file_path": "sales.md", "content": PLAN}),
        tool_call("exit_plan_mode", {"plan_filename": "sales.md"}),
        *build_turns(),
    ]
    await kernel.run("%load_ext jupyter_plan")
    light = await kernel.run(
        "import comm, sys\nprint('jupyter_plan' in comm.get_comm_manager().targets, "
        "'jupyter_plan.models' in sys.modules, 'litellm' in sys.modules)"
    )
    assert light.split() == ["True", "False", "False"]  # the comm target, nothing heavy
    await kernel.run(SETUP)
    await kernel.run(DATA)  # the notebook's own cell, run as the person would
    # %%plan returns at once; the agent works in the background.
    await kernel.run("%%plan --id sales --notebook analysis.ipynb\nSummarise revenue by region")

    # The question card: pick an option and submit, by comm messages.
    out = await kernel.run(
        "h = S.humans[-1]\nwhile not h.shown: await asyncio.sleep(0)\n"
        "opt = [w for w in controls(h.widget, 'jp-plan-option') "
        "if w.description.startswith('pandas')][0]\n"
        "print('ID=' + opt.model_id, 'ID=' + controls(h.widget, 'jp-plan-submit')[0].model_id)"
    )
    option, submit = ids(out)
    kernel.set_value(option, True)
    kernel.click(submit)

    # The plan review: approve with auto-accepted edits.
    out = await kernel.run(
        "while not h.review_widget.awaiting: await asyncio.sleep(0)\n"
        "print('ID=' + h.control('jp-plan-approve-auto_edit').model_id)"
    )
    kernel.click(ids(out)[0])
    out = await kernel.run("await S.wait_idle()\nprint(S.last_plan, h.review_widget.decision)")
    assert out.startswith("sales")

    meta = yaml.safe_load(
        (kernel.root / ".jupyter_plan/plans/sales.md").read_text().split("---")[1]
    )
    assert meta["status"] == "approved" and meta["build_mode"] == "auto_edit"
    assert meta["questions"][0]["answer"]["selected"] == ["pandas groupby"]
    assert notebook.read_bytes() == original  # planning never touched the notebook

    # %build edits and runs cells through the bridge, in the background.
    await kernel.run("%build --notebook analysis.ipynb")
    out = await kernel.run("await S.wait_idle()\nprint(S.humans[-1].review_widget.summary)")
    assert "✓ S1. Summarise by region: done — north 15.5" in out
    built = nbformat.read(notebook, as_version=4)
    (cell,) = [c for c in built.cells if "jupyter_plan" in c.metadata]
    assert cell.metadata["jupyter_plan"] == {"plan_id": "sales", "revision": 1, "step_id": "S1"}
    assert "15.5" in json.dumps(cell.outputs)
    assert cell.execution_count is not None

    # Undo restores the notebook file exactly.
    await kernel.run("%build --undo sales --notebook analysis.ipynb")
    await kernel.run("await S.wait_idle()")
    assert notebook.read_bytes() == original
