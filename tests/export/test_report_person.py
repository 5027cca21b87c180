"""The export report shows what the person added to a plan: the pages it references, the
revisions they edited by hand, and the comments sent with each Iterate with the model's
addressed / not-addressed answer. The plan is notebooks/pages's recording (a real run)."""

from __future__ import annotations

import shutil
from pathlib import Path

from jupyter_plan.export import export
from jupyter_plan.export.report import comment_mark
from jupyter_plan.models import Comment, CommentMark, Plan, Revision
from jupyter_plan.testing.replays import copy_notebooks, offline_env

EVIL = "<script>alert(1)</script> `x`"


def _folder(tmp_path: Path) -> Path:
    folder = copy_notebooks(tmp_path / "notebooks") / "pages"
    shutil.rmtree(folder / ".jupyter_plan" / "plans" / ".index", ignore_errors=True)
    return folder


SECTIONS = ["Pages", "Revisions", "Questions and answers", "Reviews and approval", "Policy"]


def _section(report: str, heading: str) -> str:
    """The section under ``### heading``, to the next report section (plans hold ### too)."""
    after = SECTIONS[SECTIONS.index(heading) + 1]
    return report.split(f"\n### {heading}\n\n", 1)[1].split(f"\n### {after}", 1)[0]


def test_the_report_lists_pages_hand_edits_and_answered_comments(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    report, _ = export(folder / "pages.ipynb", output="-", env=offline_env(tmp_path / "home"))

    pages = _section(report, "Pages")
    assert "- `sales-conventions`: Sales conventions " in pages
    assert "(`.jupyter_plan/pages/sales-conventions.md`)" in pages
    revisions = _section(report, "Revisions")
    headings = [line for line in revisions.splitlines() if line.startswith("#### ")]
    assert [h.endswith("· edited by you") for h in headings] == [False, True, False]
    review = _section(report, "Reviews and approval").strip().splitlines()
    assert review[0].startswith("- Revision 1: **iterate**")
    assert review[1] == "  - edited by you: your hand edit is revision 2"
    assert review[2].startswith("  - comment on S1: Keep \\`region\\` as it is")
    assert review[2].endswith(
        "→ **addressed**: the tidy names go in a new \\`region\\_clean\\` column."
    )
    assert review[3].startswith("  - comment on S2: Also count the orders per region. → ")
    assert "→ **not addressed**: order counts are another question" in review[3]
    assert review[4].startswith("- Revision 3: **approved**")


def test_a_page_that_is_gone_is_still_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / ".jupyter_plan" / "pages" / "sales-conventions.md").unlink()
    report, _ = export(folder / "pages.ipynb", output="-", env=offline_env(tmp_path / "home"))
    assert "- `sales-conventions`: the page is gone (" in _section(report, "Pages")


def test_html_report_escapes_the_person_s_parts(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    page = folder / ".jupyter_plan" / "pages" / "sales-conventions.md"
    page.write_text(f"# {EVIL}\n", encoding="utf-8")
    out = tmp_path / "report.html"
    export(folder / "pages.ipynb", "html", output=out, env=offline_env(tmp_path / "home"))
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "edited by you" in html and "not addressed" in html


def _mark(addressed: bool, note: str = "") -> CommentMark:
    return CommentMark(anchor="S1", text="split it", addressed=addressed, note=note)


def test_comment_mark_is_the_first_later_revision_s_answer() -> None:
    s1 = Comment(anchor="S1", text="split it")
    s2 = Comment(anchor="S2", text="drop it")
    plan = Plan(
        id="p",
        title="t",
        goal="g",
        revisions=[
            Revision(number=1, markdown="a", marks=[_mark(False)]),
            Revision(number=2, markdown="b", author="person"),
            Revision(number=3, markdown="c", marks=[_mark(True, "done")]),
        ],
    )
    found = comment_mark(plan, 1, s1)
    assert found is not None and found.addressed and found.note == "done"
    assert comment_mark(plan, 1, s2) is None  # never answered
    assert comment_mark(plan, 3, s1) is None  # no revision after 3
    assert comment_mark(None, 1, s1) is None  # the plan file is gone
