"""The replay matrix, headless half: the quickstart (recorded headless) and the notebook
recorded live in JupyterLab, each under every headless runner, offline with no key. Every
cell of the matrix leaves the plan files byte for byte as recorded and gives the built cells
the recording says (ids, sources, ``metadata.jupyter_plan``). The JupyterLab half is
``tests/ui/test_replay_matrix.py``. Each command here is the one the README's table gives."""

from __future__ import annotations

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

BIN = Path(sys.executable).parent
NBCLIENT = """\
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, resources={"metadata": {"path": "."}}).execute()
nbformat.write(nb, sys.argv[2])
"""
# runner -> (command for notebook NB writing OUT, keeps built cells as cells)
RUNNERS: dict[str, tuple[list[str], bool]] = {
    "nbconvert": (["jupyter", "nbconvert", "--to", "notebook", "--execute", "NB",
                   "--output-dir", "OUTDIR", "--output", "OUTNAME"], False),
    "nbconvert-ExecutePlan": (["jupyter", "nbconvert", "--to", "notebook",
                               "--NotebookExporter.preprocessors=jupyter_plan.run.nbconvert.ExecutePlan",
                               "NB", "--output-dir", "OUTDIR", "--output", "OUTNAME"], True),
    "jupyter-execute": (["jupyter", "execute", "NB", "--output=OUTNAME"], False),
    "papermill": (["papermill", "NB", "OUT", "-p", "region", "all"], False),
    "papermill-engine": (["papermill", "--engine", "jupyter_plan", "NB", "OUT",
                          "-p", "region", "all"], True),
    "nbclient": (["PYTHON", "-c", NBCLIENT, "NB", "OUT"], False),
    "jupyter-plan-run": (["jupyter-plan", "run", "NB", "--output", "OUT"], True),
}  # fmt: skip
NOTEBOOKS = {QUICKSTART: ("", "plan"), "lab_revenue.ipynb": ("lab", "lab-plan")}


def _command(runner: str, notebook: str, out: Path) -> list[str]:
    words = {
        "NB": notebook,
        "OUT": str(out),
        "OUTDIR": str(out.parent),
        "OUTNAME": out.stem,
        "PYTHON": sys.executable,
    }
    argv = [words.get(w, w) for w in RUNNERS[runner][0]]
    argv = [a.replace("=OUTNAME", f"={out.stem}") for a in argv]
    return [str(BIN / argv[0]) if (BIN / argv[0]).exists() else argv[0], *argv[1:]]


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
    out = folder / "out" / f"{runner}.ipynb" if runner != "jupyter-execute" else folder / "je.ipynb"
    out.parent.mkdir(exist_ok=True)

    proc = subprocess.run(
        _command(runner, notebook, out),
        cwd=folder,
        env=offline_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (folder / notebook).read_bytes() == source  # the runner's notebook is never written
    assert plan_files(folder) == recorded  # the plan files, byte for byte
    assert built_cells(out) == expected  # ids, sources, metadata.jupyter_plan
    executed = nbformat.read(out, as_version=4)
    as_cells = any("jupyter_plan" in c.metadata for c in executed.cells)
    assert as_cells == RUNNERS[runner][1]  # else kept as the %build cell's output
    assert (CELLS_MIME in str([c.outputs for c in executed.cells if "outputs" in c])) != as_cells
