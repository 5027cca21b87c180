"""Re-record pages.ipynb against the fake model server (as notebooks/agent/record_agent.py).

    .venv/bin/python notebooks/pages/record_pages.py

Deletes this folder's .jupyter_plan/plans, runs the notebook headless with
``replay = "never"`` against the fake server playing the model's side below, and leaves the
transcripts to commit. The person's side is scripted too: an IPython startup file (in a
temporary ``IPYTHONDIR``, so only this recording's kernel has it) gives the ``%%plan`` cell
a person who edits the plan by hand and comments on S1 and S2 with Iterate, then approves.
Their review is recorded in the plan's transcript (the edit and the comments inside it),
which is what makes the notebook replay offline, with no person and no model. Change the
conversation here, never the transcripts by hand.
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
NOTEBOOK = "pages.ipynb"
PAGE = "sales-conventions"
FAKE_KEY = "sk-pages-recording-not-a-real-key-0000"  # must never reach a transcript
PLAN = """\
# Revenue by region

## Steps
### S1. Tidy the regions
Insert a cell that strips and title-cases `region`, as the conventions page says.
Verify: 4 regions.

### S2. Sum revenue per region
Insert a cell that sums `units * unit_price` per region.
Verify: one row per region.

## Verification
East, North, South and West, each with its revenue.
"""
#: The person's hand edit (revision 2): a check of their own in the verification.
EDITED = PLAN.replace(
    "each with its revenue.\n",
    "each with its revenue.\nThe rows with a missing `unit_price` count for nothing.\n",
)
COMMENTS = [
    {"anchor": "S1", "text": "Keep `region` as it is; put the tidy names in `region_clean`."},
    {"anchor": "S2", "text": "Also count the orders per region."},
]
PLAN_R3 = """\
# Revenue by region

## Steps
### S1. Tidy the regions
Insert a cell that adds `region_clean`: `region` stripped and title-cased (`region` kept).
Verify: 4 values in `region_clean`.

### S2. Sum revenue per region
Insert a cell that sums `units * unit_price` per `region_clean`.
Verify: one row per region.

## Verification
East, North, South and West, each with its revenue.
The rows with a missing `unit_price` count for nothing.

## Comments
- S1: addressed — the tidy names go in a new `region_clean` column.
- S2: not addressed — order counts are another question; this plan is revenue only.
"""
TIDY = (
    'sales["region_clean"] = sales["region"].str.strip().str.title()\n'
    'sales["region_clean"].unique()'
)
REVENUE = (
    'sales.assign(revenue=sales["units"] * sales["unit_price"])'
    '.groupby("region_clean")["revenue"].sum()'
)
#: The kernel's person: Iterate with the hand edit and the comments, then Approve.
STARTUP = """\
from jupyter_plan.models import ReviewDecision
from jupyter_plan.notebook.kernel_session import KernelSession
from jupyter_plan.testing.human import ScriptedHuman

_person = ScriptedHuman(reviews=[ReviewDecision.model_validate(r) for r in {reviews!r}])
_human = KernelSession.human


def _scripted(self, title, approve, yes, kind="plan"):
    return _person if kind == "plan" else _human(self, title, approve, yes, kind)


KernelSession.human = _scripted
"""
REVIEWS = [
    {
        "action": "iterate",
        "feedback": "See my edit and my comments on S1 and S2.",
        "edited": EDITED,
        "comments": COMMENTS,
    },
    {"action": "approve", "build_mode": "auto_edit"},
]


def _plan_file(body: dict[str, Any]) -> str:
    found = re.search(r"`([^`\s]+\.md)`", body["messages"][0]["content"])
    assert found, "no plan file in the planner's prompt"
    return found.group(1)


def _with_page(body: dict[str, Any]) -> str:
    shown = json.dumps(body["messages"])
    assert "never fill it" in shown, "the page did not reach the planner"
    return _plan_file(body)


def _inserted(body: dict[str, Any]) -> str:
    last = next(m for m in reversed(body["messages"]) if m["role"] == "tool")
    found = re.search(r"cell '([^']+)'", str(last["content"]))
    assert found, last
    return found.group(1)


def _commented(body: dict[str, Any]) -> Any:
    shown = json.dumps(body["messages"])
    assert "order" in shown and "edited the plan by hand" in shown, "no comments or edit sent"
    return tool_call("write_file", {"file_path": _plan_file(body), "content": PLAN_R3})


def conversation() -> list[Any]:
    return [
        # %%plan --page sales-conventions: revision 1
        lambda body: tool_call("write_file", {"file_path": _with_page(body), "content": PLAN}),
        lambda body: tool_call("exit_plan_mode", {"plan_filename": _plan_file(body)}),
        # Iterate with the person's revision 2 and two comments: revision 3 answers them
        _commented,
        lambda body: tool_call("exit_plan_mode", {"plan_filename": _plan_file(body)}),
        # %build
        tool_call("insert_cell", {"source": TIDY, "step_id": "S1"}),
        lambda body: tool_call("run_cell", {"cell_id": _inserted(body)}),
        tool_call("update_step", {"step_id": "S1", "status": "done", "note": "4 regions"}),
        tool_call("insert_cell", {"source": REVENUE, "step_id": "S2"}),
        lambda body: tool_call("run_cell", {"cell_id": _inserted(body)}),
        tool_call("update_step", {"step_id": "S2", "status": "done", "note": "4 rows"}),
        text("Done: revenue by region is in a new cell."),
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
            startup = Path(tmp) / "ipython" / "profile_default" / "startup"
            startup.mkdir(parents=True)
            (startup / "00-person.py").write_text(STARTUP.format(reviews=REVIEWS), "utf-8")
            env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_PLAN_")}
            env.update(
                JUPYTER_PLAN_API_KEY=FAKE_KEY,
                OPENAI_BASE_URL=server.base_url,
                LITELLM_LOCAL_MODEL_COST_MAP="True",
                IPYTHONDIR=str(Path(tmp) / "ipython"),
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
