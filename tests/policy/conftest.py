"""Build engines from TOML text written to real files, one tier at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, builtin_files, load_rules
from jupyter_plan.policy.types import Tier

MakeEngine = Callable[..., PolicyEngine]


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    d = tmp_path / "project" / ".jupyter_plan" / "plans"
    d.mkdir(parents=True)
    return d


@pytest.fixture
def make_engine(tmp_path: Path, plan_dir: Path) -> MakeEngine:
    """``make_engine(user="...toml...", workspace=..., admin=..., builtin=True)``."""

    def make(builtin: bool = True, **tiers: str) -> PolicyEngine:
        files = builtin_files() if builtin else []
        for name, text in tiers.items():
            tier = Tier[name.upper()]
            path = tmp_path / f"{name}.toml"
            path.write_text(text)
            files.append(PolicyFile(str(path), tier))
        return PolicyEngine(load_rules(files), plan_dir=plan_dir)

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The agreement with Gemini CLI's engine, when the differential tests ran."""
    from .gemini_compare import TALLIES

    if TALLIES:
        terminalreporter.section("agreement with Gemini CLI's policy engine")
        for name, tally in sorted(TALLIES.items()):
            terminalreporter.write_line(tally.line(name))
