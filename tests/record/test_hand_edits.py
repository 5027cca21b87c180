"""Plans edited by hand: a valid save is revision N+1 by the person, an invalid one is refused
with file:line and the file kept, an unchanged save makes nothing, approval is needed again."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jupyter_plan.agent.builder import BuildRefused, BuildRun, run_build
from jupyter_plan.agent.llm import LiteLLMClient
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import PlanStatus, ReviewDecision
from jupyter_plan.record.edits import (
    EditRefused,
    HandEditError,
    absorb_edit,
    agent_diff,
    edited_by_person,
)
from jupyter_plan.record.store import PlanStore
from jupyter_plan.session import apply_review, transition
from jupyter_plan.settings import load_settings
from jupyter_plan.testing.fake_server import FakeModelServer, text
from jupyter_plan.testing.human import ScriptedHuman
from jupyter_plan.testing.plans import approved_plan

from ..agent.conftest import API_KEY, notebook
from ..agent.test_planner import PLAN_V1

EDITED = PLAN_V1.replace("Fill missing `amount` with 0", "Drop rows with a missing `amount`")


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    return root / ".jupyter_plan" / "plans"


def edit(plan_dir: Path, old: str, new: str) -> Path:
    """Change the last ``old`` (in the body, or the front matter when only there)."""
    path = plan_dir / "rev.md"
    head, found, tail = path.read_text().rpartition(old)
    assert found, old
    path.write_text(head + new + tail)
    return path


def test_opening_and_saving_unchanged_makes_no_revision(plan_dir: Path) -> None:
    approved_plan(plan_dir, "rev", PLAN_V1)
    before = {p: p.read_bytes() for p in plan_dir.rglob("*") if p.is_file()}
    path = plan_dir / "rev.md"
    path.write_bytes(path.read_bytes())  # a save without a change
    assert absorb_edit(PlanStore(plan_dir), "rev") is None
    assert {p: p.read_bytes() for p in plan_dir.rglob("*") if p.is_file()} == before


def test_a_valid_edit_is_revision_n_plus_1_by_the_person(plan_dir: Path) -> None:
    approved_plan(plan_dir, "rev", PLAN_V1)
    edit(plan_dir, "Fill missing `amount` with 0", "Drop rows with a missing `amount`")
    plan = absorb_edit(PlanStore(plan_dir), "rev")
    assert plan is not None and plan.revision == 2 and edited_by_person(plan)
    assert plan.markdown == EDITED
    assert plan.status is PlanStatus.AWAITING_REVIEW and plan.build_mode is None  # approve again
    assert (plan_dir / "rev" / "r2.md").read_text() == EDITED
    assert (plan_dir / "rev" / "r1.md").read_text() == PLAN_V1
    meta = yaml.safe_load((plan_dir / "rev.md").read_text().split("---\n")[1])
    assert meta["revisions"][1]["author"] == "person" and "author" not in meta["revisions"][0]
    diff = agent_diff(plan)
    assert "--- r1 (agent)" in diff and "+++ r2 (person)" in diff
    assert "+Drop rows with a missing `amount`" in diff
    assert absorb_edit(PlanStore(plan_dir), "rev") is None  # absorbed once


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [  # ``line``: what the line the error names holds
        ("### S2. Summarise", "### S3. Summarise", "### S3. Summarise", "step 3 is out of order"),
        ("Verify: one row per region, north = 15.5", "", "### S2.", "S2 say nothing about how"),
        ("# Revenue by region", "Revenue by region", "Revenue by region", "has no title"),
        ("status: approved", "status: approved: x", "status: approved: x", "invalid YAML front"),
    ],
)
def test_an_invalid_edit_is_refused_with_its_line_and_the_file_kept(
    plan_dir: Path, old: str, new: str, line: str, problem: str
) -> None:
    approved_plan(plan_dir, "rev", PLAN_V1)
    path = edit(plan_dir, old, new)
    theirs = path.read_bytes()
    with pytest.raises(HandEditError) as caught:
        absorb_edit(PlanStore(plan_dir), "rev")
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")
    assert problem in caught.value.problem
    lines = theirs.decode().splitlines()
    assert lines[caught.value.line - 1].startswith(line), caught.value
    assert path.read_bytes() == theirs  # nothing lost
    assert not (plan_dir / "rev" / "r2.md").exists()


def test_no_edit_while_the_agent_drafts_and_the_text_stays(plan_dir: Path) -> None:
    plan = approved_plan(plan_dir, "rev", PLAN_V1)
    PlanStore(plan_dir).save(transition(plan, PlanStatus.DRAFTING))
    path = edit(plan_dir, "Fill missing", "Drop missing")
    theirs = path.read_bytes()
    with pytest.raises(EditRefused, match="the agent is drafting"):
        absorb_edit(PlanStore(plan_dir), "rev")
    assert path.read_bytes() == theirs


async def test_build_uses_the_approved_revision_whatever_its_author(plan_dir: Path) -> None:
    approved_plan(plan_dir, "rev", PLAN_V1)
    edit(plan_dir, "Fill missing `amount` with 0", "Drop rows with a missing `amount`")
    store = PlanStore(plan_dir)
    edited = absorb_edit(store, "rev")
    assert edited is not None
    root = plan_dir.parent.parent
    env = {"JUPYTER_PLAN_USER_DIR": str(root.parent / "u")}

    async def build(server: FakeModelServer) -> None:
        flags = {"model": "openai/fake", "api_key": API_KEY, "api_base": server.base_url}
        resolved = load_settings(root, env=env, flags=flags)
        client = LiteLLMClient.from_settings(resolved.settings, timeout=10, max_retries=0)
        await run_build(
            BuildRun(resolved, MemoryBridge(notebook()), ScriptedHuman(), "rev", client=client)
        )

    with FakeModelServer([text("done")]) as server:
        with pytest.raises(BuildRefused, match="awaiting_review: approve it"):
            await build(server)  # edited after approval: approve again
        assert server.requests == []
        store.save(apply_review(edited, ReviewDecision(action="approve", build_mode="auto_edit")))
        await build(server)
    body = server.requests[0].body
    assert body is not None
    sent = next(m["content"] for m in body["messages"] if m["role"] == "user")
    assert "Drop rows with a missing `amount`" in sent and "Fill missing" not in sent
