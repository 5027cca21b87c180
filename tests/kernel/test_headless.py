"""`jupyter nbconvert --execute`: plan and build to completion with --approve; without it,
a clear stop and an untouched notebook. Model settings come from the environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from jupyter_plan.testing.fake_server import FakeModelServer, tool_call

from .conftest import Script, write_notebook
from .test_live import DATA, PLAN, build_turns


def nbconvert(root: Path, name: str) -> subprocess.CompletedProcess[str]:
    jupyter = Path(sys.executable).parent / "jupyter"
    return subprocess.run(
        [str(jupyter), "nbconvert", "--to", "notebook", "--execute", name, "--output", "out.ipynb"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def plan_cells(flags: str) -> list[str]:
    return [
        "%load_ext jupyter_plan",
        DATA,
        f"%%plan --id sales --notebook analysis.ipynb {flags}\nSummarise revenue by region",
        "%build --notebook analysis.ipynb",
    ]


def test_headless_approve_runs_plan_and_build(
    project: Path, script: Script, server: FakeModelServer
) -> None:
    notebook = project / "analysis.ipynb"
    write_notebook(notebook, plan_cells("--approve auto_edit"))
    script += [
        tool_call("write_file", {"file_path": "sales.md", "content": PLAN}),
        tool_call("exit_plan_mode", {"plan_filename": "sales.md"}),
        *build_turns(),
    ]
    proc = nbconvert(project, "analysis.ipynb")
    assert proc.returncode == 0, proc.stderr[-3000:]

    executed = nbformat.read(project / "out.ipynb", as_version=4)
    plan_output = json.dumps(executed.cells[2].outputs)
    # The plan's output follows its build (N/M steps): the plan shows built.
    assert "application/vnd.jupyter-plan+json" in plan_output and '"built"' in plan_output
    assert "1 of 1 steps done" in json.dumps(executed.cells[3].outputs)

    built = nbformat.read(notebook, as_version=4)
    tagged = [c for c in built.cells if "jupyter_plan" in c.metadata]
    assert [c.metadata["jupyter_plan"]["step_id"] for c in tagged] == ["S1"]
    assert "15.5" in json.dumps(tagged[0].outputs)
    meta = yaml.safe_load((project / ".jupyter_plan/plans/sales.md").read_text().split("---")[1])
    assert meta["status"] == "built"


def test_headless_without_approve_stops_and_changes_nothing(
    project: Path, script: Script, server: FakeModelServer
) -> None:
    notebook = project / "analysis.ipynb"
    original = write_notebook(notebook, plan_cells(""))
    script += [
        tool_call("write_file", {"file_path": "sales.md", "content": PLAN}),
        tool_call("exit_plan_mode", {"plan_filename": "sales.md"}),
    ]
    proc = nbconvert(project, "analysis.ipynb")
    assert proc.returncode != 0
    assert "no person to approve it" in proc.stderr
    assert "--approve auto_edit|default" in proc.stderr
    assert notebook.read_bytes() == original
    assert (
        not (project / "out.ipynb").exists()
        or 'jupyter_plan"' not in (project / "out.ipynb").read_text()
    )
