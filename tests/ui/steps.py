"""What the browser tests script: the fake model's turns, and steps every flow starts with."""

from __future__ import annotations

from typing import Any

from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.lab import LabPage
from jupyter_plan.testing.plans import REVENUE_PLAN as PLAN
from jupyter_plan.testing.plans import REVENUE_QUESTION as ASK

DATA = (
    "import pandas as pd\n"
    "sales = pd.DataFrame({'region': ['north', 'south', 'north'], 'amount': [10.0, 2.0, 5.5]})"
)
BUILT_SOURCE = "totals = sales.groupby('region').amount.sum()\ntotals"


def load_extension(lab: LabPage) -> None:
    """``%load_ext jupyter_plan``, open the Plans sidebar, wait until the panel is connected
    (the kernel announces its comm target; the panel then opens its comm)."""
    lab.run_cell("%load_ext jupyter_plan")
    lab.open_sidebar()
    lab.wait_connected()


def planning_turns(plan_id: str, *, ask: bool) -> list[Any]:
    """The model's side of planning PLAN: (ask a question,) write the plan, submit it.

    The plan file must be ``<plan id>.md``: the planner reads that one after
    ``exit_plan_mode``, whatever file name the model submitted."""
    plan_file = f"{plan_id}.md"
    turns: list[Any] = [tool_call("inspect_variable", {"name": "sales"})]
    if ask:
        turns.append(tool_call("ask_user", ASK))
    turns += [
        tool_call("write_file", {"file_path": plan_file, "content": PLAN}),
        tool_call("exit_plan_mode", {"plan_filename": plan_file}),
    ]
    return turns


def inserted_id(body: dict[str, Any]) -> str:
    """The id of the cell the last insert_cell made (its tool result quotes it)."""
    last = next(m for m in reversed(body["messages"]) if m["role"] == "tool")
    return str(last["content"]).split("'")[1]


def build_turns() -> list[Any]:
    """The model's side of building PLAN: insert the summary cell, run it, tick S1 off."""
    return [
        tool_call("insert_cell", {"source": BUILT_SOURCE, "step_id": "S1"}),
        lambda body: tool_call("run_cell", {"cell_id": inserted_id(body)}),
        tool_call("update_step", {"step_id": "S1", "status": "done", "note": "north 15.5"}),
        text("Done: the summary is in a new cell."),
    ]
