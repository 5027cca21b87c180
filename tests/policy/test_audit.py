"""Audit log: one JSON line per decision, the digest of the arguments and never the arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_plan.policy.audit import AuditLog
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.from_settings import engine_for
from jupyter_plan.policy.loader import builtin_files, load_rules


def test_each_decision_is_one_line(tmp_path: Path) -> None:
    log = tmp_path / "audit" / "log.jsonl"
    engine = PolicyEngine(load_rules(builtin_files()), plan_dir=tmp_path, audit=AuditLog(log))
    engine.decide("edit_cell", {"cell_id": "c1", "source": "SECRET_TOKEN=abc"}, "plan")
    engine.decide("read_cells", {"cell_ids": ["c1"]}, "default")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["tool"], r["decision"], r["mode"]) for r in lines] == [
        ("edit_cell", "deny", "plan"),
        ("read_cells", "allow", "default"),
    ]
    first = lines[0]
    assert first["tier"] == "builtin" and first["source"].startswith("<builtin>/plan.toml:")
    assert {"time", "args_digest", "rule", "reason"} <= first.keys()
    assert "SECRET_TOKEN" not in log.read_text()


def test_audit_switched_on_in_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / ".jupyter_plan").mkdir(parents=True)
    (project / ".jupyter_plan" / "settings.json").write_text(
        json.dumps({"version": 1, "audit": {"enabled": True}})
    )
    env = {
        "JUPYTER_PLAN_USER_DIR": str(tmp_path / "user"),
        "JUPYTER_PLAN_ADMIN_DIR": str(tmp_path / "admin"),
    }
    engine = engine_for(project, env=env)
    engine.decide("glob", {"pattern": "*.csv"}, "plan")
    record = json.loads((project / ".jupyter_plan" / "audit.jsonl").read_text())
    assert record["tool"] == "glob" and record["decision"] == "allow"


def test_audit_off_by_default(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".jupyter_plan").mkdir(parents=True)
    env = {
        "JUPYTER_PLAN_USER_DIR": str(tmp_path / "user"),
        "JUPYTER_PLAN_ADMIN_DIR": str(tmp_path / "admin"),
    }
    engine = engine_for(project, env=env)
    engine.decide("glob", {}, "plan")
    assert engine.audit is None
    assert not (project / ".jupyter_plan" / "audit.jsonl").exists()
