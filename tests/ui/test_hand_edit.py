"""Editing a plan by hand in JupyterLab's editor (issue 16): an invalid save is refused with
its line and the file keeps the text; a valid one is revision 2 "edited by you", in the editor
and on the live card in the notebook (the cell is not run again); Build uses it (the build's
model request holds the edited text). The project's ``pages.suggest_after_chars`` is low, so
the card offers Turn into a page on this short plan. Light and dark; with
``JUPYTER_PLAN_DOCS_IMAGES=1`` the screenshots of the Pages section, the editor and the card
also go to ``docs/images/{light,dark}-{pages-sidebar,hand-edit,hand-edit-card}.png``."""

from __future__ import annotations

import json

import pytest

from jupyter_plan.testing.cards import act, run_card, set_theme, wait_phase
from jupyter_plan.testing.lab import LabPage, SwappableResponder, write_notebook

from .steps import DATA, RICH_PLAN, build_turns, load_extension, rich_planning
from .test_pages import close_editors, editor_tab, user_text, write_in_editor
from .test_step_comments import shot

pytestmark = pytest.mark.ui

EDITED = "Group `sales` by region, largest first, in a new cell."
GUIDE = "# Sales data guide\n\nAmounts are in EUR; regions are lower case.\n"


@pytest.mark.parametrize(
    ("variant", "theme"), [("light", "JupyterLab Light"), ("dark", "JupyterLab Dark")]
)
def test_edit_save_refuse_keep_and_build_the_edit(
    lab: LabPage, fake_model: SwappableResponder, variant: str, theme: str
) -> None:
    # a project of its own: its settings offer a page past 200 characters, it has one page
    project = lab.server.root_dir / f"hand_edit_{variant}"
    (project / ".jupyter_plan" / "pages").mkdir(parents=True, exist_ok=True)
    (project / ".jupyter_plan" / "settings.json").write_text(
        json.dumps({"pages": {"suggest_after_chars": 200}})
    )
    (project / ".jupyter_plan" / "pages" / "sales-guide.md").write_text(GUIDE)
    notebook = f"{project.name}/hand_edit.ipynb"
    write_notebook(lab.server.root_dir / notebook)
    first, lab.notebook = lab.notebook, notebook
    if theme != "JupyterLab Light":
        set_theme(lab, theme)
    try:
        lab.open()
        load_extension(lab)
        pages = lab.sidebar.locator(".jp-plan-pages")
        pages.locator('.jp-plan-page[data-page="sales-guide"]').wait_for()
        shot(lab, variant, "pages-sidebar", pages)
        lab.run_cell(DATA)
        fake_model.use(rich_planning("handed"))
        card = run_card(lab.run_cell("%%plan --id handed\nSummarise revenue"), "plan")
        wait_phase(card, "awaiting_review")
        assert len(RICH_PLAN) < 6000  # short, yet offered: the setting says 200
        card.locator("button.jp-plan-to-page").wait_for()
        card.locator("button.jp-plan-edit").click()
        tab = editor_tab(lab, "plan", "handed")
        path = project / ".jupyter_plan" / "plans" / "handed.md"
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
        # the editor shows the file as the kernel kept it: the person's revision 2
        tab.locator(".cm-content", has_text="author: person").wait_for()
        shot(lab, variant, "hand-edit", tab)
        close_editors(lab)
        assert "author: person" in path.read_text()  # revision 2 is the person's
        # the live card in the notebook says so too, the cell not run again: revision 2, the
        # person's text, its diff against the agent's revision 1, still up for review
        card.locator(".jp-plan-edited", has_text="edited by you").wait_for()
        assert "revision 2" in card.locator(".jp-plan-card-meta").inner_text()
        step = card.locator(".jp-plan-step-description").first.inner_text()
        assert "Group sales by region, largest first" in step, step  # rendered: no backticks
        diff = card.locator(".jp-plan-revision-diff")
        assert "Changes since revision 1" in diff.locator("summary").inner_text()
        assert EDITED in diff.locator(".jp-plan-diff-add").first.inner_text()
        assert card.get_attribute("data-phase") == "awaiting_review"
        shot(lab, variant, "hand-edit-card", card.locator(".jp-plan-person-bar"))

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
    finally:
        if theme != "JupyterLab Light":
            set_theme(lab, "JupyterLab Light")  # the server's settings outlive this test
        lab.server.shutdown_sessions(notebook)
        lab.notebook = first
