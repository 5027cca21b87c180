"""``%load_ext jupyter_plan`` stays light; ``%plan policy …`` runs the policy CLI in-kernel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell


def test_load_ext_imports_neither_litellm_nor_ipywidgets() -> None:
    code = (
        "import json, sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'jupyter_plan')\n"
        "assert 'plan' in shell.magics_manager.magics['line']\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('litellm', 'ipywidgets'))\n"
        "print(json.dumps(heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_PLAN_ADMIN_DIR", str(tmp_path / "admin"))
    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_plan")
    return ip


def test_plan_policy_check_from_the_kernel(shell, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    shell.run_line_magic("plan", "policy check --mode plan --tool run_cell --json")
    assert json.loads(capsys.readouterr().out)["decision"] == "deny"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "no plans yet"),
        ("show", "no plans yet"),  # shows the latest plan; never plans the task "show"
        ("show nope", "no plan 'nope'|PlanNotFound"),
        ("mode fast", "'fast' is not a mode"),
        ("policy check --tool x --args '{bad'", "exit status 2"),
        ("policy check --tool 'unterminated", "cannot parse arguments"),
    ],
)
def test_usage_errors(shell, line: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("plan", line)


def test_plan_is_refused_when_turned_off(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".jupyter_plan").mkdir()
    (tmp_path / ".jupyter_plan" / "settings.json").write_text('{"plan": {"enabled": false}}')
    with pytest.raises(UsageError, match=r"turned off: plan.enabled = false \(project settings"):
        shell.run_cell_magic("plan", "", "Chart revenue")
