"""The replay matrix, headless half: the quickstart (recorded headless) and the notebook
recorded live in JupyterLab, each under every headless runner of the README's runners table,
run as the table writes it, offline with no key. Every cell of the matrix leaves the plan
files byte for byte as recorded and gives the built cells the recording says (ids, sources,
``metadata.jupyter_plan``). The JupyterLab half is ``tests/ui/test_replay_matrix.py``."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jupyter_plan.bridge.detached import CELLS_MIME
from jupyter_plan.testing.replays import (
    QUICKSTART,
    built_cells,
    copy_notebooks,
    offline_env,
    plan_files,
    plan_of_cell,
    recorded_built_cells,
)

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("### Runners", 1)[1]
ROW = re.compile(r"^\| ([^|]+?) \| `([^`]+)` \| ([^|]+) \|$", re.MULTILINE)
PYTHON = re.search(r"^```python\n(.*?)^```", SECTION, re.MULTILINE | re.DOTALL)


def _runners() -> dict[str, tuple[str, bool]]:
    """The README's runners table: runner -> (command, keeps built cells as cells)."""
    found = {
        name.strip("` "): (command, keeps.strip().startswith("cells"))
        for name, command, keeps in ROW.findall(SECTION.split("\n## ", 1)[0])
    }
    assert PYTHON is not None, "the README's nbclient example is missing"
    found["nbclient"] = ("python -c " + shlex.quote(PYTHON.group(1)), True)
    plain = PYTHON.group(1).replace("expand_notebook(nb)", "pass")
    found["nbclient, no expand"] = ("python -c " + shlex.quote(plain), False)
    return found


RUNNERS = _runners()
NOTEBOOKS = {
    QUICKSTART: ("", "plan"),
    "lab_revenue.ipynb": ("lab", "lab-plan"),
    "pages.ipynb": ("pages", "pages-plan"),  # a page, a hand edit and comments (issue 16)
}


def test_the_readme_names_every_runner() -> None:
    assert set(RUNNERS) >= {
        "jupyter-plan run", "nbconvert", "nbconvert, keeping cells", "jupyter execute",
        "papermill", "papermill, keeping cells", "nbclient",
    }  # fmt: skip


def _shell(command: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = offline_env(home)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("runner", sorted(RUNNERS))
@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_every_runner_replays_the_recorded_plan_and_build(
    notebook: str, runner: str, tmp_path: Path
) -> None:
    root = copy_notebooks(tmp_path / "notebooks")
    sub, plan_cell = NOTEBOOKS[notebook]
    folder = root / sub if sub else root
    source = (folder / notebook).read_bytes()
    recorded = plan_files(folder)
    plan_id = "quickstart-sales" if notebook == QUICKSTART else plan_of_cell(folder, plan_cell)
    expected = recorded_built_cells(folder, plan_id)
    assert [meta["plan_id"] for _, _, meta in expected] and expected == sorted(
        expected, key=lambda c: c[2]["step_id"]
    )
    (folder / "out").mkdir()
    command, keeps = RUNNERS[runner]
    stem = Path(notebook).stem
    command = command.replace("quickstart.ipynb", notebook).replace("quickstart", stem)
    out = folder / "out" / notebook

    proc = _shell(command, folder, tmp_path / "home")

    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (folder / notebook).read_bytes() == source  # the runner's notebook is never written
    assert plan_files(folder) == recorded  # the plan files, byte for byte
    assert built_cells(out) == expected  # ids, sources, metadata.jupyter_plan
    executed = nbformat.read(out, as_version=4)
    as_cells = any("jupyter_plan" in c.metadata for c in executed.cells)
    assert as_cells == keeps  # else kept as the %build cell's output
    assert (CELLS_MIME in str([c.outputs for c in executed.cells if "outputs" in c])) != as_cells
