"""``%%agent``'s engine (agent/mode.py) through real litellm to the fake model server.

It answers without editing; does a small edit after one approval; asks to enter plan mode,
and on the person's yes the same run plans (review, approve) and the plan builds; on a no
it stays in its mode and is told so; its runs replay offline byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.agent.mode import AgentOutcome, AgentRun, run_agent, start_mode
from jupyter_plan.bridge.execute import ShellExecutor
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Confirmation, PlanStatus, ReviewDecision
from jupyter_plan.policy.types import Mode
from jupyter_plan.record.keeping import without_times
from jupyter_plan.testing.fake_server import FakeModelServer, Turn, text, tool_call
from jupyter_plan.testing.human import ScriptedHuman

from .conftest import Project, fake_model, namespace, notebook
from .test_builder import BUILD_SCRIPT, build, last_tool_result, scripted
from .test_planner import PLAN_V1

Step = Callable[[dict[str, Any]], Turn]
BIG_TASK = "Build a full revenue report by region"


def plan_file_of(body: dict[str, Any]) -> str:
    """The plan document the planner's system prompt names."""
    system = body["messages"][0]["content"]
    found = re.search(r"`([^`\s]+\.md)`", system)
    assert found is not None, system
    return found.group(1)


def write_plan(body: dict[str, Any]) -> Turn:
    return tool_call("write_file", {"file_path": plan_file_of(body), "content": PLAN_V1})


def submit_plan(body: dict[str, Any]) -> Turn:
    return tool_call("exit_plan_mode", {"plan_filename": plan_file_of(body)})


ENTER = tool_call("enter_plan_mode", {"reason": "a report has several steps to review"})
PLANNING: list[Step | Turn] = [ENTER, write_plan, submit_plan]


async def agent(
    project: Project,
    server: FakeModelServer | None,
    bridge: MemoryBridge,
    human: ScriptedHuman,
    *,
    task: str = "What columns does sales have?",
    mode: Mode = Mode.DEFAULT,
    url: str | None = None,
) -> AgentOutcome:
    resolved, live = fake_model(project.root, project.env, url or server.base_url)  # type: ignore[union-attr]
    client = live if server is not None else None
    return await run_agent(
        AgentRun(
            task=task,
            resolved=resolved,
            bridge=bridge,
            human=human,
            mode=mode,
            namespace=namespace(),
            client=client,
        )
    )


async def test_a_question_is_answered_without_editing(project: Project) -> None:
    bridge = MemoryBridge(notebook())
    before = bridge.snapshot.model_copy(deep=True)
    human = ScriptedHuman()
    script = [tool_call("inspect_variable", {"name": "sales"}), text("region and amount.")]
    with FakeModelServer(scripted(script)) as server:
        outcome = await agent(project, server, bridge, human)
        tools = {t["function"]["name"] for t in server.requests[0].body["tools"]}  # type: ignore[index]
    assert outcome.answer == "region and amount." and outcome.plan is None
    assert bridge.snapshot == before and outcome.cells == [] and human.confirmed == []
    assert {"enter_plan_mode", "investigate", "insert_cell", "ask_user"} <= tools
    assert "exit_plan_mode" not in tools and "update_step" not in tools
    assert outcome.transcript is not None and outcome.transcript.name == "agent.r1.json"


async def test_a_small_edit_in_default_mode_after_one_approval(
    project: Project, shell: InteractiveShell
) -> None:
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    human = ScriptedHuman(confirms=[Confirmation(allow=True, scope="once")])
    edit = {"cell_id": "load", "source": "import pandas as pd\nsales = pd.read_csv('s.csv')"}
    script = [tool_call("edit_cell", edit), text("Renamed the file in cell load.")]
    with FakeModelServer(scripted(script)) as server:
        outcome = await agent(project, server, bridge, human, task="read s.csv instead")
    (asked,) = human.confirmed
    assert asked.tool == "edit_cell" and asked.rule is not None and "build.toml" in asked.rule
    cell = bridge.snapshot.cell("load")
    assert cell is not None and "s.csv" in cell.source
    assert cell.metadata["jupyter_plan"] == {"plan_id": "agent", "revision": 0, "step_id": None}
    assert outcome.cells == ["load"] and outcome.answer == "Renamed the file in cell load."


async def test_auto_edit_edits_without_asking(project: Project) -> None:
    bridge = MemoryBridge(notebook())
    human = ScriptedHuman()
    script = [tool_call("insert_cell", {"source": "sales.shape"}), text("Added it.")]
    with FakeModelServer(scripted(script)) as server:
        outcome = await agent(project, server, bridge, human, mode=Mode.AUTO_EDIT, task="shape")
    assert human.confirmed == [] and len(outcome.cells) == 1


