"""No tool writes jupyter-plan's own settings, policies or skills, in any mode, by any rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_plan.policy.from_settings import engine_for
from jupyter_plan.policy.types import Decision, Mode

ALLOW_ALL = """
[[rule]]
toolName = "*"
decision = "allow"
priority = 999
modes = ["default", "auto_edit", "plan", "yolo"]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / ".jupyter_plan" / "policies").mkdir(parents=True)
    (root / ".jupyter_plan" / "skills").mkdir()
    admin = tmp_path / "admin"
    admin.mkdir()
    (admin / "allow.toml").write_text(ALLOW_ALL)  # even the admin tier cannot open it
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_PLAN_ADMIN_DIR", str(admin))
    return root


@pytest.mark.parametrize(
    "path",
    [
        ".jupyter_plan/policies/open.toml",
        ".jupyter_plan/settings.json",
        ".jupyter_plan/skills/evil.md",
        "./notes/../.jupyter_plan/policies/x.toml",
    ],
)
@pytest.mark.parametrize("mode", list(Mode))
def test_config_is_never_written(project: Path, path: str, mode: Mode) -> None:
    engine = engine_for(project)
    d = engine.decide("write_file", {"file_path": path, "content": "x"}, mode)
    assert d.decision is Decision.DENY
    assert "configuration" in d.reason and "edited by people" in d.reason
    assert d.rule is None  # no rule decided it, and none could


def test_the_user_and_admin_folders_are_guarded_too(project: Path) -> None:
    engine = engine_for(project)
    for folder in (os.environ["JUPYTER_PLAN_USER_DIR"], os.environ["JUPYTER_PLAN_ADMIN_DIR"]):
        d = engine.decide("write_file", {"file_path": f"{folder}/x.toml"}, Mode.YOLO)
        assert d.decision is Decision.DENY, folder


def test_a_symlink_into_the_config_is_seen_through(project: Path) -> None:
    (project / "innocent").symlink_to(project / ".jupyter_plan" / "policies")
    d = engine_for(project).decide("write_file", {"file_path": "innocent/x.toml"}, Mode.YOLO)
    assert d.decision is Decision.DENY and "configuration" in d.reason


def test_a_plan_directory_set_inside_the_skills_is_still_guarded(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / ".jupyter_plan" / "settings.json").write_text(
        '{"plan": {"directory": ".jupyter_plan/skills"}}'
    )
    d = engine_for(project).decide("write_file", {"file_path": ".jupyter_plan/skills/p.md"}, "plan")
    assert d.decision is Decision.DENY and "configuration" in d.reason


def test_the_plan_directory_and_the_project_are_not_config(project: Path) -> None:
    engine = engine_for(project)
    plan = engine.decide("write_file", {"file_path": ".jupyter_plan/plans/p.md"}, Mode.PLAN)
    assert plan.decision is Decision.ALLOW  # the admin allow-all, inside the plan dir
    other = engine.decide("write_file", {"file_path": "analysis/report.md"}, Mode.YOLO)
    assert other.decision is Decision.ALLOW
    read = engine.decide("read_file", {"file_path": ".jupyter_plan/settings.json"}, Mode.PLAN)
    assert read.decision is Decision.ALLOW  # reading the configuration is fine
