"""Editing a plan by hand in JupyterLab's editor (issue 16): an invalid save is refused with
its line and the file keeps the text; a valid one is revision 2 "edited by you"; Build uses it
(the build's model request holds the edited text)."""

from __future__ import annotations

import pytest

from jupyter_plan.testing.cards import act, run_card, wait_phase
from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .steps import DATA, RICH_PLAN, build_turns, load_extension, rich_planning
from .test_pages import close_editors, editor_tab, user_text, write_in_editor

pytestmark = pytest.mark.ui

EDITED = "Group `sales` by region, largest first, in a new cell."


def test_edit_save_refuse_keep_and_build_the_edit(
    lab: LabPage, fake_model: SwappableResponder
) -> None:
    load_extension(lab)
    lab.run_cell(DATA)
    fake_model.use(rich_planning("handed"))
    card = run_card(lab.run_cell("%%plan --id handed\nSummarise revenue"), "plan")
    wait_phase(card, "awaiting_review")
    card.locator("button.jp-plan-edit").click()
    tab = editor_tab(lab, "plan", "handed")
    path = lab.server.root_dir / ".jupyter_plan" / "plans" / "handed.md"
    text = path.read_text()

    broken = text.replace("### S1. Summarise", "### S3. Summarise")
    write_in_editor(lab, tab, broken)
    tab.locator(".jp-plan-edit-save").click()
    error = tab.locator(".jp-plan-edit-status-error")
    error.wait_for()
    said = error.inner_text()
    line = broken.splitlines().index("### S3. Summarise by region") + 1
    assert f"handed.md:{line}: step 3 is out of order" in said, said
    assert path.read_text() == broken  # the person's text is kept
    lab.screenshot("-refused")

    fixed = text.replace("Group `sales` by region in a new cell.", EDITED)
    write_in_editor(lab, tab, fixed)
    tab.locator(".jp-plan-edit-save").click()
    tab.locator(".jp-plan-edit-status-ok", has_text="revision 2, edited by you").wait_for()
    close_editors(lab)
    assert "author: person" in path.read_text()  # revision 2 is the person's
    lab.screenshot("-edited")

    fake_model.use(build_turns())
    act(card, "approve_auto_edit")
    wait_phase(card, "approved")
    act(card, "build")
    build_card = run_card(lab.cell_with_source("%build handed"), "build")
    wait_phase(build_card, "built")
    sent = user_text(fake_model.bodies[0])
    assert EDITED in sent and "Group `sales` by region in a new cell." not in sent
    assert RICH_PLAN.splitlines()[0] in sent
    assert not lab.page_errors, lab.page_errors
