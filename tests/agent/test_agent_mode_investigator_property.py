"""Property: the research sub-agent never changes anything, whatever the policy or mode says.

Any user policy (allow everything, yolo, rules naming the sub-agent, plan rules), any mode,
and a model that calls every mutating tool there is: the notebook, the kernel's variables
and the files stay exactly as they were, and no person is ever asked.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_plan.agent.client import ModelRequest
from jupyter_plan.agent.investigator import Investigator, read_only_tools
from jupyter_plan.agent.loop import AgentLoop
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import ModelResponse, ToolCall
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, builtin_files, load_rules
from jupyter_plan.policy.types import Mode, Tier, ToolKind
from jupyter_plan.testing.human import ScriptedHuman
from jupyter_plan.tools import agent_tools
from jupyter_plan.tools.base import ToolContext

from .conftest import namespace, notebook

ROOT = Path(tempfile.mkdtemp(prefix="jp-investigator-"))
(ROOT / "data.csv").write_text("a,b\n1,2\n")
PLAN_DIR = ROOT / ".jupyter_plan" / "plans"
PLAN_DIR.mkdir(parents=True)

MUTATING: dict[str, dict[str, Any]] = {
    "insert_cell": {"source": "x = 1"},
    "edit_cell": {"cell_id": "load", "source": "x = 2"},
    "delete_cell": {"cell_id": "peek"},
    "run_cell": {"cell_id": "load"},
    "write_file": {"file_path": "data.csv", "content": "gone"},
    "replace": {"file_path": "data.csv", "old_string": "a", "new_string": "z"},
    "run_shell_command": {"command": "rm data.csv"},
    "enter_plan_mode": {"reason": "r"},
    "investigate": {"question": "again"},
    "ask_user": {"questions": []},
    "exit_plan_mode": {"plan_filename": "x.md"},
    "update_step": {"step_id": "S1", "status": "done"},
}
SUBAGENT_NAMES = ["codebase_investigator", "investigate", "other"]


@st.composite
def rule(draw: st.DrawFn) -> str:
    tool = draw(st.sampled_from(["*", *MUTATING, "read_file", "codebase_investigator"]))
    lines = ["[[rule]]", f"toolName = {json.dumps(tool)}"]
    lines.append(f'decision = "{draw(st.sampled_from(["allow", "ask_user", "deny"]))}"')
    lines.append(f"priority = {draw(st.integers(0, 999))}")
    if draw(st.booleans()):
        lines.append(f"subagent = {json.dumps(draw(st.sampled_from(SUBAGENT_NAMES)))}")
    if draw(st.booleans()):
        modes = draw(st.lists(st.sampled_from(["default", "autoEdit", "plan", "yolo"]), max_size=3))
        lines.append(f"modes = {json.dumps(modes)}")
    return "\n".join(lines) + "\n"


class Scripted:
    """A model that calls the given tools, one per turn, then reports."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = list(calls)

    async def complete(self, request: ModelRequest, *, on_text: Any = None) -> ModelResponse:
        if not self.calls:
            return ModelResponse(content="nothing changed")
        name = self.calls.pop(0)
        call = ToolCall(id=f"c{len(self.calls)}", name=name, arguments=json.dumps(MUTATING[name]))
        return ModelResponse(tool_calls=[call])


def test_its_tools_are_read_tools_only() -> None:
    assert {t.kind for t in read_only_tools().tools()} == {ToolKind.READ}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(rule(), max_size=6),
    mode=st.sampled_from(list(Mode)),
    calls=st.lists(st.sampled_from(list(MUTATING)), min_size=1, max_size=8),
)
def test_the_sub_agent_never_mutates(rules: list[str], mode: Mode, calls: list[str]) -> None:
    path = ROOT / "user.toml"
    path.write_text("".join(rules))
    files = [*builtin_files(), PolicyFile(str(path), Tier.USER)]
    policy = PolicyEngine(load_rules(files), plan_dir=PLAN_DIR, workspace_root=ROOT)
    bridge = MemoryBridge(notebook())
    before = (bridge.snapshot.model_copy(deep=True), (ROOT / "data.csv").read_bytes())
    ns = namespace()
    human = ScriptedHuman()  # any ask would raise: nobody may be asked on its behalf
    ctx = ToolContext(
        bridge=bridge, workspace_root=ROOT, plan_dir=PLAN_DIR, human=human, namespace=ns
    )
    caller = AgentLoop(
        client=Scripted(calls),
        registry=agent_tools(),
        policy=policy,
        ctx=ctx,
        model="m",
        api_base=None,
        messages=[],
        mode=mode,
        max_turns=20,
    )
    report = asyncio.run(Investigator(caller, budget=10**9)("change everything"))
    assert report.startswith("Findings report:")
    assert (bridge.snapshot, (ROOT / "data.csv").read_bytes()) == before
    assert set(ns) == set(namespace()) and human.confirmed == [] and human.asked == []
