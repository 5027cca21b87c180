"""A project, the provider's own key variables cleaned from the environment, and a planner
that runs one whole plan through real litellm against the fake server of a wire format."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.agent.planner import PlanOutcome, PlanRun, run_plan
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot, ReviewDecision
from jupyter_plan.redaction import is_credential_env
from jupyter_plan.settings import load_settings
from jupyter_plan.testing.fake_server import FakeModelServer
from jupyter_plan.testing.human import ScriptedHuman

APPROVE = ReviewDecision(action="approve", build_mode="auto_edit")


@dataclass
class Project:
    root: Path
    user: Path

    @property
    def plan_dir(self) -> Path:
        return self.root / ".jupyter_plan" / "plans"


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No credential variable from the machine running the tests reaches litellm."""
    for name in list(os.environ):
        if is_credential_env(name) or name.endswith(("_API_BASE", "_BASE_URL")):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_keys: None) -> Project:
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_PLAN_ADMIN_DIR", str(tmp_path / "admin"))
    return Project(root, tmp_path / "user")


def notebook() -> NotebookSnapshot:
    cells = [
        Cell(id="load", cell_type="code", source="sales = load()", execution_count=1),
        Cell(id="plan", cell_type="code", source="%%plan\nSummarise revenue by region"),
    ]
    return NotebookSnapshot(path="analysis.ipynb", cells=cells, active_cell_id="plan")


Planner = Callable[..., Any]


@pytest.fixture
def plan(project: Project) -> Planner:
    """``await plan(server, model=…, api_base=…)``: one plan, approved, headless."""

    async def run(
        server: FakeModelServer,
        *,
        model: str,
        api_base: str | None,
        human: ScriptedHuman | None = None,
        plan_id: str = "revenue",
        task: str = "Summarise revenue by region",
    ) -> PlanOutcome:
        flags = {"model": model, "api_base": api_base}
        resolved = load_settings(project.root, env=dict(os.environ), flags=flags)
        return await run_plan(
            PlanRun(
                task=task,
                resolved=resolved,
                bridge=MemoryBridge(notebook()),
                human=human or ScriptedHuman(reviews=[APPROVE]),
                namespace={},
                plan_id=plan_id,
            )
        )

    return run
