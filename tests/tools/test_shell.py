"""The shell tool: hidden in plan mode unless a rule naming ``plan`` allows a command."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, builtin_files, load_rules
from jupyter_plan.policy.types import Decision, Mode, Tier
from jupyter_plan.tools import plan_tools
from jupyter_plan.tools.base import ToolError

from .conftest import Call

GIT_LOG_IN_PLAN = """
[[rule]]
toolName = "run_shell_command"
commandPrefix = "git log"
decision = "allow"
priority = 100
modes = ["plan"]
"""


def _engine(tmp_path: Path, workspace: str | None = None) -> PolicyEngine:
    files = builtin_files()
    if workspace is not None:
        path = tmp_path / "workspace.toml"
        path.write_text(workspace)
        files.append(PolicyFile(str(path), Tier.WORKSPACE))
    return PolicyEngine(load_rules(files), plan_dir=tmp_path / "plans")


def test_plan_mode_hides_the_shell_unless_a_plan_rule_opens_it(tmp_path: Path) -> None:
    names = plan_tools().names
    assert "run_shell_command" in names
    assert "run_shell_command" not in _engine(tmp_path).visible_tools(names, Mode.PLAN)
    opened = _engine(tmp_path, GIT_LOG_IN_PLAN)
    assert "run_shell_command" in opened.visible_tools(names, Mode.PLAN)
    ok = opened.decide("run_shell_command", {"command": "git log -3"}, Mode.PLAN)
    assert ok.decision is Decision.ALLOW
    for other in ("rm -rf data", "git log; rm -rf data", "git log > out.txt"):
        d = opened.decide("run_shell_command", {"command": other}, Mode.PLAN)
        assert d.decision is Decision.DENY, other


async def test_it_runs_in_the_project_root_without_keys_in_its_environment(
    call: Call, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_API_KEY", "sk-do-not-leak")
    out = await call("run_shell_command", command="pwd; echo ${SOME_API_KEY:-no key}")
    assert out.splitlines() == ["exit status 0", str(project.resolve()), "no key"]


async def test_a_failing_command_reports_its_status(call: Call) -> None:
    out = await call("run_shell_command", command="echo oops >&2; exit 3")
    assert out.splitlines() == ["exit status 3", "oops"]


async def test_a_command_past_its_timeout_is_killed(call: Call) -> None:
    with pytest.raises(ToolError, match=r"killed after 0\.2 s"):
        await call("run_shell_command", command="sleep 30", timeout=0.2)
