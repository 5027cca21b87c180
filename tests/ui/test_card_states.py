"""No stale states, no dead buttons (issue 11, findings 2 and 8).

(2) A run that fails ends "failed" with its reason, and Retry is the only button, in the card
    and the sidebar; Retry runs the cell again. While revision 2 is written after Iterate,
    nothing offers Approve for revision 1. A built plan's card, sidebar and saved output
    agree on N/M steps.
(8) Undo build and Rebuild are buttons, with a confirmation; after the undo the ``%build``
    output does not fall back to "Building…".
"""

from __future__ import annotations

import threading

import pytest

from jupyter_plan.testing.cards import act, answer_dialog, buttons, run_card, wait_phase
from jupyter_plan.testing.fake_server import http_error, stall
from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .steps import DATA, build_turns, load_extension, planning_turns, rich_planning, saved_plans

pytestmark = pytest.mark.ui


def test_a_failed_run_says_why_and_offers_only_retry(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    fake_model.use([http_error(400, "model 'fake' does not exist")])
    cell = lab.run_cell("%%plan --id failing\nSummarise revenue by region")
    card = run_card(cell, "plan")
    wait_phase(card, "failed")
    notice = card.locator(".jp-plan-error")
    assert notice.locator(".jp-plan-error-message").inner_text() == (
        "The model refused the request."
    )
    assert buttons(card) == ["Retry"]  # nothing else: every button there does something
    assert card.locator(".jp-plan-spinner").count() == 0  # no "waiting for the model" left
    item = lab.sidebar.locator(".jp-plan-item").filter(has_text="Summarise revenue by region")
    item.locator(".jp-plan-status-failed").wait_for()
    assert buttons(item) == ["Retry"]
    assert "revision 0" not in item.inner_text()  # no "drafting, revision 0, 0/0 steps"
    lab.screenshot("-failed")
    # Retry runs the cell again, as Shift+Enter would: now the model answers
    fake_model.use(planning_turns("failing", ask=False))
    act(card, "retry")
    card = run_card(lab.cell_with_source("%%plan --id failing"), "plan")
    wait_phase(card, "awaiting_review")
    assert lab.sidebar.locator(".jp-plan-status-failed").count() == 0
    assert not lab.page_errors, lab.page_errors


def test_no_approve_while_revision_two_is_written(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    held = threading.Event()
    fake_model.use([*rich_planning("iterating"), stall(held), *rich_planning("iterating")[1:]])
    card = run_card(lab.run_cell("%%plan --id iterating\nSummarise revenue"), "plan")
    wait_phase(card, "awaiting_review")
    item = lab.plan_item("iterating")
    item.locator(".jp-plan-status-awaiting_review").wait_for()
    act(item, "iterate")  # from the sidebar this time
    item.locator("textarea.jp-plan-feedback-text").fill("mention the risks first")
    item.locator("button.jp-plan-feedback-send").click()
    wait_phase(card, "working")
    item.locator(".jp-plan-status-working").wait_for()
    assert buttons(card) == ["Stop"] and buttons(item) == ["Stop"]
    # the palette offers no Approve either (its run actions follow the run)
    lab.page.keyboard.press("Control+Shift+C")
    search = lab.page.locator(".jp-ModalCommandPalette input").first
    search.fill("Plan: Approve")
    items = lab.page.locator(".jp-ModalCommandPalette .lm-CommandPalette-item")
    assert items.filter(has_text="Approve").count() == 0
    lab.page.keyboard.press("Escape")
    lab.palette("Plan: Stop")  # and Stop, which stops it
    wait_phase(card, "stopped")
    held.set()
    assert buttons(card) == ["Run again"]
    assert not lab.page_errors, lab.page_errors


def test_built_card_sidebar_and_saved_output_agree_then_undo_and_rebuild(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    fake_model.use([*planning_turns("agreeing", ask=False), *build_turns()])
    plan_cell = lab.run_cell("%%plan --id agreeing\nSummarise revenue by region")
    card = run_card(plan_cell, "plan")
    wait_phase(card, "awaiting_review")
    act(card, "approve_auto_edit")
    wait_phase(card, "approved")
    act(card, "build")  # the card's Build inserts and runs a %build cell below the plan
    build_card = run_card(lab.cell_with_source("%build agreeing"), "build")
    wait_phase(build_card, "built")
    lab.wait_idle()
    item = lab.plan_item("agreeing")
    item.locator(".jp-plan-status-built").wait_for()
    wait_phase(card, "built")
    for where in (card, build_card, item, plan_cell.locator(".jp-plan-saved-card")):
        assert "1/1 steps done" in where.inner_text(), where.inner_text()
    [saved] = saved_plans(lab)
    assert saved["status"] == "built"
    assert [s["status"] for s in saved["steps"]] == ["done"]
    lab.screenshot("-built")

    # Rebuild and Undo build ask first; Cancel changes nothing
    assert buttons(build_card) == ["Undo build", "Rebuild"]
    act(build_card, "rebuild")
    said = answer_dialog(lab.page, accept=False)
    assert "Build the plan again?" in said and "Revenue by region" in said
    act(build_card, "undo")
    said = answer_dialog(lab.page, accept=False)
    assert "Undo the build?" in said
    assert lab.cell_with_source("groupby('region')").count() == 1
    act(build_card, "undo")
    answer_dialog(lab.page)
    wait_phase(build_card, "approved")  # the plan is approved again: Build offers it anew
    lab.page.wait_for_function(
        """() => !window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
              .some((c) => c.getSource().includes("groupby('region')"))"""
    )
    build_cell = lab.cell_with_source("%build agreeing")
    assert "Building" not in build_cell.locator(".jp-OutputArea").inner_text()
    assert "the notebook is as it was before the build" in build_card.inner_text()
    assert buttons(build_card) == ["Build"]
    item.locator(".jp-plan-status-approved").wait_for()
    assert "0/1 steps done" in item.inner_text()
    wait_phase(card, "approved")
    assert "0/1 steps done" in plan_cell.locator(".jp-plan-saved-card").inner_text()
    assert not lab.page_errors, lab.page_errors
