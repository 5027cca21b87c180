"""A run at work, and a run that fails (issue 11, findings 5 and 6).

(5) Progress is visible: the plan is listed in the sidebar from the moment drafting starts,
    with a badge when a question waits; the card names the current tool in words, shows the
    agent's own words, and its elapsed timer advances while a slow model thinks; Stop ends a
    build, keeping its checkpoint (Undo build restores the notebook) and the kernel usable.
(6) An error is said once, where the person looks, with the fix (which variable, that
    JupyterLab needs a restart) and the provider's text behind "Details".
"""

from __future__ import annotations

import threading

import pytest

from jupyter_plan.testing.cards import act, answer_dialog, buttons, run_card, wait_phase
from jupyter_plan.testing.fake_server import delay, http_error, stall, tool_call
from jupyter_plan.testing.lab import LabPage, SwappableResponder
from jupyter_plan.testing.plans import REVENUE_QUESTION, approved_plan

from .steps import DATA, RICH_PLAN, load_extension, rich_planning

pytestmark = pytest.mark.ui


def test_progress_shows_from_the_start_and_stop_keeps_the_checkpoint(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    first = tool_call("inspect_variable", {"name": "sales"}, content="Let me look at `sales`.")
    fake_model.use(
        [
            delay(3.5, first),  # a slow model: the timer must move while it thinks
            tool_call("ask_user", REVENUE_QUESTION),
            *rich_planning("progress")[1:],
        ]
    )
    cell = lab.run_cell("%%plan --id progress\nSummarise revenue by region")
    card = run_card(cell, "plan")
    # listed from the moment drafting starts, under the task's words
    item = lab.sidebar.locator(".jp-plan-item").filter(has_text="Summarise revenue by region")
    item.locator(".jp-plan-status-working").wait_for()
    assert buttons(item) == ["Stop"]
    card.locator(".jp-plan-activity", has_text="Waiting for the model").wait_for()
    lab.page.wait_for_function(
        """(card) => {
            const timer = card.querySelector('.jp-plan-timer');
            const doing = card.querySelector('.jp-plan-activity');
            return timer && doing && doing.textContent === 'Waiting for the model'
              && /^[2-9]s$/.test(timer.textContent);
        }""",
        arg=card.element_handle(),
    )
    assert card.locator(".jp-plan-spinner").count() == 1
    lab.screenshot("-waiting")
    # the agent's words, then a question: the sidebar flags it
    card.locator(".jp-plan-questions").wait_for()
    narration = card.locator(".jp-plan-narration")
    assert narration.inner_text() == "Let me look at sales."
    assert narration.locator("code").inner_text() == "sales"  # its Markdown drawn
    item.locator(".jp-plan-badge", has_text="A question waits for you").wait_for()
    assert lab.page.locator(".jp-plan-tab-waiting").count() == 1  # and its tab
    card.locator("button.jp-plan-option", has_text="pandas groupby").click()
    card.locator("button.jp-plan-submit").click()
    wait_phase(card, "awaiting_review")
    act(card, "reject")
    wait_phase(card, "rejected")

    # Stop a build mid-way: stopped, checkpoint kept, kernel usable, Undo restores
    approved_plan(lab.server.root_dir / ".jupyter_plan" / "plans", "stopping", RICH_PLAN)
    held = threading.Event()
    fake_model.use(
        [tool_call("insert_cell", {"source": "half_done = 1", "step_id": "S1"}), stall(held)]
    )
    build = run_card(lab.run_cell("%build stopping"), "build")
    lab.page.wait_for_function(
        """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
              .some((c) => c.getSource() === 'half_done = 1')"""
    )
    build.locator(".jp-plan-activity", has_text="Waiting for the model").wait_for()
    act(build, "stop")
    wait_phase(build, "stopped")
    held.set()
    notice = build.locator(".jp-plan-stopped").inner_text()
    assert "Stopped after 0 of 1 steps" in notice and "Undo build restores it" in notice
    assert buttons(build) == ["Run again", "Undo build"]
    ran = lab.run_cell("40 + 2")  # the kernel is usable
    assert "42" in lab.cell_output_text(ran)
    act(build, "undo")
    answer_dialog(lab.page)
    lab.page.wait_for_function(
        """() => !window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
              .some((c) => c.getSource() === 'half_done = 1')"""
    )
    assert not lab.page_errors, lab.page_errors


def test_an_auth_error_is_said_once_with_its_fix(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    chain = "Incorrect API key provided: sk-ui-t*****. You can find your API key at ..."
    fake_model.use([http_error(401, chain)])
    cell = lab.run_cell("%%plan --id unauthorised\nSummarise revenue by region")
    card = run_card(cell, "plan")
    wait_phase(card, "failed")
    notice = card.locator(".jp-plan-error")
    assert notice.get_attribute("role") == "alert"
    assert notice.locator(".jp-plan-error-message").inner_text() == (
        "The model provider refused the API key."
    )
    fix = notice.locator(".jp-plan-error-fix").inner_text()
    assert "JUPYTER_PLAN_API_KEY" in fix and "restart JupyterLab" in fix
    # once: no second copy in the cell's outputs, no traceback, no UsageError
    outputs = cell.locator(".jp-OutputArea").inner_text()
    assert outputs.count("refused the API key") == 1, outputs
    details = notice.locator("details.jp-plan-error-details")
    assert details.get_attribute("open") is None  # the provider's text waits behind Details
    details.locator("summary").click()
    assert "401" in details.inner_text()
    assert "Traceback" not in outputs and "UsageError" not in outputs
    stderr = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0
    assert buttons(card) == ["Retry"]
    lab.screenshot()
    assert not lab.page_errors, lab.page_errors
