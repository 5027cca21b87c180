"""Re-record agent.ipynb against the fake model server (as notebooks/record_quickstart.py).

    .venv/bin/python notebooks/agent/record_agent.py

Deletes this folder's .jupyter_plan/plans, runs the notebook headless with
``replay = "never"`` against the fake server playing the conversation below, and leaves
the transcripts (the agent's, the sub-agent's turns inside it, the plan's and the build's)
to commit. Change the conversation here, never the transcripts by hand.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from jupyter_plan.run.runner import run_notebook
from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call

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


def _plan_file(body: dict[str, Any]) -> str:
    found = re.search(r"`([^`\s]+\.md)`", body["messages"][0]["content"])
    assert found, "no plan file in the planner's prompt"
    return found.group(1)


def _inserted(body: dict[str, Any]) -> str:
    last = next(m for m in reversed(body["messages"]) if m["role"] == "tool")
    found = re.search(r"cell '([^']+)'", str(last["content"]))
    assert found, last
    return found.group(1)


def conversation() -> list[Any]:
    return [
        # %%agent: a question, handed to the investigator
        tool_call("investigate", {"question": "Columns of sales and missing values?"}),
        tool_call("inspect_variable", {"name": "sales"}),  # the sub-agent
        text("sales has date, region, product, units and unit_price; one unit_price is missing."),
        text("`sales` has date, region, product, units and unit_price; one price is missing."),
        # %%agent: a larger task -> enter_plan_mode -> plan
        tool_call("enter_plan_mode", {"reason": "the person asked to start a plan"}),
        lambda body: tool_call("write_file", {"file_path": _plan_file(body), "content": PLAN}),
        lambda body: tool_call("exit_plan_mode", {"plan_filename": _plan_file(body)}),
        # %build
        tool_call("insert_cell", {"source": TABLE, "step_id": "S1"}),
        lambda body: tool_call("run_cell", {"cell_id": _inserted(body)}),
        tool_call("update_step", {"step_id": "S1", "status": "done", "note": "4 regions"}),
        text("Done: the table of units by region is in a new cell."),
    ]


class _Script:
    def __init__(self, turns: list[Any]) -> None:
        self.turns = turns

    def __call__(self, body: dict[str, Any]) -> Any:
        if not self.turns:
            return None
        turn = self.turns.pop(0)
        return turn(body) if callable(turn) else turn


def record(folder: Path = HERE) -> None:
    plans = folder / ".jupyter_plan" / "plans"
    settings = folder / ".jupyter_plan" / "settings.json"
    saved = settings.read_text(encoding="utf-8")
    for path in sorted(plans.rglob("*"), reverse=True) if plans.exists() else []:
        path.rmdir() if path.is_dir() else path.unlink()
    script = _Script(conversation())
    try:
        settings.write_text(json.dumps({**json.loads(saved), "replay": "never"}), "utf-8")
        with FakeModelServer(script) as server, tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_PLAN_")}
            env.update(
                JUPYTER_PLAN_API_KEY=FAKE_KEY,
                OPENAI_BASE_URL=server.base_url,
                LITELLM_LOCAL_MODEL_COST_MAP="True",
            )
            result = run_notebook(folder / NOTEBOOK, Path(tmp) / NOTEBOOK, env=env)
    finally:
        settings.write_text(saved, encoding="utf-8")
    if result.error is not None:
        raise RuntimeError(f"recording {NOTEBOOK} failed: {result.error}")
    if script.turns:
        raise RuntimeError(f"{len(script.turns)} scripted model turns were not used")


if __name__ == "__main__":
    record()
    print(f"recorded {HERE / NOTEBOOK}: transcripts in {HERE}/.jupyter_plan/plans")
