"""What the cards show, read as a person reads them (issue 11, findings 1, 3 and 4).

(1) An ``edit_cell`` approval's diff: the removed and the added line are separate rows with
    their exact text, though neither source ends with a newline.
(3) The plan can be judged before approving it: summary, context found, alternatives with the
    recommendation, steps (title on its own line, description, Verify), risks; after Iterate,
    what changed against the revision before; no raw backticks in the sidebar or saved card.
(4) Approvals in the notebook's words: what, where, for which step, highlighted code, the
    asking rule once in a details line; one approval covers inserting a cell and running it;
    the built cell lands right after the ``%build`` cell, not after a leftover empty cell.
"""

from __future__ import annotations

import pytest

from jupyter_plan.testing.cards import act, buttons, run_card, wait_phase, wait_revision
from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.lab import LabPage, SwappableResponder
from jupyter_plan.testing.plans import approved_plan

from .steps import DATA, RICH_PLAN, cell_ids, inserted_id, load_extension, rich_planning

pytestmark = pytest.mark.ui

SUMMARY = "totals = sales.groupby('region').amount.sum()\ntotals"


def plan_dir(lab: LabPage):  # type: ignore[no-untyped-def]
    return lab.server.root_dir / ".jupyter_plan" / "plans"


def test_edit_diff_keeps_removed_and_added_lines_apart(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell("by_customer = 3.14159\nround(by_customer, 3)")
    target = cell_ids(lab)[1]
    approved_plan(plan_dir(lab), "diff_plan", RICH_PLAN, "default")  # review each edit
    new = "summary = {'north': 15.5}\nsummary"
    fake_model.use(
        [
            tool_call("edit_cell", {"cell_id": target, "source": new, "step_id": "S1"}),
            tool_call("run_cell", {"cell_id": target}),
            tool_call("update_step", {"step_id": "S1", "status": "done", "note": "edited"}),
            text("Changed the cell."),
        ]
    )
    card = run_card(lab.run_cell("%build diff_plan"), "build")
    approval = card.locator(".jp-plan-approval")
    approval.wait_for()
    # in notebook words: which cell (by its place), for which step
    title = approval.locator(".jp-plan-subtitle").inner_text()
    assert title == "Change cell 2 and run it for step S1 (Summarise by region)?", title
    removed = approval.locator(".jp-plan-diff-del .jp-plan-diff-line").all_inner_texts()
    added = approval.locator(".jp-plan-diff-add .jp-plan-diff-line").all_inner_texts()
    assert removed == ["by_customer = 3.14159", "round(by_customer, 3)"], removed
    assert added == ["summary = {'north': 15.5}", "summary"], added
    signs = approval.locator(".jp-plan-diff-del .jp-plan-diff-sign").all_inner_texts()
    assert signs == ["-", "-"]
    lab.screenshot("-approval")
    approval.locator("button.jp-plan-allow-once").click()
    wait_phase(card, "built")
    assert lab.cell_sources()[1] == new
    assert not lab.page_errors, lab.page_errors


def test_the_review_shows_the_whole_plan_and_what_iterate_changed(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    hostile = '- None: the data is tidy. <img src=x onerror="window.__pwned = 1">'
    second = RICH_PLAN.replace("- Region names may differ in case.", hostile)
    fake_model.use([*rich_planning("full_plan"), *rich_planning("full_plan", second)[1:]])
    cell = lab.run_cell("%%plan --id full_plan\nSummarise revenue by region")
    card = run_card(cell, "plan")
    wait_phase(card, "awaiting_review")
    doc = card.locator(".jp-plan-document")
    headings = doc.locator(".jp-plan-section-title").all_inner_texts()
    assert [h.lower() for h in headings] == [
        "context found",
        "alternatives considered",
        "steps",
        "risks",
    ], headings
    assert "Summarise the three-row" in doc.locator(".jp-plan-summary").inner_text()
    assert "pandas groupby" in doc.locator(".jp-plan-recommended").inner_text()
    assert "heavier, needs a new package" in doc.inner_text()
    step = doc.locator(".jp-plan-step").first
    assert step.locator(".jp-plan-step-title").inner_text() == "Summarise by region"
    assert step.locator(".jp-plan-step-description code").inner_text() == "sales"
    assert "north = 15.5" in step.locator(".jp-plan-step-verify").inner_text()
    assert "Region names may differ" in doc.locator(".jp-plan-section-risks").inner_text()
    lab.screenshot("-review")

    # Iterate: the card shows no Approve while revision 2 is written, then the diff
    act(card, "iterate")
    card.locator("textarea.jp-plan-feedback-text").fill("the data is tidy")
    card.locator("button.jp-plan-feedback-send").click()
    wait_revision(card, 2)
    diff = card.locator(".jp-plan-revision-diff")
    assert "Changes since revision 1" in diff.locator("summary").inner_text()
    assert (
        diff.locator(".jp-plan-diff-del")
        .all_inner_texts()[0]
        .strip()
        .endswith("Region names may differ in case.")
    )
    assert "None: the data is tidy." in diff.locator(".jp-plan-diff-add").inner_text()
    # the model's Markdown went through the sanitiser: the <img onerror> of revision 2 is inert
    assert card.locator(".jp-plan-section-risks").inner_text().strip().endswith("tidy.")
    assert lab.page.locator(".jp-plan-card img[onerror]").count() == 0
    assert lab.page.evaluate("() => window.__pwned") is None
    # the sidebar and, once approved, the saved card render the title's code, no backticks
    act(card, "approve_auto_edit")
    wait_phase(card, "approved")
    saved = cell.locator(".jp-plan-rendered .jp-plan-saved-card")
    saved.wait_for()
    item = lab.plan_item("full_plan")
    for where in (saved, item):
        assert "`" not in where.inner_text(), where.inner_text()
    assert saved.locator(".jp-plan-step-description code").first.inner_text() == "sales"
    assert not lab.page_errors, lab.page_errors


def test_an_approval_in_notebook_words_covers_insert_and_run(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    approved_plan(plan_dir(lab), "words_plan", RICH_PLAN, "default")
    fake_model.use(
        [
            tool_call("insert_cell", {"source": SUMMARY, "step_id": "S1"}),
            lambda body: tool_call("run_cell", {"cell_id": inserted_id(body)}),
            tool_call("update_step", {"step_id": "S1", "status": "done", "note": "north 15.5"}),
            text("Done."),
        ]
    )
    build_cell = lab.run_cell("%build words_plan")
    card = run_card(build_cell, "build")
    approval = card.locator(".jp-plan-approval")
    approval.wait_for()
    title = approval.locator(".jp-plan-subtitle").inner_text()
    assert title == (
        "Insert a code cell and run it at the end of the notebook for step S1 "
        "(Summarise by region)?"
    ), title
    assert "also allows running the cell" in approval.inner_text()
    code = approval.locator(".jp-plan-preview .jp-plan-code code")
    assert code.inner_text() == SUMMARY
    assert code.locator("span").count() > 3  # highlighted by CodeMirror, token by token
    rule = approval.locator("details.jp-plan-rule")
    assert rule.get_attribute("open") is None  # the rule is a details line, once
    assert approval.inner_text().count("build.toml") == 0  # hidden until opened
    rule.locator("summary").click()
    assert rule.inner_text().count("build.toml:") == 1, rule.inner_text()
    assert buttons(card) == ["Stop"]  # while the approval waits, the run offers only Stop
    approval.locator("button.jp-plan-allow-once").click()
    wait_phase(card, "built")
    # one approval: the run needed none, and said so
    assert "Ran the cell just approved (no second approval)" in card.inner_text()
    lab.cell_with_source("groupby('region')").locator(
        ".jp-OutputArea-output", has_text="15.5"
    ).wait_for()
    sources = lab.cell_sources()
    at = sources.index("%build words_plan")
    assert sources[at + 1] == SUMMARY, sources  # right below %build, before the empty cell
    assert sources[-1] == ""
    assert not lab.page_errors, lab.page_errors
