"""Re-record agent.ipynb against the fake model server (as notebooks/record_quickstart.py).

    .venv/bin/python notebooks/agent/record_agent.py [FOLDER]

Deletes FOLDER/.jupyter_plan/plans (default: this script's folder), runs the notebook
headless with ``replay = "never"`` against the fake server playing the conversation below
(``jupyter_plan.testing.recording``), and leaves the transcripts (the agent's, the
sub-agent's turns inside it, the plan's and the build's) to commit. Change the conversation
here, never the transcripts by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.recording import (
    built_step,
    record_headless,
    submitted_plan,
    target_folder,
)

HERE = Path(__file__).resolve().parent
NOTEBOOK = "agent.ipynb"
FAKE_KEY = "sk-agent-recording-not-a-real-key-0000"  # must never reach a transcript
PLAN = """\
# Total units by region

## Steps
### S1. Tidy the regions and sum the units
Insert a cell that strips and title-cases `region` and sums `units` per region.
Verify: one row per region, 4 regions.

## Verification
The table has East, North, South and West.
"""
TABLE = (
    'sales.assign(region=sales["region"].str.strip().str.title()).groupby("region")["units"].sum()'
)


def conversation() -> list[Any]:
    return [
        # %%agent: a question, handed to the investigator
        tool_call("investigate", {"question": "Columns of sales and missing values?"}),
        tool_call("inspect_variable", {"name": "sales"}),  # the sub-agent
        text("sales has date, region, product, units and unit_price; one unit_price is missing."),
        text("`sales` has date, region, product, units and unit_price; one price is missing."),
        # %%agent: a larger task -> enter_plan_mode -> plan
        tool_call("enter_plan_mode", {"reason": "the person asked to start a plan"}),
        *submitted_plan(PLAN),
        # %build
        *built_step("S1", TABLE, "4 regions"),
        text("Done: the table of units by region is in a new cell."),
    ]


def record(folder: Path = HERE) -> None:
    """Record agent.ipynb in ``folder``; raises if the notebook fails or turns are left over."""
    record_headless(folder, NOTEBOOK, conversation(), FAKE_KEY)


if __name__ == "__main__":
    target = target_folder(HERE)
    record(target)
    print(f"recorded {target / NOTEBOOK}: transcripts in {target}/.jupyter_plan/plans")
