"""A project with hundreds of stored plans: the Plans panel stays a short list.

The kernel sends a new panel the newest plans first and the older ones after, in pages
(``loading`` counts what is still to come; ``loading.spec.ts`` covers the "Loading N older
plans…" line). The panel draws this notebook's own plans and the newest of the others; a
person finds an older one by typing in the filter or with "Show older plans", and no
loading line is left behind. Light and dark screenshots.
"""

from __future__ import annotations

import re
import shutil

import pytest

from jupyter_plan.testing.cards import set_theme
from jupyter_plan.testing.lab import LabPage
from jupyter_plan.testing.plans import approved_plan

from .steps import RICH_PLAN, load_extension

pytestmark = pytest.mark.ui

STORED = 180  # more than the first page (50) by far, and quick to write


def test_hundreds_of_stored_plans_listed_in_part_filtered_and_shown_older(lab: LabPage) -> None:
    from playwright.sync_api import expect

    plans = lab.server.root_dir / ".jupyter_plan" / "plans"
    kept = {p.name for p in plans.iterdir()} if plans.is_dir() else set()
    ids = [f"stored_{i:03d}" for i in range(STORED)]
    try:
        for plan_id in ids:
            approved_plan(plans, plan_id, RICH_PLAN)
        load_extension(lab)
        sidebar = lab.sidebar
        # The newest are drawn, the oldest (sent in a later page) not, and the panel says so.
        expect(lab.plan_item(ids[-1])).to_have_count(1)
        older = sidebar.locator("button.jp-plan-show-older")
        # (the shared server's project may hold a few plans of earlier tests too)
        expect(older).to_have_text(re.compile(r"^Show \d+ older plans$"))
        assert int(older.inner_text().split()[1]) >= STORED - 50
        expect(sidebar.locator(".jp-plan-loading")).to_have_count(0)
        drawn = sidebar.locator(".jp-plan-item").count()
        assert drawn < STORED, drawn  # a bounded list, not every card
        assert lab.plan_item(ids[0]).count() == 0
        lab.screenshot("-light")
        # Found by typing part of its id in the filter...
        box = sidebar.get_by_role("searchbox", name="Filter plans by title or id")
        box.fill("stored_000")
        expect(sidebar.locator(".jp-plan-item")).to_have_count(1)
        expect(lab.plan_item(ids[0])).to_have_count(1)
        box.fill("no such plan")
        expect(sidebar.locator(".jp-plan-empty", has_text="No plan matches")).to_have_count(1)
        set_theme(lab, "JupyterLab Dark")
        lab.screenshot("-dark-filtered")
        set_theme(lab, "JupyterLab Light")
        box.fill("")
        # ...or by showing older plans until none is left out.
        while older.count():
            older.click()
        expect(lab.plan_item(ids[0])).to_have_count(1)
        assert sidebar.locator(".jp-plan-item").count() >= STORED
        assert not lab.page_errors, lab.page_errors
    finally:  # the server is shared by every browser module: leave its project as it was
        for path in list(plans.iterdir()):
            if path.name not in kept:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
