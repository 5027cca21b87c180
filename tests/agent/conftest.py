"""A project on disk, a notebook, a kernel namespace, and a planner wired to the fake model.

The plain functions here are also the set-up of the record and export tests that run the
planner or the builder on the same notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.agent.llm import LiteLLMClient
from jupyter_plan.agent.planner import PlanOutcome, PlanRun, run_plan
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot
from jupyter_plan.settings import ResolvedSettings, load_settings
from jupyter_plan.testing.human import ScriptedHuman

API_KEY = "sk-test-0123456789abcdefSECRET"
TASK = "Summarise revenue by region"


def notebook() -> NotebookSnapshot:
    return NotebookSnapshot(
        path="analysis.ipynb",
        cells=[
            Cell(
                id="load",
                cell_type="code",
                source="import pandas as pd\nsales = pd.read_csv('sales.csv')",
                execution_count=1,
            ),
            Cell(
                id="peek",
                cell_type="code",
                source="sales.head()",
                execution_count=2,
                outputs=[
                    {
                        "output_type": "execute_result",
                        "execution_count": 2,
                        "data": {"text/plain": "   region  amount\n0  north  10.0"},
                        "metadata": {},
                    }
                ],
            ),
            Cell(id="plan", cell_type="code", source="%%plan\nSummarise revenue by region"),
        ],
        active_cell_id="plan",
    )


def namespace() -> dict[str, Any]:
    return {
        "sales": pd.DataFrame({"region": ["north", "south", "north"], "amount": [10.0, None, 5.5]}),
        "threshold": 3,
    }


def fake_model(
    root: Path, env: Mapping[str, str], api_base: str
) -> tuple[ResolvedSettings, LiteLLMClient]:
    """The project's settings with the fake model server at ``api_base`` (and the test key),
    and real litellm to it without retries: a missing turn fails at once."""
    flags = {"model": "openai/fake", "api_key": API_KEY, "api_base": api_base}
    resolved = load_settings(root, env=env, flags=flags)
    return resolved, LiteLLMClient.from_settings(resolved.settings, timeout=10, max_retries=0)


def revenue_plan(
    resolved: ResolvedSettings, human: Any, client: Any, plan_id: str, **more: Any
) -> PlanRun:
    """The revenue task over :func:`notebook` and :func:`namespace`; ``more``: other fields."""
    return PlanRun(
        task=TASK,
        resolved=resolved,
        bridge=MemoryBridge(notebook()),
        human=human,
        namespace=namespace(),
        client=client,
        plan_id=plan_id,
        **more,
    )


@pytest.fixture
def shell() -> InteractiveShell:
    """IPython's shell holding :func:`namespace`, for bridges that run cells."""
    ip = InteractiveShell.instance()
    ip.user_ns.update(namespace())
    return ip


@dataclass
class Project:
    root: Path
    env: dict[str, str]

    @property
    def plan_dir(self) -> Path:
        return self.root / ".jupyter_plan" / "plans"

    def files(self) -> dict[str, bytes]:
        """Every file under the project (byte for byte), for before/after comparisons."""
        return {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    (root / "sales.csv").write_text("region,amount\nnorth,10\nsouth,\nnorth,5.5\n")
    env = {
        "JUPYTER_PLAN_USER_DIR": str(tmp_path / "user"),
        "JUPYTER_PLAN_ADMIN_DIR": str(tmp_path / "admin"),
    }
    return Project(root, env)


Planner = Callable[..., Any]


@pytest.fixture
def plan(project: Project) -> Planner:
    """``await plan(server, human, task=…, **flags)`` runs one plan against the fake server."""

    async def run(
        server: Any,
        human: ScriptedHuman,
        *,
        task: str = TASK,
        bridge: MemoryBridge | None = None,
        ns: dict[str, Any] | None = None,
        plan_id: str | None = "sales-summary",
        client: Any = None,
        live: bool = False,
        keep: bool = False,
        **flags: Any,
    ) -> PlanOutcome:
        settings_flags = {"model": "openai/fake", "api_key": API_KEY, **flags}
        if server is not None:
            settings_flags["api_base"] = server.base_url
        resolved = load_settings(project.root, env=project.env, flags=settings_flags)
        if client is None and server is not None:
            client = LiteLLMClient.from_settings(
                resolved.settings, timeout=10, max_retries=1, backoff_base=0, backoff_cap=0
            )
        return await run_plan(
            PlanRun(
                task=task,
                resolved=resolved,
                bridge=bridge or MemoryBridge(notebook()),
                human=human,
                namespace=namespace() if ns is None else ns,
                client=client,
                plan_id=plan_id,
                live=live,
                keep=keep,
            )
        )

    return run
