"""%build's engine through real litellm to the fake server, on a real IPython shell."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.agent.builder import BuildOutcome, BuildRefused, BuildRun, run_build
from jupyter_plan.bridge.execute import ShellExecutor
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import BuildMode, Confirmation, Plan
from jupyter_plan.policy.types import Mode
from jupyter_plan.testing.fake_server import FakeModelServer, Turn, text, tool_call
from jupyter_plan.testing.human import ScriptedHuman
from jupyter_plan.testing.plans import approved_plan as make_approved

from .conftest import Project, fake_model, notebook
from .test_planner import PLAN_V1

Step = Callable[[dict[str, Any]], Turn]


def approved_plan(project: Project, build_mode: BuildMode = "auto_edit") -> Plan:
    return make_approved(project.plan_dir, "sales-summary", PLAN_V1, build_mode)


def last_tool_result(body: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "tool")


def new_cell_id(body: dict[str, Any]) -> str:
    """The id from the last 'Inserted code cell 'abc'' tool answer."""
    return last_tool_result(body).split("'")[1]


def scripted(steps: list[Step | Turn]) -> Callable[[dict[str, Any]], Turn | None]:
    """A responder playing ``steps`` in order; a callable step sees the request body."""
    queue = list(steps)

    def respond(body: dict[str, Any]) -> Turn | None:
        if not queue:
            return None
        step = queue.pop(0)
        return step(body) if callable(step) else step

    return respond


BUILD_SCRIPT: list[Step | Turn] = [
    tool_call("update_step", {"step_id": "S1", "status": "in_progress"}),
    tool_call(
        "insert_cell",
        {"source": "sales['amount'] = sales['amount'].fillna(0)", "after": "peek", "step_id": "S1"},
    ),
    lambda body: tool_call("run_cell", {"cell_id": new_cell_id(body)}),
    tool_call("update_step", {"step_id": "S1", "status": "done", "note": "filled 1 value"}),
    tool_call(
        "insert_cell",
        {"source": "totals = sales.groupby('region').amount.sum()\ntotals", "step_id": "S2"},
    ),
    lambda body: tool_call("run_cell", {"cell_id": new_cell_id(body)}),
    tool_call("update_step", {"step_id": "S2", "status": "done", "note": "north 15.5"}),
    text("Both steps are done: amounts cleaned and summarised by region."),
]


async def build(
    project: Project,
    server: FakeModelServer,
    bridge: MemoryBridge,
    human: ScriptedHuman | None = None,
    **kwargs: Any,
) -> BuildOutcome:
    resolved, client = fake_model(project.root, project.env, server.base_url)
    return await run_build(
        BuildRun(
            resolved=resolved,
            bridge=bridge,
            human=human or ScriptedHuman(),
            client=client,
            **kwargs,
        )
    )


async def test_build_inserts_runs_tags_summarises_and_undoes(
    project: Project, shell: InteractiveShell
) -> None:
    approved_plan(project)
    original = notebook()
    bridge = MemoryBridge(original.model_copy(deep=True), ShellExecutor(shell))
    ticks: list[tuple[str, str]] = []
    with FakeModelServer(scripted(BUILD_SCRIPT)) as server:
        outcome = await build(
            project, server, bridge, on_step=lambda s: ticks.append((s.id, s.status))
        )

    cells = bridge.snapshot.cells
    ids = [c.id for c in cells]
    first, second = outcome.cells
    assert ids.index(first) == ids.index("peek") + 1  # after the cell it depends on
    assert ids[-1] == second
    for cid, step in ((first, "S1"), (second, "S2")):
        cell = bridge.snapshot.cell(cid)
        assert cell is not None
        assert cell.metadata["jupyter_plan"] == {
            "plan_id": "sales-summary",
            "revision": 1,
            "step_id": step,
        }
        assert cell.execution_count is not None
    assert "15.5" in json.dumps(bridge.snapshot.cell(second).outputs)  # type: ignore[union-attr]
    assert shell.user_ns["sales"]["amount"].isna().sum() == 0
    assert ticks == [("S1", "in_progress"), ("S1", "done"), ("S2", "done")]
    assert outcome.plan.status.value == "built"
    assert "2 of 2 steps done" in outcome.summary
    assert "✓ S1. Clean missing amounts: done — filled 1 value" in outcome.summary
    assert "✓ S2. Summarise by region: done — north 15.5" in outcome.summary
    assert outcome.transcript is not None and outcome.transcript.name == "build.r1.json"

    await bridge.restore_checkpoint(outcome.checkpoint)
    assert bridge.snapshot == original  # Undo restores the notebook exactly


async def test_built_plan_is_not_built_twice(project: Project, shell: InteractiveShell) -> None:
    approved_plan(project)
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    with FakeModelServer(scripted(BUILD_SCRIPT)) as server:
        await build(project, server, bridge)
        before = bridge.snapshot.model_copy(deep=True)
        with pytest.raises(BuildRefused, match="already built"):
            await build(project, server, bridge)
    assert bridge.snapshot == before


async def test_default_mode_asks_and_a_denial_reaches_the_model(
    project: Project, shell: InteractiveShell
) -> None:
    approved_plan(project, build_mode="default")
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    human = ScriptedHuman(confirms=[Confirmation(allow=False, reason="keep the raw data")])
    script: list[Step | Turn] = [
        tool_call("edit_cell", {"cell_id": "load", "source": "sales = None", "step_id": "S1"}),
        tool_call("update_step", {"step_id": "S1", "status": "failed", "note": "denied"}),
        text("S1 was denied; stopping."),
    ]
    with FakeModelServer(scripted(script)) as server:
        outcome = await build(project, server, bridge, human)
        answers = [last_tool_result(r.body or {}) for r in server.requests[1:2]]
    assert answers == ["Denied by the person: keep the raw data"]
    (request,) = human.confirmed
    assert request.tool == "edit_cell" and request.preview_kind == "diff"
    assert "-sales = pd.read_csv('sales.csv')" in request.preview
    assert "+sales = None" in request.preview
    assert request.rule is not None and "build.toml" in request.rule
    assert bridge.snapshot.cell("load").source.startswith("import pandas")  # type: ignore[union-attr]
    assert outcome.plan.status.value == "approved"  # not every step done: not "built"
    assert "✗ S1. Clean missing amounts: failed — denied" in outcome.summary


async def test_plan_mode_build_never_changes_the_notebook(
    project: Project, shell: InteractiveShell
) -> None:
    approved_plan(project)
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    before = bridge.snapshot.model_copy(deep=True)
    script: list[Step | Turn] = [
        tool_call("edit_cell", {"cell_id": "load", "source": "x", "step_id": "S1"}),
        tool_call("insert_cell", {"source": "x", "step_id": "S1"}),
        tool_call("run_cell", {"cell_id": "load"}),
        text("Nothing could be done in plan mode."),
    ]
    with FakeModelServer(scripted(script)) as server:
        await build(project, server, bridge, mode=Mode.PLAN)
        answers = [last_tool_result(r.body or {}) for r in server.requests[1:]]
    assert all(a.startswith("Denied by policy: Plan mode is read-only") for a in answers)
    assert bridge.snapshot == before


async def test_user_rule_allowing_run_cell_is_honoured(
    project: Project, shell: InteractiveShell
) -> None:
    approved_plan(project, build_mode="default")
    policies = Path(project.env["JUPYTER_PLAN_USER_DIR"]) / "policies"
    policies.mkdir(parents=True)
    (policies / "runs.toml").write_text(
        '[[rule]]\ntoolName = "run_cell"\nargsPattern = \'"cell_id":"peek"\'\n'
        'decision = "allow"\npriority = 100\n'
    )
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    human = ScriptedHuman(confirms=[Confirmation(allow=False, reason="no")])
    script: list[Step | Turn] = [
        tool_call("run_cell", {"cell_id": "peek"}),  # allowed by the user's rule: no question
        tool_call("run_cell", {"cell_id": "load"}),  # no rule: the person is asked, and denies
        text("Done."),
    ]
    with FakeModelServer(scripted(script)) as server:
        await build(project, server, bridge, human)
        answers = [last_tool_result(r.body or {}) for r in server.requests[1:]]
    assert answers[0].startswith("Cell 'peek' ran")
    assert answers[1] == "Denied by the person: no"
    assert [r.args for r in human.confirmed] == [{"cell_id": "load"}]


async def test_nothing_to_build(project: Project, shell: InteractiveShell) -> None:
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    with FakeModelServer([]) as server, pytest.raises(BuildRefused, match="no approved plan"):
        await build(project, server, bridge)


async def test_allow_for_this_build_is_not_asked_again(
    project: Project, shell: InteractiveShell
) -> None:
    approved_plan(project, build_mode="default")
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    human = ScriptedHuman(confirms=[Confirmation(allow=True, scope="build")])
    script: list[Step | Turn] = [
        tool_call("run_cell", {"cell_id": "load"}),  # asked: allowed for the rest of the build
        tool_call("run_cell", {"cell_id": "peek"}),  # not asked again
        text("Ran both."),
    ]
    with FakeModelServer(scripted(script)) as server:
        await build(project, server, bridge, human)
        answers = [last_tool_result(r.body or {}) for r in server.requests[1:]]
    assert [a.split(" ran")[0] for a in answers] == ["Cell 'load'", "Cell 'peek'"]
    assert [r.args for r in human.confirmed] == [{"cell_id": "load"}]
