"""The same cards and the Plans panel in Jupyter Notebook 7 (issue 11, finding 9).

Notebook 7 loads the same prebuilt labextension: the run cards draw natively, the Plans
panel opens from View → Left Sidebar → Show Plans, and the approval mode sits in the notebook's
toolbar (Notebook 7 has no status bar). The journey: a question answered, approved in the
panel, built with one approval, undone; then the toolbar's mode goes round the cycle by a
key, a click and Alt+Shift+P. Each state passes the contrast and axe checks.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.testing.cards import (
    act,
    answer_dialog,
    buttons,
    run_card,
    wait_phase,
)
from jupyter_plan.testing.fake_server import FakeModelServer
from jupyter_plan.testing.lab import UI_TIMEOUT_MS, LabServer, SwappableResponder
from jupyter_plan.testing.lab_server import model_env, stop_process, write_notebook
from jupyter_plan.testing.notebook7 import NotebookPage, start_notebook_server

from .conftest import SCREENSHOTS
from .prompting import kernel_mode, press_cycle
from .steps import DATA
from .test_card_look import Checks, journey_turns, review_then_iterate

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def notebook_server(
    _model_server: tuple[FakeModelServer, SwappableResponder],
) -> Iterator[LabServer]:
    pytest.importorskip("notebook", reason="Notebook 7 is in the test extra (./scripts/setup)")
    base = Path(tempfile.mkdtemp(prefix="jupyter-plan-nb7-"))
    server = start_notebook_server(base, model_env(_model_server[0].base_url, base))
    try:
        yield server
    finally:
        stop_process(server.proc)
        shutil.rmtree(base, ignore_errors=True)


def ours(errors: list[str]) -> list[str]:
    """Page errors of jupyter-plan (Notebook 7's own settings registry logs one of its own
    at start, "reading 'schema'", with or without this extension)."""
    return [e for e in errors if "jupyter-plan" in e or "jupyter_plan" in e]


def test_journey_in_notebook7(
    browser: Any, notebook_server: LabServer, fake_model: SwappableResponder
) -> None:
    write_notebook(notebook_server.root_dir / "nb7.ipynb")
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    nb = NotebookPage(context.new_page(), notebook_server, "nb7.ipynb", "notebook7", SCREENSHOTS)
    check = Checks(nb, "notebook7")
    try:
        nb.open()
        nb.run_cell("%load_ext jupyter_plan")
        sidebar = nb.open_sidebar()
        sidebar.locator(".jp-plan-connection-connected").wait_for()
        assert nb.status_mode.inner_text() == "Approval: As approved"
        nb.run_cell(DATA)
        fake_model.use(journey_turns("nb7_plan"))
        cell = nb.run_cell("%%plan --id nb7_plan\nSummarise revenue by region")
        card = run_card(cell, "plan")
        form = card.locator(".jp-plan-questions")
        form.wait_for()
        sidebar.locator(".jp-plan-badge", has_text="wait for you").wait_for()
        check.state("question", form)
        form.locator("button.jp-plan-option", has_text="pandas groupby").click()
        form.locator("button.jp-plan-option", has_text="amount").click()
        form.locator("button.jp-plan-submit").click()
        review_then_iterate(card, check)
        item = nb.plan_item("nb7_plan")
        act(item, "approve_default")  # approved in the Plans panel
        wait_phase(card, "approved")
        act(card, "build")
        build = run_card(nb.cell_with_source("%build nb7_plan"), "build")
        approval = build.locator(".jp-plan-approval")
        approval.wait_for()
        check.state("approval", approval)
        approval.locator("button.jp-plan-allow-once").click()
        wait_phase(build, "built")
        nb.wait_idle()
        item.locator(".jp-plan-status-built").wait_for()
        check.state("built", build)
        act(build, "undo")
        answer_dialog(nb.page)
        wait_phase(build, "approved")
        assert buttons(build) == ["Build"]
        # the toolbar's mode item switches with the keyboard, and the panel follows
        nb.status_mode.focus()
        nb.page.keyboard.press("Enter")
        nb.status_mode.filter(has_text="Approval: Review each edit").wait_for()
        mode = sidebar.locator("select.jp-plan-mode-select option:checked")
        assert mode.inner_text() == "Review each edit"
        # on round the cycle by a click on it, then by Alt+Shift+P in the notebook
        nb.status_mode.click()
        nb.status_mode.filter(has_text="Approval: Auto-accept edits").wait_for()
        press_cycle(nb)
        nb.status_mode.filter(has_text="Approval: Read-only (plan)").wait_for()
        assert mode.inner_text() == "Read-only (plan)"
        assert kernel_mode(nb) == "plan"
        check.state("toolbar_plan", nb.page.locator(".jp-plan-toolbar-mode"))
        press_cycle(nb)
        nb.status_mode.filter(has_text="Approval: Review each edit").wait_for()
        assert kernel_mode(nb) == "default"
        assert not ours(nb.page_errors), nb.page_errors
    finally:
        context.close()
        notebook_server.shutdown_sessions("nb7.ipynb")
