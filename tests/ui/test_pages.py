"""Pages as a person uses them (issue 16): make a page in the sidebar and write it in the
editor, reference it in ``%%plan``, see it reach the model; turn a plan into a page and get
a new plan that references it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jupyter_plan.testing.cards import run_card, wait_phase
from jupyter_plan.testing.fake_server import tool_call
from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .steps import DATA, RICH_PLAN, load_extension, rich_planning

pytestmark = pytest.mark.ui

MARKER = "Amounts are in EUR cents (PAGE-MARKER-5521)."


def user_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m["content"]) for m in body["messages"] if m["role"] == "user")


def own_plan_file(body: dict[str, Any]) -> str:
    """The plan document the system prompt names (a plan without --id has a fresh id)."""
    system = next(str(m["content"]) for m in body["messages"] if m["role"] == "system")
    found = re.search(r"only `([^`]+\.md)`", system)
    assert found, system[:400]
    return found.group(1)


def write_in_editor(lab: LabPage, tab: Any, text: str) -> None:
    editor = tab.locator(".jp-plan-editor .cm-content")
    editor.click()
    lab.page.keyboard.press("Control+A")
    lab.page.keyboard.insert_text(text)


def close_editors(lab: LabPage) -> None:
    lab.page.evaluate(
        """() => Array.from(window.jupyterapp.shell.widgets('main'))
              .filter((w) => w.id.startsWith('jupyter-plan-edit-')).forEach((w) => w.close())"""
    )
    lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first.wait_for()


def editor_tab(lab: LabPage, kind: str, name: str) -> Any:
    tab = lab.page.locator(f"#jupyter-plan-edit-{kind}-{name}")
    tab.locator(".cm-content").wait_for()
    return tab


def test_a_page_made_in_the_sidebar_reaches_the_model(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    pages = lab.sidebar.locator(".jp-plan-pages")
    pages.locator(".jp-plan-page-new-name").fill("sales-guide")
    pages.locator(".jp-plan-page-new-button").click()
    tab = editor_tab(lab, "page", "sales-guide")
    write_in_editor(lab, tab, f"# Sales guide\n\n{MARKER}\n")
    tab.locator(".jp-plan-edit-save").click()
    tab.locator(".jp-plan-edit-status-ok", has_text="Page saved").wait_for()
    saved = lab.server.root_dir / ".jupyter_plan" / "pages" / "sales-guide.md"
    assert MARKER in saved.read_text()
    pages.locator('.jp-plan-page[data-page="sales-guide"]', has_text="Sales guide").wait_for()
    lab.screenshot("-pages-sidebar")

    fake_model.use(rich_planning("paged"))
    close_editors(lab)  # back to the notebook
    card = run_card(lab.run_cell("%%plan --id paged --page sales-guide\nSummarise revenue"), "plan")
    wait_phase(card, "awaiting_review")
    first = user_text(fake_model.bodies[0])
    assert MARKER in first and "### Page: sales-guide" in first  # the page reached the model
    card.locator(".jp-plan-pages-used", has_text="pages: sales-guide").wait_for()
    assert not lab.page_errors, lab.page_errors


def test_turn_a_long_plan_into_a_page_and_plan_against_it(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    long_plan = RICH_PLAN + "\n## Notes\n" + "- a detail the next plan should keep\n" * 180
    fake_model.use(rich_planning("long", long_plan))
    card = run_card(lab.run_cell("%%plan --id long\nSummarise revenue"), "plan")
    wait_phase(card, "awaiting_review")
    offer = card.locator("button.jp-plan-to-page")  # offered: the plan is long
    offer.wait_for()
    lab.screenshot("-turn-into-a-page")

    def write_next(body: dict[str, Any]) -> Any:
        return tool_call("write_file", {"file_path": own_plan_file(body), "content": RICH_PLAN})

    def submit_next(body: dict[str, Any]) -> Any:
        return tool_call("exit_plan_mode", {"plan_filename": own_plan_file(body)})

    fake_model.use([write_next, submit_next])
    offer.click()
    page_file = lab.server.root_dir / ".jupyter_plan" / "pages" / "revenue-by-region.md"
    new_cell = lab.cell_with_source("%%plan --page revenue-by-region")
    new_cell.wait_for()
    second = run_card(new_cell, "plan")
    wait_phase(second, "awaiting_review")
    assert "a detail the next plan should keep" in page_file.read_text()
    first = user_text(fake_model.bodies[0])
    assert "### Page: revenue-by-region" in first and "a detail the next plan" in first
    second.locator(".jp-plan-pages-used", has_text="revenue-by-region").wait_for()
    assert not lab.page_errors, lab.page_errors
