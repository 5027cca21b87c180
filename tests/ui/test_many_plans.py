"""A project with hundreds of stored plans: the Plans panel fills in pages and says so.

The kernel sends a new panel the newest plans first and the older ones after, in pages
(``loading`` counts what is still to come; the jest spec ``loading.spec.ts`` covers the
"Loading N older plans…" line itself). Here, in a real JupyterLab, the panel must end with
every stored plan listed and no loading line left behind, in light and dark.
"""

from __future__ import annotations

import shutil

import pytest

from jupyter_plan.testing.cards import set_theme
from jupyter_plan.testing.lab import LabPage
from jupyter_plan.testing.plans import approved_plan

from .steps import RICH_PLAN, load_extension

pytestmark = pytest.mark.ui

STORED = 180  # more than the first page (50) by far, and quick to write


def test_hundreds_of_stored_plans_all_listed_then_no_loading_line(lab: LabPage) -> None:
    from playwright.sync_api import expect

    plans = lab.server.root_dir / ".jupyter_plan" / "plans"
    kept = {p.name for p in plans.iterdir()} if plans.is_dir() else set()
    ids = [f"stored_{i:03d}" for i in range(STORED)]
    try:
        for plan_id in ids:
            approved_plan(plans, plan_id, RICH_PLAN)
        load_extension(lab)
        sidebar = lab.sidebar
        for plan_id in (ids[0], ids[-1]):  # the oldest comes in a later page than the newest
            expect(lab.plan_item(plan_id)).to_have_count(1)
        expect(sidebar.locator(".jp-plan-loading")).to_have_count(0)
        assert sidebar.locator(".jp-plan-item").count() >= STORED
        lab.screenshot("-light")
        set_theme(lab, "JupyterLab Dark")
        lab.screenshot("-dark")
        set_theme(lab, "JupyterLab Light")
        assert not lab.page_errors, lab.page_errors
    finally:  # the server is shared by every browser module: leave its project as it was
        for path in list(plans.iterdir()):
            if path.name not in kept:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
