"""(1) The whole flow in the browser, through the Plans sidebar.

``%%plan`` runs live (the lab extension is connected; no JUPYTER_PLAN_INTERACTIVE), the fake
model asks a question and the card is answered by clicking; the plan appears in the sidebar
and is approved there (Approve — auto-accept edits); ``%build`` inserts and runs a cell in the open
notebook, ticks the step off and the sidebar shows the plan built; ``%build --undo`` puts
the notebook back as it was when the build started.
"""

from __future__ import annotations

import json

import pytest

from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .steps import DATA, build_in_page, build_turns, load_extension, planning_turns, undo_in_page

pytestmark = pytest.mark.ui

PLAN_ID = "flow_revenue"


def test_plan_answer_approve_in_sidebar_build_undo(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    page = lab.page
    load_extension(lab)
    lab.run_cell(DATA)
    fake_model.use([*planning_turns(PLAN_ID, ask=True), *build_turns()])
    plan_cell = lab.run_cell(f"%%plan --id {PLAN_ID}\nSummarise revenue by region")

    # The question card, answered by clicks.
    card = plan_cell.locator(".jp-plan-questions")
    card.locator("button.jp-plan-option", has_text="pandas groupby").click()
    card.locator("button.jp-plan-submit").click()  # waits until it is enabled

    # The plan is listed in the sidebar, awaiting review; approve it there.
    item = lab.plan_item(PLAN_ID)
    item.locator(".jp-plan-status-awaiting_review").wait_for()
    assert "Summarise by region" in item.locator(".jp-plan-steps").inner_text()
    assert item.get_attribute("class") and "jp-plan-item-pending" in str(
        item.get_attribute("class")
    )
    lab.screenshot("-review")
    item.locator("button.jp-plan-act-approve_auto_edit").click()
    item.locator(".jp-plan-status-approved").wait_for()
    # The same decision in the cell's widget, and the plan's output in the cell.
    plan_cell.locator(".jp-plan-history", has_text="Approved").wait_for()
    plan_cell.locator(".jp-plan-rendered .jp-plan-card").wait_for()
    assert "Auto-accept edits" in item.inner_text()
    lab.wait_idle()

    # %build inserts the summary cell and runs it, in this page's notebook.
    before = build_in_page(lab, item, PLAN_ID)
    lab.screenshot("-built")
    assert fake_model.remaining == 0

    # %build --undo: the notebook is as it was when the build started.
    undo_in_page(lab, item, before)
    # The sidebar's link shows the plan's Markdown file (in the hidden plan folder, which
    # jupyter-server will not serve by default: a read-only tab with the plan document).
    item.locator("a.jp-plan-item-file").click()
    page.locator(".lm-TabBar-tab", has_text=f"{PLAN_ID}.md").wait_for()
    text = page.locator(".jp-plan-file-text").inner_text()
    assert "Summarise by region" in text, text
    assert json.loads((lab.server.root_dir / lab.notebook).read_text())["cells"] == []
    lab.screenshot()
    assert not lab.page_errors, lab.page_errors
