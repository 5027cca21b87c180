"""Re-record quickstart.ipynb's plan and build against the fake model server.

    .venv/bin/python notebooks/record_quickstart.py [FOLDER]

Deletes FOLDER/.jupyter_plan/plans (default: this script's folder), then runs the notebook
headless with ``replay = "never"`` against jupyter-plan's fake OpenAI-compatible server on
127.0.0.1, which plays the scripted model conversation below; the question the agent asks
gets the answer in ANSWERS. The plan file and the transcripts land in the plan directory:
commit them, and the notebook replays offline (no model, no key, no network). Change the
conversation here, never the transcripts by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.recording import built_step, record_headless, target_folder

HERE = Path(__file__).resolve().parent
NOTEBOOK = "quickstart.ipynb"
PLAN_ID = "quickstart-sales"
FAKE_KEY = "sk-quickstart-recording-not-a-real-key-0000"  # must never reach a transcript
ANSWERS = {"Missing price": "Fill with the product's median price (Recommended)"}

PLAN = """\
# Clean the sales data and chart monthly revenue by region

## Context found
- `sales` (cell `load-data`): 59 rows of `date`, `region`, `product`, `units`, `unit_price`.
- `date` comes in three formats: `2024-03-23`, `01/19/2024` and `May 09, 2024`.
- `region` has stray spaces and mixed case (` north`, `NORTH `, `south `, …): 4 regions.
- One `unit_price` is missing (a Gizmo sale); one row is an exact duplicate.

## Steps
### S1. Clean `sales` into `clean`
Insert a cell that parses `date` with `format="mixed"`, strips and title-cases `region`,
drops the duplicate row, fills the missing `unit_price` with the product's median price
(the person's choice) and adds `revenue = units * unit_price`.
Verify: 58 rows, regions East/North/South/West, no missing values.

### S2. Chart monthly revenue by region
Insert a cell that sums `revenue` by calendar month and region and draws one line per
region with matplotlib.
Verify: a table of 6 months x 4 regions and a line chart.

## Verification
`clean` has no missing values; the chart shows January to June 2024 for the 4 regions.

## Risks
- Slash dates are read month first (US), as every one in the file has a month ≤ 12 first.

## Alternatives considered
- **Drop the row with no price**: simpler, but loses a real sale.
- **Fill with the product's median price**: keeps the sale; Gizmo has one price anyway.

Chosen approach: Fill with the product's median price
"""

QUESTION = {
    "question": "One Gizmo sale (Jan 11) has no unit price. How should it be handled?",
    "header": "Missing price",
    "type": "choice",
    "options": [
        {
            "label": "Fill with the product's median price (Recommended)",
            "description": "keeps the sale; every other Gizmo row costs 7.25",
        },
        {"label": "Drop the row", "description": "simplest, but the sale is lost"},
    ],
}

CLEAN = """\
clean = sales.assign(
    date=pd.to_datetime(sales["date"], format="mixed"),
    region=sales["region"].str.strip().str.title(),
).drop_duplicates()
median_price = clean.groupby("product")["unit_price"].transform("median")
clean["unit_price"] = clean["unit_price"].fillna(median_price)
clean["revenue"] = clean["units"] * clean["unit_price"]
print(f"{len(sales)} rows -> {len(clean)}; regions: {', '.join(sorted(clean['region'].unique()))}")
print(f"missing values left: {int(clean.isna().sum().sum())}")
clean.head()"""

CHART = """\
import matplotlib.pyplot as plt

monthly = (
    clean.groupby([clean["date"].dt.to_period("M"), "region"])["revenue"]
    .sum()
    .unstack("region")
)
ax = monthly.plot(marker="o", figsize=(8, 4), title="Monthly revenue by region")
ax.set_xlabel("month")
ax.set_ylabel("revenue")
plt.show()
monthly.round(2)"""

# Silent code run before the notebook: the question gets its recorded answer (a person
# would click it in JupyterLab); --approve answers the review, as in the notebook.
PRELUDE = f"""
def _jupyter_plan_recording():
    from jupyter_plan.agent.human import YesHuman
    from jupyter_plan.notebook.kernel_session import KernelSession
    from jupyter_plan.models import Answer

    answers = {json.dumps(ANSWERS)}

    class Answering(YesHuman):
        async def ask(self, questions):
            return [Answer(header=q.header, selected=[answers[q.header]]) for q in questions]

    original = KernelSession.human

    def human(self, title, approve, yes, *args, **kwargs):
        found = original(self, title, approve, yes, *args, **kwargs)
        return Answering(found.build_mode) if isinstance(found, YesHuman) else found

    KernelSession.human = human

_jupyter_plan_recording()
del _jupyter_plan_recording
"""


def conversation() -> list[Any]:
    """The model's side: plan (explore, ask, write, submit), then build (insert, run, tick)."""
    return [
        tool_call("list_cells", {}, content="Let me look at the notebook first."),
        tool_call("inspect_variable", {"name": "sales", "rows": 8}),
        tool_call("ask_user", {"questions": [QUESTION]}),
        tool_call("write_file", {"file_path": f"{PLAN_ID}.md", "content": PLAN}),
        tool_call("exit_plan_mode", {"plan_filename": f"{PLAN_ID}.md"}),
        # the build
        *built_step("S1", CLEAN, "58 rows, 4 regions, nothing missing"),
        *built_step("S2", CHART, "6 months x 4"),
        text("Done: `clean` holds the cleaned sales and the chart shows monthly revenue."),
    ]


def record(folder: Path = HERE) -> None:
    """Record the quickstart in ``folder`` (which holds quickstart.ipynb, data/ and
    .jupyter_plan/settings.json); raises if the notebook fails or turns are left over."""
    record_headless(folder, NOTEBOOK, conversation(), FAKE_KEY, prelude=PRELUDE)


if __name__ == "__main__":
    target = target_folder(HERE)
    record(target)
    print(f"recorded {target / NOTEBOOK}: plans and transcripts in {target}/.jupyter_plan/plans")
