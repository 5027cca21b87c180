"""``%%agent`` and plan mode in a real JupyterLab (issue 15), acted out as a person does.

- The model calls ``enter_plan_mode``: the card asks "Switch to plan mode?" with the model's
  reason, Confirm and "Stay in <the session's mode>"; while it shows, plan is left out of the
  mode cycle. Confirm: the same cell's card turns into the plan review; Approve, Build: the
  build runs and inserts its cell. Light and dark (screenshots of the confirmation and of
  the review it turned into).
- Stay: the agent is told no, stays in the session's mode and answers; the mode is unchanged.
- The other entry routes reach plan mode too: the mode cycle (Alt+Shift+P) and the setting
  ``default_approval_mode: "plan"`` make a typed ``%%agent`` a planning run with the review.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from jupyter_plan.testing.cards import act, run_card, set_theme, wait_phase
from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.lab import LabPage, SwappableResponder, write_notebook

from .prompting import docs_image, kernel_mode, planning_any_id, press_cycle, type_task, wait_mode
from .steps import DATA, build_turns, check_look, load_extension

pytestmark = pytest.mark.ui

REASON = "A summary by region touches three cells and a chart: worth a plan first."


def ask_to_plan() -> Any:
    return tool_call("enter_plan_mode", {"reason": REASON}, content="This deserves a plan.")


def tool_results(body: dict[str, Any]) -> list[str]:
    return [str(m["content"]) for m in body["messages"] if m.get("role") == "tool"]


def switch_card(lab: LabPage) -> tuple[Any, Any]:
    """The ``%%agent`` cell's card and its plan-mode confirmation, once it shows."""
    card = run_card(lab.cell_with_source("%%agent"), "plan")
    confirm = card.locator(".jp-plan-switch")
    confirm.wait_for(state="visible")
    return card, confirm


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_agent_asks_to_plan_the_person_confirms_then_builds(
    lab: LabPage, fake_model: SwappableResponder, theme: str
) -> None:
    if theme == "dark":
        set_theme(lab, "JupyterLab Dark")
    try:
        load_extension(lab)
        lab.run_cell(DATA)
        lab.status_mode.click()  # As approved → Review each edit
        lab.status_mode.click()  # → Auto-accept edits
        wait_mode(lab, "auto_edit")
        fake_model.use([ask_to_plan(), *planning_any_id(), *build_turns()])
        type_task(lab, ["Start a plan for a revenue summary by region"], choice="agent")
        card, confirm = switch_card(lab)
        assert "Switch to plan mode?" in confirm.inner_text()
        assert REASON in confirm.inner_text()
        stay = confirm.locator("button.jp-plan-switch-stay")
        assert stay.inner_text() == "Stay in “Auto-accept edits”"
        # while the confirmation shows, the cycle leaves plan out: auto_edit → default
        press_cycle(lab)
        wait_mode(lab, "default")
        press_cycle(lab)
        wait_mode(lab, "auto_edit")
        check_look(lab, f"{theme}/enter-plan-mode")
        docs_image(lab, f"{theme}-enter-plan-mode", element=card)

        # Confirm by keyboard: Tab reaches the button, Enter presses it
        confirm.locator("button.jp-plan-switch-confirm").focus()
        lab.page.keyboard.press("Enter")
        wait_phase(card, "awaiting_review")  # the same cell's card is now the plan review
        assert "Revenue by region" in card.inner_text()
        assert card.locator(".jp-plan-switch").count() == 0
        assert lab.cell_with_source("%%agent").count() == 1  # no new cell: the same run
        docs_image(lab, f"{theme}-agent-plan-review", element=card)
        planning = fake_model.bodies[1]["messages"]
        assert "Plan mode, because: " + REASON in str(planning[1]["content"])

        act(card, "approve_auto_edit")
        wait_phase(card, "approved")
        act(card, "build")
        built = lab.cell_with_source("groupby('region')")
        built.locator(".jp-OutputArea-output", has_text="15.5").wait_for()
        wait_phase(card, "built")
        assert lab.cell_with_source("%build").count() == 1
        assert fake_model.remaining == 0
        assert not lab.page_errors, lab.page_errors
    finally:
        if theme == "dark":  # the theme is a setting of the shared server: put it back
            with contextlib.suppress(Exception):
                set_theme(lab, "JupyterLab Light")


def test_staying_keeps_the_mode_and_the_agent_answers(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    lab.status_mode.click()
    lab.status_mode.click()
    wait_mode(lab, "auto_edit")
    fake_model.use([ask_to_plan(), text("Then in short: north sold 15.5, south 2.0.")])
    lab.run_cell("%%agent\nHow much did each region sell?", wait=False)
    _, confirm = switch_card(lab)
    confirm.locator("button.jp-plan-switch-stay").click()
    cell = lab.cell_with_source("%%agent")
    cell.locator(".jp-OutputArea", has_text="north sold 15.5").wait_for()
    lab.wait_idle()
    denied = tool_results(fake_model.bodies[-1])
    assert any(r.startswith("Denied by the person") for r in denied), denied
    assert lab.plan_item("agent").count() == 0
    wait_mode(lab, "auto_edit")  # the session stays where it was
    assert kernel_mode(lab) == "auto_edit"
    assert not lab.page_errors, lab.page_errors


def test_the_mode_cycle_makes_agent_plan(lab: LabPage, fake_model: SwappableResponder) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    for _ in range(3):  # As approved → default → auto_edit → plan, by the keys
        press_cycle(lab)
    wait_mode(lab, "plan")
    assert kernel_mode(lab) == "plan"
    fake_model.use(planning_any_id())
    lab.run_cell("%%agent\nSummarise revenue by region")
    card = run_card(lab.cell_with_source("%%agent"), "plan")
    wait_phase(card, "awaiting_review")  # exactly %%plan: no confirmation was needed
    assert "Revenue by region" in card.inner_text()
    assert not lab.page_errors, lab.page_errors


def test_the_setting_plan_makes_agent_plan(lab: LabPage, fake_model: SwappableResponder) -> None:
    project = lab.server.root_dir / "agent_setting_plan"
    (project / ".jupyter_plan").mkdir(parents=True, exist_ok=True)
    (project / ".jupyter_plan" / "settings.json").write_text(
        json.dumps({"default_approval_mode": "plan"})
    )
    notebook = f"{project.name}/agent.ipynb"
    write_notebook(lab.server.root_dir / notebook)
    first, lab.notebook = lab.notebook, notebook
    try:
        lab.open()
        load_extension(lab)
        wait_mode(lab, "plan")
        lab.run_cell(DATA)
        fake_model.use(planning_any_id())
        lab.run_cell("%%agent\nSummarise revenue by region, by hand")
        card = run_card(lab.cell_with_source("%%agent"), "plan")
        wait_phase(card, "awaiting_review")
        assert not lab.page_errors, lab.page_errors
    finally:
        lab.server.shutdown_sessions(notebook)
        lab.notebook = first
