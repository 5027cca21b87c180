"""The mode cycle (issue 15, entry routes of plan mode), as a person uses it.

- Alt+Shift+P in a notebook and a click on the status bar item cycle the session's approval
  mode default → auto_edit → plan → default; the status bar, the sidebar's switcher and the
  prompt box's dropdown show the same mode, and the kernel agrees.
- While the agent is running, plan is left out of the cycle (as in Gemini CLI): from
  auto_edit the next mode is default; once the run has stopped, plan is offered again at
  once: the kernel decides the next mode (it knows of the stop before the panel does).
- ``default_approval_mode: "plan"`` in the project's settings is shown at start, before any
  mode was set, and the cycle starts from it.

Screenshots of the status bar in plan mode, light and dark, go to ``tests/ui/screenshots``
and, with ``JUPYTER_PLAN_DOCS_IMAGES=1``, to ``docs/images``.
"""

from __future__ import annotations

import contextlib
import json
import threading

import pytest

from jupyter_plan.testing.cards import act, contrast_failures, run_card, set_theme, wait_phase
from jupyter_plan.testing.fake_server import stall
from jupyter_plan.testing.lab import LabPage, SwappableResponder, write_notebook

from .prompting import docs_image, kernel_mode, press_cycle, prompt_choice, wait_mode
from .steps import load_extension

pytestmark = pytest.mark.ui


def test_keys_and_status_bar_cycle_and_plan_waits_for_the_agent(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    from playwright.sync_api import expect

    load_extension(lab)
    wait_mode(lab, "unset")
    press_cycle(lab)
    wait_mode(lab, "default")
    press_cycle(lab)
    wait_mode(lab, "auto_edit")
    press_cycle(lab)
    wait_mode(lab, "plan")
    assert kernel_mode(lab) == "plan"
    lab.status_mode.click()
    wait_mode(lab, "default")
    lab.status_mode.click()
    wait_mode(lab, "auto_edit")
    assert kernel_mode(lab) == "auto_edit"

    # the agent is running (the model has not answered yet): plan is left out of the cycle
    held = threading.Event()
    fake_model.use([stall(held)])
    card = run_card(lab.run_cell("%%plan --id cycling\nSummarise revenue"), "plan")
    wait_phase(card, "working")
    press_cycle(lab)
    wait_mode(lab, "default")  # auto_edit → default: plan skipped
    lab.status_mode.click()
    wait_mode(lab, "auto_edit")
    lab.status_mode.click()
    wait_mode(lab, "default")  # and again by the status bar
    assert "Plan is not offered while the agent is running" in str(
        lab.sidebar.locator(".jp-plan-prompt-mode select").get_attribute("title")
    )
    lab.status_mode.click()
    wait_mode(lab, "auto_edit")
    # the run stops: plan is offered again at once (the kernel decides the next mode; the
    # panel may not have heard of the stop yet)
    act(card, "stop")
    wait_phase(card, "stopped")
    held.set()
    press_cycle(lab)
    wait_mode(lab, "plan")
    assert kernel_mode(lab) == "plan"
    expect(lab.sidebar.locator(".jp-plan-prompt-mode option[value=plan]")).to_be_enabled()
    assert not lab.page_errors, lab.page_errors


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_setting_plan_is_shown_at_start(lab: LabPage, theme: str) -> None:
    # a project of its own whose settings choose plan; its notebook opened in this page
    project = lab.server.root_dir / f"setting_plan_{theme}"
    (project / ".jupyter_plan").mkdir(parents=True, exist_ok=True)
    (project / ".jupyter_plan" / "settings.json").write_text(
        json.dumps({"default_approval_mode": "plan"})
    )
    notebook = f"{project.name}/start.ipynb"
    write_notebook(lab.server.root_dir / notebook)
    first = lab.notebook
    lab.notebook = notebook
    try:
        lab.open()
        if theme == "dark":
            set_theme(lab, "JupyterLab Dark")
        load_extension(lab)
        wait_mode(lab, "plan")  # nothing was set: the setting is what a task starts in
        assert kernel_mode(lab) == "the mode chosen at approval"  # the session's own is unset
        assert "default_approval_mode setting" in str(lab.status_mode.get_attribute("title"))
        assert prompt_choice(lab) == "plan"
        assert not contrast_failures(lab.page)
        lab.status_mode.scroll_into_view_if_needed()
        docs_image(lab, f"{theme}-mode-setting-plan")
        press_cycle(lab)  # the cycle starts from the shown mode: plan → default
        wait_mode(lab, "default")
        assert kernel_mode(lab) == "default"
        assert not lab.page_errors, lab.page_errors
    finally:
        if theme == "dark":  # the theme is a setting of the shared server: put it back
            with contextlib.suppress(Exception):
                set_theme(lab, "JupyterLab Light")
        lab.server.shutdown_sessions(notebook)
        lab.notebook = first
