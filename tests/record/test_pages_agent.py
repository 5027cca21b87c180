"""Pages reach the model: a planner and a builder through real litellm to the fake server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jupyter_plan.agent.builder import BuildOutcome, BuildRun, run_build
from jupyter_plan.agent.llm import LiteLLMClient
from jupyter_plan.agent.planner import PlanOutcome, run_plan
from jupyter_plan.agent.runs import RunSetupError
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import ReviewDecision
from jupyter_plan.record.pages import PageStore
from jupyter_plan.record.store import PlanStore
from jupyter_plan.settings import ResolvedSettings
from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.human import ScriptedHuman
from jupyter_plan.testing.plans import approved_plan

from ..agent.conftest import fake_model, notebook, revenue_plan
from ..agent.test_planner import PLAN_V1

GUIDE = "# Data guide\n\nAmounts are in EUR cents; region names are lower case. MARKER-7731\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    PageStore(root / ".jupyter_plan" / "pages").new("guide", GUIDE)
    return root


def connect(root: Path, server: FakeModelServer) -> tuple[ResolvedSettings, LiteLLMClient]:
    """Settings with user and admin folders beside the project, and a client to ``server``."""
    env = {
        "JUPYTER_PLAN_USER_DIR": str(root.parent / "user"),
        "JUPYTER_PLAN_ADMIN_DIR": str(root.parent / "admin"),
    }
    return fake_model(root, env, server.base_url)


async def plan(root: Path, server: FakeModelServer, pages: tuple[str, ...] = ()) -> PlanOutcome:
    resolved, client = connect(root, server)
    human = ScriptedHuman(reviews=[ReviewDecision(action="approve", build_mode="auto_edit")])
    return await run_plan(revenue_plan(resolved, human, client, "rev", pages=pages))


async def build(root: Path, server: FakeModelServer, plan_id: str) -> BuildOutcome:
    """A build of ``plan_id`` on the fixture notebook that asks nobody anything."""
    resolved, client = connect(root, server)
    return await run_build(
        BuildRun(
            resolved=resolved,
            bridge=MemoryBridge(notebook()),
            human=ScriptedHuman(),
            client=client,
            plan_id=plan_id,
        )
    )


def first_user_message(server: FakeModelServer) -> str:
    body = server.requests[0].body
    assert body is not None
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def tool_answers(server: FakeModelServer) -> list[str]:
    body = server.requests[-1].body
    assert body is not None
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


WRITE_PLAN = [
    tool_call("write_file", {"file_path": "rev.md", "content": PLAN_V1}),
    tool_call("exit_plan_mode", {"plan_filename": "rev.md"}),
]


async def test_a_referenced_page_reaches_the_planner_and_the_front_matter(root: Path) -> None:
    with FakeModelServer(WRITE_PLAN) as server:
        outcome = await plan(root, server, pages=("guide",))
    sent = first_user_message(server)
    assert "### Page: guide (.jupyter_plan/pages/guide.md)" in sent and "MARKER-7731" in sent
    assert "- `guide` — Data guide" in sent  # the page list
    assert outcome.plan is not None and outcome.plan.pages == ["guide"]
    meta = (root / ".jupyter_plan" / "plans" / "rev.md").read_text().split("---\n")[1]
    assert yaml.safe_load(meta)["pages"] == ["guide"]


async def test_unreferenced_pages_are_listed_not_sent(root: Path) -> None:
    with FakeModelServer(WRITE_PLAN) as server:
        outcome = await plan(root, server)
    sent = first_user_message(server)
    assert "- `guide` — Data guide" in sent and "MARKER-7731" not in sent
    assert outcome.plan is not None and outcome.plan.pages == []


async def test_the_planner_chooses_a_page_from_the_list(root: Path) -> None:
    chosen = PLAN_V1.replace("## Steps", "## Pages\n- `guide`\n\n## Steps")
    script = [
        tool_call("write_file", {"file_path": "rev.md", "content": chosen}),
        tool_call("exit_plan_mode", {"plan_filename": "rev.md"}),
    ]
    with FakeModelServer(script) as server:
        outcome = await plan(root, server)
    assert outcome.plan is not None and outcome.plan.pages == ["guide"]


async def test_an_unknown_page_stops_before_the_model(root: Path) -> None:
    with (
        FakeModelServer(WRITE_PLAN) as server,
        pytest.raises(RunSetupError, match=r"no page 'gide'.*pages: guide"),
    ):
        await plan(root, server, pages=("gide",))
    assert server.requests == []


async def test_a_hostile_planning_run_cannot_write_a_page(root: Path) -> None:
    page = root / ".jupyter_plan" / "pages" / "guide.md"
    before = page.read_bytes()
    attacks = [
        tool_call("write_file", {"file_path": "../pages/guide.md", "content": "pwned"}),
        tool_call("write_file", {"file_path": str(page), "content": "pwned"}),
        tool_call("replace", {"file_path": str(page), "old_string": "EUR", "new_string": "USD"}),
        tool_call("write_file", {"file_path": "../pages/evil.md", "content": "pwned"}),
    ]
    with FakeModelServer([*attacks, *WRITE_PLAN]) as server:
        outcome = await plan(root, server, pages=("guide",))
    assert outcome.plan is not None  # the run went on, the page did not change
    assert page.read_bytes() == before
    assert not (page.parent / "evil.md").exists()
    answers = tool_answers(server)[:4]
    assert all("denied" in a.lower() or "read-only" in a.lower() for a in answers), answers


async def test_the_builder_gets_the_plan_s_pages(root: Path) -> None:
    plan_dir = root / ".jupyter_plan" / "plans"
    built = approved_plan(plan_dir, "rev", PLAN_V1)
    PlanStore(plan_dir).save(built.model_copy(update={"pages": ["guide"]}))
    script = [text("Nothing to do here.")]
    with FakeModelServer(script) as server:
        await build(root, server, "rev")
    assert "MARKER-7731" in first_user_message(server)
    assert "### Page: guide" in first_user_message(server)
    assert "- `guide`" not in first_user_message(server)  # no list: the build has its pages
