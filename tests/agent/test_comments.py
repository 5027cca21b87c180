"""Comments on steps and sections: Iterate sends them all at once, the next revision must
say of each whether it was addressed (a revision that does not is bad input)."""

from __future__ import annotations

from jupyter_plan.agent.comments import read_marks, unanswered
from jupyter_plan.models import Comment, PlanStatus, ReviewDecision
from jupyter_plan.testing.fake_server import FakeModelServer, tool_call
from jupyter_plan.testing.human import ScriptedHuman

from .conftest import Planner, Project
from .test_planner import PLAN_V1

COMMENTS = [
    Comment(anchor="S1", text="Do not fill with 0: drop those rows"),
    Comment(anchor="Verification", text="Also check the totals add up"),
]
ANSWERS = """
## Comments
- S1: addressed — rows with a missing amount are dropped
- **Verification**: not addressed — the totals are checked in S2 already
"""
REVISED = PLAN_V1.replace("Fill missing `amount` with 0", "Drop rows with a missing `amount`")


def script() -> list[object]:
    return [
        tool_call("write_file", {"file_path": "sales-summary.md", "content": PLAN_V1}),
        tool_call("exit_plan_mode", {"plan_filename": "sales-summary.md"}),
        # after Iterate: a revision that answers no comment (bad input), then one that does
        tool_call("write_file", {"file_path": "sales-summary.md", "content": REVISED}),
        tool_call("exit_plan_mode", {"plan_filename": "sales-summary.md"}),
        tool_call("write_file", {"file_path": "sales-summary.md", "content": REVISED + ANSWERS}),
        tool_call("exit_plan_mode", {"plan_filename": "sales-summary.md"}),
    ]


def user_messages(server: FakeModelServer, turn: int) -> list[str]:
    body = server.requests[turn - 1].body
    assert body is not None
    return [m["content"] for m in body["messages"] if m["role"] == "user"]


async def test_comments_go_at_once_and_each_is_marked(plan: Planner, project: Project) -> None:
    human = ScriptedHuman(
        reviews=[
            ReviewDecision(action="iterate", comments=COMMENTS),
            ReviewDecision(action="approve", build_mode="auto_edit"),
        ]
    )
    with FakeModelServer(script()) as server:
        outcome = await plan(server, human)
    p = outcome.plan
    assert p is not None and p.status is PlanStatus.APPROVED
    assert [r.number for r in p.revisions] == [1, 2]  # the unmarked one was never a revision
    assert p.revisions[0].comments == COMMENTS
    marks = {m.anchor: (m.addressed, m.note) for m in p.revisions[1].marks}
    assert marks == {
        "S1": (True, "rows with a missing amount are dropped"),
        "Verification": (False, "the totals are checked in S2 already"),
    }
    iterate = user_messages(server, 3)[-1]  # both comments, in one message
    assert "**S1**: Do not fill with 0" in iterate and "**Verification**: Also check" in iterate
    assert "## Comments" in iterate
    told = user_messages(server, 5)[-1]
    assert "does not say whether these comments were addressed: S1, Verification" in told
    assert len(human.reviewed) == 2  # the person never saw the revision that skipped them
    saved = (project.plan_dir / "sales-summary.md").read_text()
    assert "addressed: true" in saved and "addressed: false" in saved


def test_marks_are_read_loosely_and_missing_ones_named() -> None:
    text = "# T\n\n## Comments\n- `S1`: Addressed: done\n- risks : not addressed\n"
    comments = [*COMMENTS, Comment(anchor="Risks", text="more")]
    assert [(m.anchor, m.addressed) for m in read_marks(text, comments)] == [
        ("S1", True),
        ("Risks", False),
    ]
    assert [c.anchor for c in unanswered(text, comments)] == ["Verification"]
    assert unanswered("# T\n- S1: addressed\n", COMMENTS[:1]) == COMMENTS[:1]  # not in section
