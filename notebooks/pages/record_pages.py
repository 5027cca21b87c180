"""Re-record pages.ipynb against the fake model server (as notebooks/agent/record_agent.py).

    .venv/bin/python notebooks/pages/record_pages.py [FOLDER]

Deletes FOLDER/.jupyter_plan/plans (default: this script's folder), runs the notebook
headless with ``replay = "never"`` against the fake server playing the model's side below
(``jupyter_plan.testing.recording``), and leaves the transcripts to commit. The person's
side is scripted too: an IPython startup file (in a temporary ``IPYTHONDIR``, so only this
recording's kernel has it) gives the ``%%plan`` cell a person who edits the plan by hand and
comments on S1 and S2 with Iterate, then approves.
Their review is recorded in the plan's transcript (the edit and the comments inside it),
which is what makes the notebook replay offline, with no person and no model. Change the
conversation here, never the transcripts by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.recording import (
    built_step,
    plan_file,
    record_headless,
    target_folder,
)

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


def _with_page(body: dict[str, Any]) -> str:
    shown = json.dumps(body["messages"])
    assert "never fill it" in shown, "the page did not reach the planner"
    return plan_file(body)


def _commented(body: dict[str, Any]) -> Any:
    shown = json.dumps(body["messages"])
    assert "order" in shown and "edited the plan by hand" in shown, "no comments or edit sent"
    return tool_call("write_file", {"file_path": plan_file(body), "content": PLAN_R3})


def conversation() -> list[Any]:
    return [
        # %%plan --page sales-conventions: revision 1
        lambda body: tool_call("write_file", {"file_path": _with_page(body), "content": PLAN}),
        lambda body: tool_call("exit_plan_mode", {"plan_filename": plan_file(body)}),
        # Iterate with the person's revision 2 and two comments: revision 3 answers them
        _commented,
        lambda body: tool_call("exit_plan_mode", {"plan_filename": plan_file(body)}),
        # %build
        *built_step("S1", TIDY, "4 regions"),
        *built_step("S2", REVENUE, "4 rows"),
        text("Done: revenue by region is in a new cell."),
    ]


def record(folder: Path = HERE) -> None:
    """Record pages.ipynb in ``folder`` with the scripted person in the kernel; raises if the
    notebook fails or turns are left over."""
    startup = STARTUP.format(reviews=REVIEWS)
    record_headless(folder, NOTEBOOK, conversation(), FAKE_KEY, startup=startup)


if __name__ == "__main__":
    target = target_folder(HERE)
    record(target)
    print(f"recorded {target / NOTEBOOK}: transcripts in {target}/.jupyter_plan/plans")
