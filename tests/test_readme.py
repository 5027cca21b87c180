"""The README's commands work as written: each block is run from the README's own text.

The two set-up-and-test commands are run by ``.ci/run`` (from the README, too); here: that
there are exactly two, the quickstart command, and the policy-checking commands against the
README's own example policies, each in a fresh ``bash`` whose PATH has the venv (as after
``source .venv/bin/activate``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(lang: str) -> list[str]:
    return [m.group(2) for m in BLOCK.finditer(README) if m.group(1) == lang]


def commands(block: str) -> list[str]:
    lines = (re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines())
    return [line for line in lines if line]


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_PLAN_", "OPENAI_"))}
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["JUPYTER_PLAN_USER_DIR"] = str(cwd / "user")  # not the developer's own rules
    env["JUPYTER_PLAN_ADMIN_DIR"] = str(cwd / "admin")
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_set_up_and_test_are_exactly_two_commands() -> None:
    section = README.split("## Set up and test", 1)[1]
    first = BLOCK.search(section)
    assert first is not None and first.group(1) == "bash"
    assert commands(first.group(2)) == ["./scripts/setup", "./scripts/test"]
    for script in ("scripts/setup", "scripts/test"):
        assert os.access(ROOT / script, os.X_OK), script


def test_the_quickstart_command_runs_as_written(tmp_path: Path) -> None:
    [command] = [c for b in blocks("bash") for c in commands(b) if "quickstart.ipynb" in c]
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    done = shell(command, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "build" / "quickstart.ipynb").is_file()
    assert (tmp_path / "build" / "quickstart.html").is_file()
    assert "2 built cells" in done.stdout


def test_the_policy_commands_run_as_written_on_the_readmes_policies(tmp_path: Path) -> None:
    policies = tmp_path / ".jupyter_plan" / "policies"
    policies.mkdir(parents=True)
    for i, toml in enumerate(blocks("toml")):
        (policies / f"readme-{i}.toml").write_text(toml, encoding="utf-8")
    [block] = [b for b in blocks("bash") if "jupyter-plan policy" in b]
    outputs = []
    for command in commands(block):
        done = shell(command, tmp_path)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        outputs.append(done.stdout)
    # What the README says they print.
    assert outputs[1].startswith("deny: run_shell_command in default mode")
    assert outputs[2].startswith("allow: run_shell_command in plan mode")
