"""The whole journey, in JupyterLab light, JupyterLab Dark and 800 px wide (issue 11, finding 7).

Plan (the agent asks two questions: one choice, one multiple choice), Iterate, Approve —
review each edit, build with one approval for inserting and running the cell, Undo build;
each by clicks and keys. At every state the page is checked: every text of our components
meets WCAG AA contrast, axe-core finds no serious or critical violation inside them, the
cards use JupyterLab's look (no ipywidgets buttons), options show their descriptions and
their pressed state, and the approval mode is named the same in the sidebar and status bar.
Screenshots go to ``tests/ui/screenshots``; with ``JUPYTER_PLAN_DOCS_IMAGES=1`` also to
``docs/images`` (the README's).
"""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_plan.testing.cards import (
    act,
    answer_dialog,
    axe_violations,
    buttons,
    contrast_failures,
    run_card,
    wait_phase,
    wait_revision,
)
from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .steps import DATA, RICH_PLAN, check_look, in_theme, inserted_id, load_extension, state_shot

pytestmark = pytest.mark.ui

SUMMARY = "totals = sales.groupby('region').amount.sum()\ntotals"
QUESTIONS = {
    "questions": [
        {
            "question": "How should revenue be summarised?",
            "header": "Approach",
            "type": "choice",
            "options": [
                {"label": "pandas groupby", "description": "one line, no new package"},
                {"label": "SQL via duckdb", "description": "heavier"},
            ],
        },
        {
            "question": "Which columns go in the summary?",
            "header": "Columns",
            "type": "choice",
            "multiSelect": True,
            "options": [
                {"label": "amount", "description": "the revenue"},
                {"label": "count", "description": "sales per region"},
            ],
        },
    ]
}


def journey_turns(plan_id: str) -> list[object]:
    plan_file = f"{plan_id}.md"
    second = RICH_PLAN.replace("- Region names may differ in case.", "- None: the data is tidy.")
    return [
        tool_call("inspect_variable", {"name": "sales"}, content="Let me look at `sales` first."),
        tool_call("ask_user", QUESTIONS),
        tool_call("write_file", {"file_path": plan_file, "content": RICH_PLAN}),
        tool_call("exit_plan_mode", {"plan_filename": plan_file}),
        tool_call("write_file", {"file_path": plan_file, "content": second}),
        tool_call("exit_plan_mode", {"plan_filename": plan_file}),
        tool_call("insert_cell", {"source": SUMMARY, "step_id": "S1"}),
        lambda body: tool_call("run_cell", {"cell_id": inserted_id(body)}),
        tool_call("update_step", {"step_id": "S1", "status": "done", "note": "north 15.5"}),
        text("Done: the summary is in a new cell."),
    ]


class Checks:
    """What every state of the journey must pass; screenshots named after the state."""

    def __init__(self, lab: LabPage, variant: str) -> None:
        self.lab, self.variant = lab, variant

    def state(self, name: str, focus: object = None) -> None:
        check_look(self.lab, f"{self.variant}/{name}", focus)
        assert self.lab.page.locator(".jp-plan-run-card .jupyter-button").count() == 0
        state_shot(self.lab, self.variant, name)


def review_then_iterate(card: Any, check: Checks) -> None:
    """The review of revision 1 (checked), then Iterate with feedback, until revision 2."""
    wait_phase(card, "awaiting_review")
    check.state("review", card)
    act(card, "iterate")
    card.locator("textarea.jp-plan-feedback-text").fill("the data is tidy")
    card.locator("button.jp-plan-feedback-send").click()
    wait_revision(card, 2)


