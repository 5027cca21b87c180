"""A drifted replay in JupyterLab, with a model configured: Run All stops at the plan with
the drift and no model request; the plan's card offers the choice, and only "Re-plan live"
calls the model; "Keep the recorded plan" shows the recorded plan and calls nothing."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from jupyter_plan.testing.lab import LabPage, LabServer, SwappableResponder
from jupyter_plan.testing.replays import QUICKSTART, copy_notebooks, menu, wait_until

pytestmark = pytest.mark.ui
CASE = itertools.count()
LIVE, KEEP = "Re-plan live (calls the model)", "Keep the recorded plan"


def _drifted_quickstart(server: LabServer) -> str:
    """A copy of the quickstart, replay 'auto', its task changed since the recording."""
    folder = copy_notebooks(server.root_dir / f"drift-{next(CASE)}")
    settings = folder / ".jupyter_plan" / "settings.json"
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "replay": "auto"}))
    nb = json.loads((folder / QUICKSTART).read_text())
    plan = next(c for c in nb["cells"] if "".join(c["source"]).startswith("%%plan"))
    plan["source"] = "".join(plan["source"]).replace("by region", "by product")
    (folder / QUICKSTART).write_text(json.dumps(nb))
    return f"{folder.name}/{QUICKSTART}"


def _open_and_run_all(browser: Any, server: LabServer, path: str) -> tuple[Any, LabPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = LabPage(context.new_page(), server, path, "drift")
    page.open()
    menu(page.page, "Run", "Run All Cells")
    return context, page


def _choice(page: LabPage, label: str) -> Any:
    return page.page.locator(".jp-OutputArea button", has_text=label).first


def test_a_drift_calls_no_model_until_the_person_chooses_to_re_plan(
    browser: Any, lab_server: LabServer, fake_model: SwappableResponder
) -> None:
    path = _drifted_quickstart(lab_server)
    context, page = _open_and_run_all(browser, lab_server, path)
    try:
        _choice(page, KEEP).wait_for(state="visible")
        live = _choice(page, LIVE)
        live.wait_for(state="visible")
        assert fake_model.bodies == []  # a model and a key are configured: still no call
        live.click()
        wait_until(lambda: bool(fake_model.bodies), 60, "the model to be asked")
        assert "by product" in json.dumps(fake_model.bodies[0]["messages"])
    finally:
        context.close()
        lab_server.shutdown_sessions(path)


def test_keeping_the_recorded_plan_calls_nothing(
    browser: Any, lab_server: LabServer, fake_model: SwappableResponder
) -> None:
    path = _drifted_quickstart(lab_server)
    context, page = _open_and_run_all(browser, lab_server, path)
    try:
        keep = _choice(page, KEEP)
        keep.wait_for(state="visible")
        keep.click()
        plan_cell = page.cells.filter(has=page.page.get_by_text("%%plan --id quickstart-sales"))
        plan_cell.get_by_text("Clean the sales data and chart monthly revenue").first.wait_for()
        page.wait_idle()
        assert fake_model.bodies == []
    finally:
        context.close()
        lab_server.shutdown_sessions(path)
