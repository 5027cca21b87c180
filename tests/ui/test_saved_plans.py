"""(3) A plan saved in the notebook survives a reload, with no kernel at all.

A ``%%plan`` runs live and is approved in its widget; the cell's output then holds the plan
(``text/markdown`` + ``application/vnd.jupyter-plan+json``). The notebook is saved, its kernel
shut down from the Kernel menu, the page reloaded, and the notebook opened with no kernel
(``docmanager:open`` with ``kernelPreference.shouldStart = false``): the plan output renders as
a card (the extension's mime renderer, not the Markdown fallback) and the Plans sidebar lists
the plan as saved in the notebook.
"""

from __future__ import annotations

import json

import pytest

from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .steps import DATA, load_extension, planning_turns

pytestmark = pytest.mark.ui

PLAN_MIME = "application/vnd.jupyter-plan+json"
PLAN_ID = "saved_revenue"


def test_saved_plan_renders_and_is_listed_without_a_kernel(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    page = lab.page
    load_extension(lab)
    lab.run_cell(DATA)
    fake_model.use(planning_turns(PLAN_ID, ask=False))
    cell = lab.run_cell(f"%%plan --id {PLAN_ID}\nSummarise revenue by region")

    # Approve in the cell's review widget; the output then carries the plan.
    approve = cell.locator("button.jp-plan-act-approve_auto_edit")
    approve.wait_for(state="visible")
    approve.click()  # Playwright waits until it is enabled (the plan is presented)
    card = cell.locator(".jp-plan-rendered .jp-plan-card")
    card.wait_for(state="visible")
    lab.wait_idle()
    lab.save()
    saved = json.loads((lab.server.root_dir / lab.notebook).read_text())
    plans = [
        o["data"][PLAN_MIME]
        for c in saved["cells"]
        for o in c.get("outputs", [])
        if PLAN_MIME in o.get("data", {})
    ]
    assert [p["id"] for p in plans] == [PLAN_ID], plans
    assert plans[0]["status"] == "approved"

    # Shut the kernel down (Kernel menu), then reload the page with nothing open.
    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
    page.locator(".lm-Menu-itemLabel", has_text="Shut Down Kernel").first.click()
    lab.notebook_panel.locator(".jp-Toolbar-kernelName", has_text="No Kernel").wait_for()
    page.goto(f"{lab.server.url}/lab?reset")
    page.locator("#jp-main-dock-panel").wait_for(state="visible")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined")
    page.evaluate("() => window.jupyterapp.restored")
    lab.command(
        "docmanager:open",
        {"path": lab.notebook, "kernelPreference": {"shouldStart": False, "canStart": False}},
    )
    panel = lab.notebook_panel
    panel.wait_for(state="visible")
    panel.locator(".jp-Toolbar-kernelName", has_text="No Kernel").wait_for()

    # The saved output renders as a card, with its steps, and no kernel exists for it.
    card = panel.locator(".jp-OutputArea .jp-plan-rendered .jp-plan-card").first
    card.wait_for(state="visible")
    assert card.get_attribute("data-plan-id") == PLAN_ID
    assert "Revenue by region" in card.locator(".jp-plan-card-title").inner_text()
    assert "approved" in card.locator(".jp-plan-status").inner_text()
    assert "Summarise by region" in card.locator(".jp-plan-steps").inner_text()
    sessions = lab.server.api("GET", "/api/sessions") or []
    assert not [s for s in sessions if s.get("path") == lab.notebook], sessions

    # The sidebar lists it from the saved output, and says it is not connected.
    sidebar = lab.open_sidebar()
    item = lab.plan_item(PLAN_ID)
    item.wait_for(state="visible")
    assert "saved in the notebook" in item.inner_text()
    assert item.locator(".jp-plan-actions").count() == 0  # no buttons without a kernel
    assert sidebar.locator(".jp-plan-connection-connected").count() == 0
    card.scroll_into_view_if_needed()
    lab.screenshot()
    # ipywidgets' manager throws reading the absent kernel of the saved widget output (its
    # "Loading widget..." placeholder); nothing else may fail in the page.
    others = [e for e in lab.page_errors if "@jupyter-widgets/jupyterlab-manager" not in e]
    assert not others, others
