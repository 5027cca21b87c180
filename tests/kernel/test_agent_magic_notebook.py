"""notebooks/agent/agent.ipynb replays offline (no model, no key): the agent's answer with
its investigator, the plan it entered and the build, leaving every recording byte for byte."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from jupyter_plan.testing.replays import copy_notebooks, offline_env, plan_files


def records(folder: Path) -> dict[str, bytes]:
    """The plan files and transcripts; the plan index (``.index/``, a cache) is not a record."""
    return {k: v for k, v in plan_files(folder).items() if not k.startswith(".index")}


def test_the_agent_notebook_replays_offline_byte_identically(tmp_path: Path) -> None:
    root = copy_notebooks(tmp_path / "notebooks")
    folder = root / "agent"
    shutil.rmtree(folder / ".jupyter_plan" / "plans" / ".index", ignore_errors=True)  # as cloned
    recorded = records(folder)
    assert any(name.endswith("agent.r1.json") for name in recorded)
    assert any(name.endswith("transcript.r1.json") for name in recorded)
    env = offline_env(tmp_path / "home")
    out = folder / "out.ipynb"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-plan"), "run", "agent.ipynb",
         "--output", str(out)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert records(folder) == recorded  # every transcript and plan file, byte for byte
    executed = nbformat.read(out, as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in executed.cells])
    assert "one price is missing" in shown  # the agent's answer, from the investigator
    built = [c for c in executed.cells if "jupyter_plan" in c.metadata]
    assert built and "groupby" in built[0].source
