"""A project on disk (workspace, plan directory, links pointing out), a scripted person,
and ``call``: run a tool the way the agent loop does (validate the raw JSON, then run)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Answer, NotebookSnapshot, Plan, Question, ReviewDecision
from jupyter_plan.tools import plan_tools
from jupyter_plan.tools.base import ToolContext

Call = Callable[..., Awaitable[str]]


class ScriptedHuman:
    """Answers questions from a script and remembers what it was asked."""

    def __init__(self, *answers: list[Answer]) -> None:
        self.script = list(answers)
        self.asked: list[list[Question]] = []

    async def ask(self, questions: list[Question]) -> list[Answer]:
        self.asked.append(questions)
        return self.script.pop(0)

    async def review(self, plan: Plan) -> ReviewDecision:
        raise AssertionError("tools never ask for a review")

    async def confirm(self, tool: str, args: dict[str, Any], reason: str) -> bool:
        raise AssertionError("tools never ask for a confirmation")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.txt").write_text("SECRET outside the workspace\n")
    (d / "secret.md").write_text("# SECRET plan outside\n")
    return d


@pytest.fixture
def project(tmp_path: Path, outside: Path) -> Path:
    """The workspace root, with links out of it (a folder and a file)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "link_out").symlink_to(outside)
    (root / "file_out.txt").symlink_to(outside / "secret.txt")
    return root


@pytest.fixture
def plan_dir(project: Path, outside: Path) -> Path:
    d = project / ".jupyter_plan" / "plans"
    d.mkdir(parents=True)
    (d / "dirlink").symlink_to(outside)
    (d / "filelink.md").symlink_to(outside / "secret.md")
    return d


@pytest.fixture
def human() -> ScriptedHuman:
    return ScriptedHuman()


@pytest.fixture
def ctx(project: Path, plan_dir: Path, human: ScriptedHuman) -> ToolContext:
    return ToolContext(
        bridge=MemoryBridge(NotebookSnapshot(cells=[])),
        workspace_root=project,
        plan_dir=plan_dir,
        human=human,
    )


@pytest.fixture
def call(ctx: ToolContext) -> Call:
    """``await call("read_file", file_path="x")``: parse the arguments as the loop does."""
    registry = plan_tools()

    async def run(tool_name: str, /, **args: Any) -> str:
        tool = registry.get(tool_name)
        parsed = registry.parse_args(tool, json.dumps(args))
        return await tool.run(parsed, ctx)

    return run
