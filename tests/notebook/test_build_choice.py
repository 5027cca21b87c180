"""A bare ``%build`` in a shared project builds this notebook's plan, never a colleague's
newer one; it says which, and asks (one line, the candidates) when it cannot tell."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.agent import builder
from jupyter_plan.models import Plan
from jupyter_plan.notebook.build_choice import choose_bare_build
from jupyter_plan.notebook.kernel_session import KernelSession
from jupyter_plan.record.store import PlanStore
from jupyter_plan.testing.lab import write_notebook
from jupyter_plan.testing.plans import approved_plan

PLAN_MD = "# {title}\n\n## Steps\n### S1. Load\nRead it.\nVerify: rows\n"


def _plan(plan_dir: Path, plan_id: str, notebook: str | None, age_minutes: int) -> Plan:
    plan = approved_plan(plan_dir, plan_id, PLAN_MD.format(title=plan_id.title()))
    created = plan.created - timedelta(minutes=age_minutes)
    plan = plan.model_copy(update={"notebook_path": notebook, "created": created})
    PlanStore(plan_dir).save(plan)
    return plan


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_PLAN_ADMIN_DIR", str(tmp_path / "admin"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".jupyter_plan").mkdir()
    for name in ("mine.ipynb", "theirs.ipynb"):
        write_notebook(tmp_path / name, ["x = 1"])
    return tmp_path


@pytest.fixture
def plan_dir(project: Path) -> Path:
    return project / ".jupyter_plan" / "plans"


def test_this_notebooks_plan_wins_over_a_colleagues_newer_one(
    project: Path, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _plan(plan_dir, "my-chart", "mine.ipynb", age_minutes=30)
    _plan(plan_dir, "their-model", "theirs.ipynb", age_minutes=1)  # newest in the store
    store = PlanStore(plan_dir)
    assert choose_bare_build(store, project / "mine.ipynb", project, []) == "my-chart"
    assert "%build builds my-chart (My-Chart): the approved plan of mine.ipynb" in (
        capsys.readouterr().out
    )
    assert choose_bare_build(store, project / "theirs.ipynb", project, []) == "their-model"


def test_this_sessions_plan_comes_first(project: Path, plan_dir: Path) -> None:
    _plan(plan_dir, "first", "mine.ipynb", age_minutes=30)
    _plan(plan_dir, "second", "mine.ipynb", age_minutes=20)
    store = PlanStore(plan_dir)
    chosen = choose_bare_build(store, project / "mine.ipynb", project, ["second", "first"])
    assert chosen == "first"  # the last one this session planned


def test_two_plans_of_this_notebook_are_a_question(project: Path, plan_dir: Path) -> None:
    _plan(plan_dir, "first", "mine.ipynb", age_minutes=30)
    _plan(plan_dir, "second", "mine.ipynb", age_minutes=20)
    with pytest.raises(UsageError) as raised:
        choose_bare_build(PlanStore(plan_dir), project / "mine.ipynb", project, [])
    message = str(raised.value)
    assert "\n" not in message
    assert "2 approved plans of mine.ipynb" in message
    assert "%build second" in message and "%build first" in message


def test_only_a_colleagues_plan_is_not_built_here(project: Path, plan_dir: Path) -> None:
    _plan(plan_dir, "their-model", "theirs.ipynb", age_minutes=1)
    with pytest.raises(UsageError, match=r"no approved plan of mine\.ipynb.*%build their-model"):
        choose_bare_build(PlanStore(plan_dir), project / "mine.ipynb", project, [])


def test_bare_build_in_two_notebooks_of_one_project(
    project: Path, plan_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the magic: each notebook's bare %build reaches its own plan."""
    _plan(plan_dir, "my-chart", "mine.ipynb", age_minutes=30)
    _plan(plan_dir, "their-model", "theirs.ipynb", age_minutes=1)
    chosen: list[str | None] = []

    def stop(store: Any, plan_id: str | None) -> Plan:
        chosen.append(plan_id)
        raise builder.BuildRefused("stopped by the test")

    monkeypatch.setattr(builder, "choose_plan", stop)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_plan")
    KernelSession.of(shell).last_plan = None
    for notebook in ("mine.ipynb", "theirs.ipynb"):
        with pytest.raises(UsageError, match="stopped by the test"):
            shell.run_line_magic("build", f"--notebook {notebook}")
    assert chosen == ["my-chart", "their-model"]
