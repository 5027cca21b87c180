"""A hand edit during review reaches the planner on Iterate (with its diff), survives a hostile
planning run, and replays byte for byte offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.agent.planner import PlanOutcome, run_plan
from jupyter_plan.models import Plan, PlanStatus, ReviewDecision
from jupyter_plan.record.edits import absorb_edit
from jupyter_plan.record.store import PlanStore
from jupyter_plan.testing.fake_server import FakeModelServer, tool_call
from jupyter_plan.testing.human import ScriptedHuman

from ..agent.conftest import fake_model, revenue_plan
from ..agent.test_planner import CHART_STEP, PLAN_V1

OURS, THEIRS = "Fill missing `amount` with 0", "Drop rows with a missing `amount`"


class EditingPerson(ScriptedHuman):
    """Edits the plan file in the editor while the first revision is up for review."""

    def __init__(self, plan_file: Path, reviews: list[ReviewDecision]) -> None:
        super().__init__(reviews=reviews)
        self.plan_file = plan_file

    async def review(self, plan: Plan) -> ReviewDecision:
        if not self.reviewed:
            head, _, tail = self.plan_file.read_text().rpartition(OURS)
            self.plan_file.write_text(head + THEIRS + tail)
        return await super().review(plan)


HOSTILE = [
    tool_call("write_file", {"file_path": "rev.md", "content": PLAN_V1}),
    tool_call("exit_plan_mode", {"plan_filename": "rev.md"}),
    # after Iterate: try to rewrite the person's revision, then revise the plan file
    tool_call("write_file", {"file_path": "rev/r2.md", "content": PLAN_V1}),
    tool_call("replace", {"file_path": "rev/r2.md", "old_string": THEIRS, "new_string": OURS}),
    tool_call("write_file", {"file_path": "rev/plan.yaml", "content": "id: rev\n"}),
    tool_call(
        "replace",
        {"file_path": "rev.md", "old_string": "## Verification", "new_string": CHART_STEP},
    ),
    tool_call("exit_plan_mode", {"plan_filename": "rev.md"}),
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    return root


async def plan(root: Path, human: Any, api_base: str, client: bool = True) -> PlanOutcome:
    resolved, live = fake_model(root, {"JUPYTER_PLAN_USER_DIR": str(root.parent / "u")}, api_base)
    return await run_plan(revenue_plan(resolved, human, live if client else None, "rev"))


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def test_iterate_sends_the_edit_and_a_hostile_run_cannot_change_it(root: Path) -> None:
    plan_dir = root / ".jupyter_plan" / "plans"
    reviews = [
        ReviewDecision(action="iterate", feedback="Add a chart of the summary"),
        ReviewDecision(action="approve", build_mode="auto_edit"),
    ]
    with FakeModelServer(HOSTILE) as server:
        outcome = await plan(root, EditingPerson(plan_dir / "rev.md", reviews), server.base_url)
        url = server.base_url
    p = outcome.plan
    assert p is not None and p.status is PlanStatus.APPROVED and p.revision == 3
    assert [r.author for r in p.revisions] == [None, "person", None]
    edited = (plan_dir / "rev" / "r2.md").read_text()
    assert THEIRS in edited and OURS not in edited  # the hostile run changed nothing of it
    assert THEIRS in p.markdown and "### S3. Chart it" in p.markdown  # built on the edit
    # The iterate request holds the person's revision and its diff against the agent's.
    body = server.requests[2].body
    assert body is not None
    iterate = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
    assert "Add a chart of the summary" in iterate
    assert "revision 2 is theirs" in iterate and "--- r1 (agent)" in iterate
    assert f"-{OURS}" in iterate.replace("- ", "-") or f"+{THEIRS}" in iterate
    denied = [m["content"] for m in server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert sum("rev/r2.md" in d or "plan.yaml" in d for d in denied[2:5]) >= 2, denied[2:5]

    # Replay, offline: the edit comes from the recording, every file stays byte for byte.
    before = files(root)
    replayed = await plan(root, ScriptedHuman(), url, client=False)
    assert replayed.replayed and replayed.plan is not None
    assert [r.author for r in replayed.plan.revisions] == [None, "person", None]
    assert files(root) == before


class SavingPerson(EditingPerson):
    """Edits in the editor and saves there: the kernel keeps the edit at once (the panel's
    ``plan_file_save``), while the review is still open."""

    async def review(self, plan: Plan) -> ReviewDecision:
        if not self.reviewed:
            head, _, tail = self.plan_file.read_text().rpartition(OURS)
            self.plan_file.write_text(head + THEIRS + tail)
            kept = absorb_edit(PlanStore(self.plan_file.parent), plan.id)
            assert kept is not None and kept.revision == plan.revision + 1
        return await ScriptedHuman.review(self, plan)


async def test_an_edit_saved_during_review_is_what_approve_approves(root: Path) -> None:
    plan_dir = root / ".jupyter_plan" / "plans"
    reviews = [ReviewDecision(action="approve", build_mode="auto_edit")]
    with FakeModelServer(HOSTILE[:2]) as server:
        outcome = await plan(root, SavingPerson(plan_dir / "rev.md", reviews), server.base_url)
    p = outcome.plan
    assert p is not None and p.status is PlanStatus.APPROVED and p.revision == 2
    assert p.revisions[-1].author == "person" and THEIRS in p.markdown
    assert THEIRS in (plan_dir / "rev.md").read_text()
