"""The sidebar's prompt box (issue 15, item 3), used as a person does: click, type, Enter.

- Plan chosen in the dropdown (which sets the session's mode: the status bar says so), a
  task of two lines (Shift+Enter between them), Enter: a ``%%plan`` cell with that task is
  inserted right below the active cell and runs; its card comes up for review. The box is
  empty again. Light and dark, with every text of our components at WCAG AA.
- Agent chosen: a ``%%agent`` cell is inserted below the active cell and runs.
- Empty input does nothing; with no notebook open, Enter says so in one line.
"""

from __future__ import annotations

import contextlib

import pytest

from jupyter_plan.testing.cards import contrast_failures, run_card, set_theme, wait_phase
from jupyter_plan.testing.fake_server import text
from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .prompting import activate, docs_image, planning_any_id, prompt_box, prompt_choice, type_task
from .steps import DATA, load_extension

pytestmark = pytest.mark.ui

SIDEBAR_AND_CELLS: dict[str, float] = {"x": 0, "y": 0, "width": 1000, "height": 620}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_plan_from_the_prompt_box(lab: LabPage, fake_model: SwappableResponder, theme: str) -> None:
    if theme == "dark":
        set_theme(lab, "JupyterLab Dark")
    try:
        load_extension(lab)
        lab.run_cell(DATA)
        lab.run_cell("x = 1")
        data_cell = lab.cell_with_source("import pandas")
        activate(data_cell)
        before = lab.cell_sources()
        box = prompt_box(lab)

        # nothing typed: Enter does nothing
        box.locator("textarea").click()
        lab.page.keyboard.press("Enter")
        assert lab.cell_sources() == before
        assert box.locator("button.jp-plan-prompt-send").is_disabled()
        assert prompt_choice(lab) == "agent"

        fake_model.use(planning_any_id())
        activate(data_cell)
        type_task(lab, ["Summarise revenue", "by region"], choice="plan")
        # the dropdown set the session's mode: the status bar names it
        lab.status_mode.filter(has_text="Read-only (plan)").wait_for()
        card = run_card(lab.cell_with_source("%%plan"), "plan")
        wait_phase(card, "awaiting_review")
        after = lab.cell_sources()
        at = before.index(DATA) + 1  # right below the active cell
        assert after[at] == "%%plan\nSummarise revenue\nby region", after
        assert after[:at] + after[at + 1 :] == before
        assert box.locator("textarea").input_value() == ""
        assert "Revenue by region" in card.inner_text()
        task = fake_model.bodies[0]["messages"][1]["content"]
        assert "Summarise revenue\nby region" in str(task)
        assert prompt_choice(lab) == "plan"
        # the person is taken to the new cell, which holds the record of the task
        active = lab.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel"
            ".getSource()"
        )
        assert active == after[at]
        box.locator("textarea").click()
        lab.page.keyboard.type("Then chart it")
        assert not contrast_failures(lab.page)
        docs_image(lab, f"{theme}-prompt-box", SIDEBAR_AND_CELLS)
        assert not lab.page_errors, lab.page_errors
    finally:
        if theme == "dark":  # the theme is a setting of the shared server: put it back
            with contextlib.suppress(Exception):
                set_theme(lab, "JupyterLab Light")


def test_agent_from_the_prompt_box(lab: LabPage, fake_model: SwappableResponder) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    first = lab.cells.first
    activate(first)
    before = lab.cell_sources()
    fake_model.use([text("The mean amount is 5.83.")])
    type_task(lab, ["What is the mean amount?"], choice="agent")
    cell = lab.cell_with_source("%%agent")
    cell.locator(".jp-InputArea-prompt").get_by_text("[").wait_for()
    after = lab.cell_sources()
    assert after[1] == "%%agent\nWhat is the mean amount?", after  # below the active cell
    assert after[:1] + after[2:] == before
    cell.locator(".jp-OutputArea", has_text="5.83").wait_for()
    assert prompt_choice(lab) == "agent"
    assert not lab.page_errors, lab.page_errors


def test_no_notebook_open_says_so(lab: LabPage) -> None:
    lab.open_sidebar()
    # close the notebook's tab as a person does (its close icon)
    lab.save()  # saved first: closing asks nothing
    tab = lab.page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=lab.notebook)
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    lab.page.locator("#jp-main-dock-panel .jp-NotebookPanel").wait_for(state="detached")
    box = prompt_box(lab)
    assert "Open a notebook to see its plans." in lab.sidebar.inner_text()
    type_task(lab, ["Chart revenue"])
    notice = box.locator(".jp-plan-prompt-notice")
    assert notice.inner_text() == "Open a notebook first: the task goes into a new cell of it."
    assert box.locator("textarea").input_value() == "Chart revenue"  # kept for later
    assert not lab.page_errors, lab.page_errors
