"""What the browser tests script: the fake model's turns, steps every flow starts with, and
the checks and screenshots of a state of the cards."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_plan.testing.cards import axe_violations, contrast_failures, set_theme
from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.lab import LabPage
from jupyter_plan.testing.plans import REVENUE_PLAN as PLAN
from jupyter_plan.testing.plans import REVENUE_QUESTION as ASK

DATA = (
    "import pandas as pd\n"
    "sales = pd.DataFrame({'region': ['north', 'south', 'north'], 'amount': [10.0, 2.0, 5.5]})"
)
BUILT_SOURCE = "totals = sales.groupby('region').amount.sum()\ntotals"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "images"


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


def build_in_page(lab: LabPage, item: Any, plan_id: str) -> list[str]:
    """``%build`` in the empty last cell: the summary cell is inserted and run in this page's
    notebook, tagged with the plan, and the sidebar says built. The cells before, for undo."""
    before = lab.cell_sources()
    assert before[-1] == ""  # the %build goes into the empty last cell
    build_cell = lab.run_cell("%build")
    built = lab.cell_with_source("groupby('region')")
    built.locator(".jp-OutputArea-output", has_text="15.5").wait_for()
    build_cell.locator(".jp-OutputArea-output", has_text="Undo with").wait_for()
    item.locator(".jp-plan-status-built").wait_for()
    lab.wait_idle()
    assert built.count() == 1
    meta = lab.page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
              .map((c) => c.getMetadata().jupyter_plan || null)"""
    )
    assert {"plan_id": plan_id, "revision": 1, "step_id": "S1"} in meta, meta
    assert BUILT_SOURCE in lab.cell_sources()
    built.scroll_into_view_if_needed()
    return before


def undo_in_page(lab: LabPage, item: Any, before: list[str]) -> None:
    """``%build --undo``: the cells are as when the build started (the checkpoint holds the
    %build cell and the empty one after it; the --undo cell goes too), the plan approved."""
    expected = [*before[:-1], "%build", ""]
    lab.run_cell("%build --undo", wait=False)
    lab.page.wait_for_function(
        """(expected) => JSON.stringify(window.jupyterapp.shell.currentWidget.content.model
              .sharedModel.cells.map((c) => c.getSource())) === JSON.stringify(expected)""",
        arg=expected,
    )
    lab.wait_idle()
    assert lab.cell_with_source("groupby('region')").count() == 0
    item.locator(".jp-plan-status-approved").wait_for(timeout=30_000)
    assert "0/1 steps done" in item.inner_text()  # the build's ticks are undone too


# -- the cards ------------------------------------------------------------------------

#: A plan a reviewer can judge: summary, context found, alternatives and the recommendation,
#: steps with Verify, risks.
RICH_PLAN = """# Revenue by region

Summarise the three-row `sales` frame by region.

## Context found
- `sales` has the columns `region` and `amount` (3 rows).

## Alternatives considered
- **pandas groupby**: one line, no new dependency
- **SQL via duckdb**: heavier, needs a new package

Chosen approach: pandas groupby

## Steps
### S1. Summarise by region
Group `sales` by region in a new cell.
Verify: north = 15.5

## Risks
- Region names may differ in case.
"""


def rich_planning(plan_id: str, plan: str = RICH_PLAN) -> list[Any]:
    """The model writes ``plan`` as ``<plan_id>.md`` and submits it (narrating as it goes)."""
    plan_file = f"{plan_id}.md"
    return [
        tool_call("inspect_variable", {"name": "sales"}, content="Let me look at `sales` first."),
        tool_call("write_file", {"file_path": plan_file, "content": plan}),
        tool_call("exit_plan_mode", {"plan_filename": plan_file}),
    ]


@contextmanager
def in_theme(lab: LabPage, theme: str) -> Iterator[None]:
    """The block runs in ``theme``; JupyterLab Light is put back after it (the theme is a
    setting of the shared lab server: it outlives the test)."""
    if theme != "JupyterLab Light":
        set_theme(lab, theme)
    try:
        yield
    finally:
        if theme != "JupyterLab Light":
            set_theme(lab, "JupyterLab Light")


def check_look(lab: LabPage, where: str, focus: Any = None) -> None:
    """Scrolled to ``focus``: every text of our components meets WCAG AA contrast, and axe-core
    finds no serious or critical violation in them (``where`` names the state)."""
    if focus is not None:
        focus.scroll_into_view_if_needed()
    failures = contrast_failures(lab.page)
    assert not failures, f"{where}: contrast below AA: {failures}"
    violations = axe_violations(lab.page)
    assert not violations, f"{where}: axe: {violations}"


def to_docs(shot: Path, name: str) -> None:
    """With ``JUPYTER_PLAN_DOCS_IMAGES=1``, ``shot`` also becomes ``docs/images/<name>.png``."""
    if os.environ.get("JUPYTER_PLAN_DOCS_IMAGES") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS / f"{name}.png")


def state_shot(lab: LabPage, variant: str, name: str) -> Path:
    """The window's screenshot (``-<name>``), and the docs' ``<variant>-<name>.png``."""
    shot = lab.screenshot(f"-{name}")
    to_docs(shot, f"{variant}-{name}")
    return shot


def cell_ids(lab: LabPage) -> list[str]:
    """The ids of the notebook's cells, in order (from its model)."""
    return list(
        lab.page.evaluate(
            """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
                  .map((c) => c.id)"""
        )
    )


def saved_plans(lab: LabPage) -> list[dict[str, Any]]:
    """Save the notebook (Ctrl+S) and read the plan outputs the file holds."""
    import json

    lab.save()
    saved = json.loads((lab.server.root_dir / lab.notebook).read_text())
    mime = "application/vnd.jupyter-plan+json"
    return [
        o["data"][mime]
        for c in saved["cells"]
        for o in c.get("outputs", [])
        if mime in o.get("data", {})
    ]
