"""Comments on plan steps as a person makes them (issue 16): comment on two steps in the
review card, press Iterate; the model gets both comments in one request; its next revision
says which it addressed, and the card shows each comment as addressed or not beside the
revision's diff. Light and dark; with ``JUPYTER_PLAN_DOCS_IMAGES=1`` the screenshots also go
to ``docs/images/{light,dark}-step-comments*.png``."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_plan.testing.cards import act, run_card, wait_phase
from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .steps import DATA, RICH_PLAN, check_look, in_theme, load_extension, rich_planning, state_shot
from .test_pages import user_text

pytestmark = pytest.mark.ui

TWO_STEPS = RICH_PLAN.replace(
    "\n## Risks",
    "### S2. Chart the totals\nDraw a bar chart of the totals by region.\n"
    "Verify: one bar per region\n\n## Risks",
)
ON_S1 = "Lower-case the region names before grouping."
ON_S2 = "Skip the chart, a table is enough."
REVISED = (
    TWO_STEPS.replace(
        "Group `sales` by region in a new cell.",
        "Lower-case `region`, then group `sales` by it in a new cell.",
    )
    + "\n## Comments\n"
    + "- S1: addressed — region names are lower-cased before grouping\n"
    + "- S2: not addressed — the chart shows the split at a glance, so it stays\n"
)


def revise_with_both_comments(plan_id: str, seen: list[str]) -> list[Any]:
    """The model's next revision, written only if the iterate request holds both comments
    (else it says what is missing, and the run ends without a revision)."""

    def write(body: dict[str, Any]) -> Any:
        sent = user_text(body)
        missing = [c for c in (ON_S1, ON_S2) if c not in sent]
        seen.append(sent)
        if missing:
            return text(f"MISSING COMMENTS: {missing}")
        return tool_call("write_file", {"file_path": f"{plan_id}.md", "content": REVISED})

    return [write, tool_call("exit_plan_mode", {"plan_filename": f"{plan_id}.md"})]


def comment(card: Any, anchor: str, words: str, lab: LabPage) -> None:
    """Open ``anchor``'s comment box and type into it, as a person does."""
    box = card.locator(f'.jp-plan-comment-anchor[data-anchor="{anchor}"]')
    box.locator("button.jp-plan-comment-toggle").click()
    box.locator("textarea.jp-plan-comment-text").click()
    lab.page.keyboard.type(words)


def shot(lab: LabPage, variant: str, name: str, focus: Any) -> None:
    """Check contrast and axe in this state, and save its screenshot (and the docs' copy)."""
    check_look(lab, f"{variant}/{name}", focus)
    state_shot(lab, variant, name)


@pytest.mark.parametrize(
    ("variant", "theme"), [("light", "JupyterLab Light"), ("dark", "JupyterLab Dark")]
)
def test_comment_on_two_steps_and_see_which_were_addressed(
    lab: LabPage, fake_model: SwappableResponder, variant: str, theme: str
) -> None:
    with in_theme(lab, theme):
        load_extension(lab)
        lab.run_cell(DATA)
        plan_id = f"commented_{variant}"
        fake_model.use(rich_planning(plan_id, TWO_STEPS))
        card = run_card(lab.run_cell(f"%%plan --id {plan_id}\nSummarise revenue"), "plan")
        wait_phase(card, "awaiting_review")
        assert card.locator("button.jp-plan-to-page").count() == 0  # short, by the default

        boxes = card.locator(".jp-plan-comments-box")
        boxes.locator("summary").click()
        comment(card, "S1", ON_S1, lab)
        comment(card, "S2", ON_S2, lab)
        boxes.locator("summary", has_text="(2)").wait_for()  # both are waiting to go
        shot(lab, variant, "step-comments", boxes)

        seen: list[str] = []
        fake_model.use(revise_with_both_comments(plan_id, seen))
        act(card, "iterate")
        send = card.locator("button.jp-plan-feedback-send")
        assert send.is_enabled()  # the comments are the feedback: nothing else to write
        send.click()
        review = card.locator(".jp-plan-revision-review")  # revision 2, with the marks
        review.locator(".jp-plan-comment-answer").nth(1).wait_for()
        wait_phase(card, "awaiting_review")
        assert len(seen) == 1 and ON_S1 in seen[0] and ON_S2 in seen[0], seen  # at once
        assert "## Comments" in seen[0]  # and the model was told how to answer them

        s1 = review.locator('.jp-plan-comment-answer[data-anchor="S1"]')
        s2 = review.locator('.jp-plan-comment-answer[data-anchor="S2"]')
        assert ON_S1 in s1.inner_text() and "lower-cased before grouping" in s1.inner_text()
        assert s1.locator(".jp-plan-comment-mark").inner_text() == "addressed"
        assert ON_S2 in s2.inner_text() and "so it stays" in s2.inner_text()
        assert s2.locator(".jp-plan-comment-mark").inner_text() == "not addressed"
        # beside the diff of revision 2 against revision 1
        diff = review.locator(".jp-plan-revision-diff")
        assert "Changes since revision 1" in diff.locator("summary").inner_text()
        assert "Lower-case `region`" in diff.locator(".jp-plan-diff-add").first.inner_text()
        # the model's Comments section is not shown a second time in the document
        titles = card.locator(".jp-plan-document .jp-plan-section-title").all_inner_texts()
        assert "Comments" not in titles, titles
        assert card.locator(".jp-plan-comment-text").count() == 0  # the boxes start empty
        said = card.locator(".jp-plan-history-decision").last.inner_text()
        assert said == "Iterating: 2 comments on S1, S2", said
        shot(lab, variant, "step-comments-marks", review)
        assert not lab.page_errors, lab.page_errors
