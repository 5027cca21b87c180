"""End to end through real litellm HTTP calls to the fake server: explore, ask, plan, review."""

from __future__ import annotations

import json

import pytest
import yaml

from jupyter_plan.agent.client import ModelError
from jupyter_plan.agent.replay import ReplayDrift
from jupyter_plan.agent.runs import RunSetupError
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Answer, PlanStatus, ReviewDecision
from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.human import ScriptedHuman

from .conftest import API_KEY, Planner, Project, notebook

PLAN_V1 = """# Revenue by region

## Objective
Total revenue per region from `sales`.

## Steps
### S1. Clean missing amounts
Fill missing `amount` with 0 in a new cell after `peek`.
Verify: `sales.amount.isna().sum() == 0`

### S2. Summarise by region
`sales.groupby("region").amount.sum()` in a new cell.
Verify: one row per region, north = 15.5

## Verification
Run all cells; no errors.

## Alternatives considered
- **SQL via duckdb**: heavier, no gain for 3 rows

Chosen approach: pandas groupby
"""

CHART_STEP = """### S3. Chart it
A bar chart of the summary.
Verify: the chart shows one bar per region

## Verification"""

APPROACHES = {
    "questions": [
        {
            "question": "How should revenue be summarised?",
            "header": "Approach",
            "type": "choice",
            "options": [
                {"label": "pandas groupby (Recommended)", "description": "simple, in memory"},
                {"label": "SQL via duckdb", "description": "scales, adds a dependency"},
            ],
        }
    ]
}


def planning_script(plan_file: str = "sales-summary.md") -> list[object]:
    return [
        tool_call("list_cells", {}),
        tool_call("inspect_variable", {"name": "sales"}),
        tool_call("ask_user", APPROACHES),
        tool_call("write_file", {"file_path": plan_file, "content": PLAN_V1}),
        tool_call("exit_plan_mode", {"plan_filename": plan_file}),
        # after Iterate:
        tool_call(
            "replace",
            {"file_path": plan_file, "old_string": "## Verification", "new_string": CHART_STEP},
        ),
        tool_call("exit_plan_mode", {"plan_filename": plan_file}),
    ]


def planning_human() -> ScriptedHuman:
    return ScriptedHuman(
        answers=[[Answer(header="Approach", selected=["pandas groupby (Recommended)"])]],
        reviews=[
            ReviewDecision(action="iterate", feedback="Add a chart of the summary"),
            ReviewDecision(action="approve", build_mode="auto_edit"),
        ],
    )


def tool_results(server: FakeModelServer, turn: int) -> list[str]:
    """The tool messages the model received at (1-based) ``turn``."""
    body = server.requests[turn - 1].body
    assert body is not None
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


async def test_plan_end_to_end(plan: Planner, project: Project) -> None:
    human = planning_human()
    with FakeModelServer(planning_script()) as server:
        outcome = await plan(server, human)

    assert outcome.plan is not None and not outcome.replayed
    p = outcome.plan
    assert p.status is PlanStatus.APPROVED and p.build_mode == "auto_edit"
    assert p.revision == 2 and [s.id for s in p.steps] == ["S1", "S2", "S3"]
    assert p.chosen_approach == "pandas groupby"
    assert [q.answer.selected for q in p.questions] == [["pandas groupby (Recommended)"]]
    assert p.usage.prompt_tokens > 0 and p.usage.completion_tokens > 0

    # The model saw the cells, then the DataFrame, then the person's choice.
    results = [tool_results(server, n)[-1] for n in (2, 3, 4)]
    assert "load" in results[0] and "peek" in results[0]
    assert "region" in results[1] and "amount" in results[1]
    assert "pandas groupby (Recommended)" in results[2]
    # The person saw the question and both revisions.
    assert [q.header for q in human.asked[0]] == ["Approach"]
    assert [r.revision for r in human.reviewed] == [1, 2]

    # Plan mode hides tools it denies outright: no cell edits or runs were offered.
    first = server.requests[0].body
    assert first is not None
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"list_cells", "ask_user", "write_file", "exit_plan_mode"} <= offered
    assert not offered & {"edit_cell", "insert_cell", "run_cell", "run_shell_command"}

    # The plan file: front matter + current revision; revision 1 kept beside it.
    text_ = (project.plan_dir / "sales-summary.md").read_text()
    front, body = text_.split("---\n", 2)[1:]
    meta = yaml.safe_load(front)
    assert meta["id"] == "sales-summary" and meta["status"] == "approved"
    assert meta["build_mode"] == "auto_edit" and meta["revision"] == 2
    assert "### S3. Chart it" in body and "## Steps" in body
    r1 = (project.plan_dir / "sales-summary" / "r1.md").read_text()
    assert r1 == PLAN_V1
    assert "Chart it" in (project.plan_dir / "sales-summary" / "r2.md").read_text()

    # The key reached the provider, and no file anywhere.
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    for name, data in project.files().items():
        assert API_KEY.encode() not in data, name