async def test_enter_plan_mode_confirmed_plans_then_the_plan_builds(
    project: Project, shell: InteractiveShell
) -> None:
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    human = ScriptedHuman(
        confirms=[Confirmation(allow=True, scope="once")],
        reviews=[ReviewDecision(action="approve", build_mode="auto_edit")],
    )
    with FakeModelServer(scripted(PLANNING)) as server:
        outcome = await agent(project, server, bridge, human, task=BIG_TASK)
        planner_request = server.requests[1].body
    (asked,) = human.confirmed
    assert asked.tool == "enter_plan_mode" and asked.args == {
        "reason": "a report has several steps to review"
    }
    assert "a report has several steps to review" in asked.preview
    assert outcome.entered_plan == "a report has several steps to review"
    assert outcome.plan is not None and outcome.plan.plan is not None
    plan = outcome.plan.plan
    assert plan.status is PlanStatus.APPROVED and [s.id for s in plan.steps] == ["S1", "S2"]
    assert human.reviewed and human.reviewed[0].id == plan.id
    assert planner_request is not None and BIG_TASK in planner_request["messages"][1]["content"]
    assert bridge.snapshot == MemoryBridge(notebook()).snapshot  # planning changed nothing

    with FakeModelServer(scripted(BUILD_SCRIPT)) as server:
        built = await build(project, server, bridge, plan_id=plan.id)
    assert built.plan.status is PlanStatus.BUILT and len(built.cells) == 2


async def test_declining_keeps_the_mode_and_the_model_is_told(project: Project) -> None:
    bridge = MemoryBridge(notebook())
    human = ScriptedHuman(confirms=[Confirmation(allow=False, reason="just answer")])
    script: list[Step | Turn] = [ENTER, text("Then briefly: group by region and sum.")]
    with FakeModelServer(scripted(script)) as server:
        outcome = await agent(project, server, bridge, human, task=BIG_TASK)
        told = last_tool_result(server.requests[1].body or {})
        tools = {t["function"]["name"] for t in server.requests[1].body["tools"]}  # type: ignore[index]
    assert told == "Denied by the person: just answer"
    assert "insert_cell" in tools and "exit_plan_mode" not in tools  # still the agent's mode
    assert outcome.plan is None and outcome.entered_plan is None
    assert outcome.answer == "Then briefly: group by region and sum."
    assert human.reviewed == [] and list(project.plan_dir.glob("*.md")) == []


async def test_plan_mode_is_exactly_a_plan_run(project: Project) -> None:
    human = ScriptedHuman(reviews=[ReviewDecision(action="approve", build_mode="default")])
    with FakeModelServer(scripted([write_plan, submit_plan])) as server:
        outcome = await agent(project, server, MemoryBridge(notebook()), human, mode=Mode.PLAN)
        tools = {t["function"]["name"] for t in server.requests[0].body["tools"]}  # type: ignore[index]
    assert "exit_plan_mode" in tools and "enter_plan_mode" not in tools
    assert "insert_cell" not in tools and "investigate" not in tools  # no rule allows it
    assert outcome.plan is not None and outcome.plan.plan is not None
    assert outcome.transcript is not None and outcome.transcript.name == "transcript.r1.json"


def test_the_setting_chooses_plan_unless_the_session_chose() -> None:
    assert start_mode(None, "plan") is Mode.PLAN
    assert start_mode(Mode.AUTO_EDIT, "plan") is Mode.AUTO_EDIT
    assert start_mode(None, "default") is Mode.DEFAULT


@pytest.mark.parametrize("planned", [False, True], ids=["answered", "entered-plan"])
async def test_replays_are_offline_and_byte_identical(
    project: Project, shell: InteractiveShell, planned: bool
) -> None:
    def human() -> ScriptedHuman:
        return ScriptedHuman(
            confirms=[Confirmation(allow=True, scope="once")],
            reviews=[ReviewDecision(action="approve", build_mode="auto_edit")],
        )

    script: list[Step | Turn] = (
        PLANNING
        if planned  # an edit: a MemoryBridge's new cells get random ids, the comm's stable ones
        else [tool_call("edit_cell", {"cell_id": "peek", "source": "sales"}), text("Done.")]
    )
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    with FakeModelServer(scripted(script)) as server:
        first = await agent(project, server, bridge, human(), task=BIG_TASK)
        url = server.base_url
    before = project.files()
    again = MemoryBridge(notebook(), ShellExecutor(shell))
    # The server is stopped: a model call would fail, and no person is scripted.
    replayed = await agent(project, None, again, ScriptedHuman(), task=BIG_TASK, url=url)
    assert replayed.replayed and project.files() == before
    assert replayed.answer == first.answer and again.snapshot.cells == bridge.snapshot.cells
    if planned:
        assert replayed.plan is not None and replayed.plan.replayed
        assert replayed.plan.plan is not None and first.plan is not None and first.plan.plan
        assert without_times(replayed.plan.plan) == without_times(first.plan.plan)
