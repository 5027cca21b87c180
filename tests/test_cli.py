"""``jupyter-plan policy check|list|validate``: output, JSON shape, exit status."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_plan.cli import main

USER_RULE = (
    '[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "git log"\n'
    'decision = "allow"\npriority = 100\nmodes = ["plan"]\n'
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real user or admin policies leak in; the project is a fresh folder."""
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_PLAN_ADMIN_DIR", str(tmp_path / "admin"))
    project = tmp_path / "project"
    (project / ".jupyter_plan").mkdir(parents=True)
    monkeypatch.chdir(project)
    return project


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_names_rule_source_and_tier(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "policy",
        "check",
        "--mode",
        "plan",
        "--tool",
        "edit_cell",
        "--args",
        '{"cell_id": "x"}',
        "--json",
    )
    data = json.loads(out)
    assert code == 0
    assert data["decision"] == "deny"
    assert data["tier"] == "builtin"
    assert data["source"].startswith("<builtin>/plan.toml:")
    assert "edit_cell" in data["rule"]


def test_check_with_policy_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text(USER_RULE)
    code, out, _ = run(
        capsys,
        "policy",
        "check",
        "--mode",
        "plan",
        "--tool",
        "run_shell_command",
        "--args",
        '{"command": "git log -3"}',
        "--policy",
        str(policy),
    )
    assert code == 0
    assert out.startswith("allow: run_shell_command in plan mode")
    assert f"{policy}:1 (user tier)" in out


def test_check_chain_shows_each_part(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text(USER_RULE)
    code, out, _ = run(
        capsys,
        "policy",
        "check",
        "--mode",
        "plan",
        "--tool",
        "run_shell_command",
        "--args",
        '{"command": "git log && git reset --hard"}',
        "--policy",
        str(policy),
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["decision"] == "deny"
    assert [p["command"] for p in data["parts"]] == ["git log", "git reset --hard"]
    assert [p["decision"] for p in data["parts"]] == ["allow", "deny"]


@pytest.mark.parametrize(("headless", "expected"), [(False, "ask_user"), (True, "deny")])
def test_check_headless(capsys: pytest.CaptureFixture[str], headless: bool, expected: str) -> None:
    argv = ["policy", "check", "--tool", "edit_cell", "--json"] + (["--headless"] * headless)
    code, out, _ = run(capsys, *argv)
    assert code == 0 and json.loads(out)["decision"] == expected


def test_workspace_policy_is_found(capsys: pytest.CaptureFixture[str], isolated: Path) -> None:
    folder = isolated / ".jupyter_plan" / "policies"
    folder.mkdir()
    (folder / "team.toml").write_text('[[rule]]\ntoolName = "glob"\ndecision = "deny"\n')
    _, out, _ = run(capsys, "policy", "check", "--tool", "glob", "--json")
    data = json.loads(out)
    assert data["decision"] == "deny" and data["tier"] == "workspace"


BAD_INPUT = [
    (["policy", "check", "--tool", "x", "--args", "{nope"], "--args is not valid JSON"),
    (["policy", "check", "--tool", "x", "--args", "[1]"], "must be a JSON object"),
    (["policy", "check", "--tool", "x", "--mode", "fast"], "unknown approval mode 'fast'"),
    (["policy", "check", "--tool", "x", "--policy", "/no/such.toml"], "does not exist"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUT)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_malformed_discovered_policy_exits_2(
    capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    folder = isolated / ".jupyter_plan" / "policies"
    folder.mkdir()
    (folder / "team.toml").write_text(
        '[[rule]]\ntoolName = "glob"\ndecision = "deny"\npriority = 5000\n'
    )
    code, _, err = run(capsys, "policy", "check", "--tool", "glob")
    assert code == 2
    assert f"{folder / 'team.toml'}:4: field 'priority'" in err


def test_missing_tool_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["policy", "check"])
    assert info.value.code == 2


def test_list_in_precedence_order(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "a.toml").write_text('[[rule]]\ntoolName = "glob"\ndecision = "deny"\n')
    policy = tmp_path / "mine.toml"
    policy.write_text(USER_RULE)
    code, out, _ = run(capsys, "policy", "list", "--policy", str(policy), "--json")
    tiers = [r["tier"] for r in json.loads(out)]
    assert code == 0
    assert tiers[0] == "admin" and tiers[1] == "user" and set(tiers[2:]) == {"builtin"}
    priorities = [r["priority"] for r in json.loads(out)[2:]]
    assert priorities == sorted(priorities, reverse=True)


def test_list_mode_filter(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "policy", "list", "--mode", "yolo")
    assert "modes=plan" not in out and "modes=yolo" in out
    assert out.startswith("[builtin]")


def test_validate_ok_and_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(USER_RULE)
    code, out, _ = run(capsys, "policy", "validate", str(good))
    assert code == 0 and out.strip() == "ok: 1 rule(s) in 1 file(s)"

    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[rule]]\ntoolName = ""\ndecision = "allow"\n\n[[rule]]\ntoolName = "x"\n'
        'commandPrefix = "git"\ndecision = "allow"\n'
    )
    code, _, err = run(capsys, "policy", "validate", str(good), str(bad))
    assert code == 2
    assert f"{bad}:2: field 'toolName'" in err
    assert f"{bad}:7: field 'commandPrefix'" in err
    assert "2 problem(s) in 2 file(s)" in err


def test_console_script_is_installed(tmp_path: Path) -> None:
    exe = shutil.which("jupyter-plan", path=str(Path(sys.executable).parent))
    assert exe, "the jupyter-plan console script is not installed next to this Python"
    proc = subprocess.run(
        [exe, "policy", "check", "--tool", "read_cells", "--mode", "plan", "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            "PATH": str(Path(sys.executable).parent),
            "JUPYTER_PLAN_USER_DIR": str(tmp_path),
            "JUPYTER_PLAN_ADMIN_DIR": str(tmp_path / "admin"),
            "HOME": str(tmp_path),
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["decision"] == "allow"