async def test_replay_is_offline_and_identical(plan: Planner, project: Project) -> None:
    with FakeModelServer(planning_script()) as server:
        first = await plan(server, planning_human())
        url = server.base_url
    before = project.files()
    # The server is stopped now: a model call would fail. The person is not asked either.
    replayed = await plan(None, ScriptedHuman(), api_base=url)
    assert replayed.replayed and replayed.plan is not None and first.plan is not None
    assert replayed.plan.status is PlanStatus.APPROVED
    after = project.files()
    assert after == before  # byte for byte: plan file, revisions, transcript


async def test_replay_drift_names_the_turn(plan: Planner, project: Project) -> None:
    with FakeModelServer(planning_script()) as server:
        await plan(server, planning_human())
        url = server.base_url
    transcript = project.plan_dir / "sales-summary" / "transcript.r1.json"
    data = json.loads(transcript.read_text())
    # Tamper with what the tool answered at turn 2 (as if the notebook had changed).
    turns = [e for e in data["entries"] if e.get("kind", "model") == "model" and "fingerprint" in e]
    turns[2]["fingerprint"] = "0" * 64
    transcript.write_text(json.dumps(data, indent=2, sort_keys=True))
    with pytest.raises(ReplayDrift) as info:
        await plan(None, ScriptedHuman(), api_base=url, replay="always")
    assert info.value.turn == 3
    assert "model turn 3" in str(info.value)


async def test_a_changed_task_with_a_recording_of_its_cell_never_calls_the_model(
    plan: Planner, project: Project
) -> None:
    """No --id: the recording is this plan's because it was made from the same cell."""
    with FakeModelServer(planning_script()) as server:
        first = await plan(server, planning_human(), plan_id=None)
    assert first.plan is not None
    before = project.files()
    with FakeModelServer([]) as server:  # a model is configured and reachable
        with pytest.raises(ReplayDrift, match="model turn 1"):
            await plan(server, ScriptedHuman(), plan_id=None, task="Summarise revenue by month")
        assert server.requests == []  # no silent call
        assert project.files() == before  # the recorded plan is left as it was
        kept = await plan(server, ScriptedHuman(), plan_id=None, task="…by month", keep=True)
        assert kept.plan is not None and kept.plan.id == first.plan.id and server.requests == []
        with pytest.raises(ModelError):  # the person chose to re-plan live: the model is asked
            await plan(server, ScriptedHuman(), plan_id=None, task="…by month", live=True)
        assert server.requests


async def test_without_the_plan_cell_the_prompt_says_so(plan: Planner, project: Project) -> None:
    snapshot = notebook().model_copy(update={"active_cell_id": None})
    with FakeModelServer(planning_script()) as server:
        await plan(server, planning_human(), bridge=MemoryBridge(snapshot))
        body = server.requests[0].body
    assert body is not None
    user = body["messages"][1]["content"]
    assert "The %%plan cell this task comes from is not known" in user
    assert "(the %%plan cell)" not in user


async def test_inquiry_gets_an_answer_and_no_plan(plan: Planner, project: Project) -> None:
    script = [
        tool_call("read_cells", {"cell_ids": ["load"]}),
        text("It reads sales.csv with pandas."),
    ]
    with FakeModelServer(script) as server:
        outcome = await plan(server, ScriptedHuman(), task="How is the data loaded?", plan_id=None)
    assert outcome.plan is None
    assert outcome.answer == "It reads sales.csv with pandas."
    assert not list(project.plan_dir.glob("*.md"))
    assert [p.name for p in project.plan_dir.iterdir()] == []


async def test_no_model_configured_is_a_clear_error(plan: Planner, project: Project) -> None:
    with pytest.raises(RunSetupError, match="no model is configured"):
        await plan(None, ScriptedHuman(), model=None, replay="never")


async def test_a_plan_document_named_otherwise_becomes_the_plan(
    plan: Planner, project: Project
) -> None:
    # The prompt names `<id>.md`; a model that writes and submits `notes.md` instead still
    # gets its document reviewed, and the plan file holds it (not an empty draft).
    human = planning_human()
    with FakeModelServer(planning_script("notes.md")) as server:
        outcome = await plan(server, human)
    assert outcome.plan is not None and outcome.plan.revision == 2
    assert [s.id for s in outcome.plan.steps] == ["S1", "S2", "S3"]
    assert [r.title for r in human.reviewed] == ["Revenue by region"] * 2
    assert "### S3. Chart it" in (project.plan_dir / "sales-summary.md").read_text()