@pytest.mark.parametrize(
    ("variant", "theme", "width"),
    [
        ("light", "JupyterLab Light", 1400),
        ("dark", "JupyterLab Dark", 1400),
        ("narrow", "JupyterLab Light", 800),
    ],
)
def test_journey(
    lab: LabPage, fake_model: SwappableResponder, variant: str, theme: str, width: int
) -> None:
    page = lab.page
    page.set_viewport_size({"width": width, "height": 900})
    check = Checks(lab, variant)
    with in_theme(lab, theme):
        load_extension(lab)
        lab.run_cell(DATA)
        plan_id = f"journey_{variant}"
        fake_model.use(journey_turns(plan_id))
        cell = lab.run_cell(f"%%plan --id {plan_id}\nSummarise revenue by region")
        card = run_card(cell, "plan")

        # the questions: descriptions shown, one choice vs any, pressed state announced
        form = card.locator(".jp-plan-questions")
        form.wait_for()
        assert "one line, no new package" in form.inner_text()
        assert "Choose one." in form.inner_text() and "Choose any that apply." in form.inner_text()
        groupby = form.locator("button.jp-plan-option", has_text="pandas groupby")
        assert groupby.get_attribute("aria-pressed") == "false"
        groupby.click()
        assert groupby.get_attribute("aria-pressed") == "true"
        for label in ("amount", "count"):
            form.locator("button.jp-plan-option", has_text=label).click()
        assert form.locator("button.jp-plan-option[aria-pressed=true]").count() == 3
        lab.sidebar.locator(".jp-plan-badge", has_text="2 questions wait for you").wait_for()
        check.state("question", form)
        form.locator("button.jp-plan-submit").click()

        # review, iterate, review the diff
        review_then_iterate(card, check)
        card.locator(".jp-plan-revision-diff").wait_for()
        check.state("iterated", card.locator(".jp-plan-revision-diff"))
        act(card, "approve_default")
        wait_phase(card, "approved")

        # the sidebar and the status bar name the mode alike
        select = lab.sidebar.locator("select.jp-plan-mode-select")
        assert lab.status_mode.inner_text() == "Approval: As approved"
        assert select.locator("option:checked").inner_text() == "As approved"
        select.select_option("default")
        lab.status_mode.filter(has_text="Approval: Review each edit").wait_for()
        assert select.locator("option:checked").inner_text() == "Review each edit"

        # build with one approval for inserting and running the cell
        act(card, "build")
        build = run_card(lab.cell_with_source(f"%build {plan_id}"), "build")
        approval = build.locator(".jp-plan-approval")
        approval.wait_for()
        check.state("approval", approval)
        approval.locator("button.jp-plan-allow-once").click()
        wait_phase(build, "built")
        lab.wait_idle()
        assert approval.count() == 0  # no second approval for running it
        check.state("built", build)

        # undo, confirmed
        act(build, "undo")
        answer_dialog(page)
        wait_phase(build, "approved")
        assert buttons(build) == ["Build"]
        check.state("undone", build)
        if width <= 800:  # nothing of ours scrolls sideways at 800 px
            wide = page.evaluate(
                """() => [...document.querySelectorAll('.jp-plan-card, #jupyter-plan-sidebar')]
                      .filter((el) => el.scrollWidth > el.clientWidth + 1)
                      .map((el) => el.className)"""
            )
            assert not wide, wide
        assert not lab.page_errors, lab.page_errors


def test_the_checks_catch_what_they_look_for(lab: LabPage) -> None:
    """Contrast and axe find a planted fault inside our components (the checks can fail)."""
    lab.page.evaluate(
        """() => {
            const bad = document.createElement('div');
            bad.className = 'jp-plan-card';
            bad.style.cssText = 'background:#fff;color:#bbb;position:fixed;top:0;left:0;z-index:9';
            bad.innerHTML = 'pale text <button class="jp-plan-button"></button>';
            document.body.appendChild(bad);
        }"""
    )
    pale = [f for f in contrast_failures(lab.page) if f["text"] == "pale text"]
    assert pale and pale[0]["ratio"] < 2, pale
    assert any('"button-name"' in v for v in axe_violations(lab.page))
