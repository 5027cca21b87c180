"""`jupyter-plan run`: a build's cells (sent as the %build cell's output) become cells of
the executed notebook and are not run again; errors exit non-zero; the source is never
written."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from jupyter_plan.bridge.detached import CELLS_MIME
from jupyter_plan.cli import main
from jupyter_plan.run.expand import execute_expanding, expand_built_cells, expand_notebook

# What a headless %build does: edit the kernel's copy of the runner's notebook, run the new
# cell here, and send the change as this cell's output.
BUILD = """\
import os
from IPython.display import display
from jupyter_plan.bridge.detached import DetachedBridge, built_cells_bundle
from jupyter_plan.bridge.execute import ShellExecutor
from jupyter_plan.models import NewCell

bridge = DetachedBridge(os.environ["JUPYTER_PLAN_NOTEBOOK"], ShellExecutor(get_ipython()))
tag = {"jupyter_plan": {"plan_id": "p", "revision": 1, "step_id": "S1"}}
(new_id,) = await bridge.insert_cells([NewCell(source="built = marker * 2\\nbuilt", metadata=tag)])
await bridge.run_cells([new_id])
display(built_cells_bundle(bridge.changes()), raw=True)
"""


def notebook(path: Path, sources: dict[str, str]) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for cell_id, source in sources.items():
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = cell_id
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path.read_bytes()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("JUPYTER_PLAN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))


def _code(cell_id: str, source: str, **extra: object) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, **extra)
    cell["id"] = cell_id
    return cell


def _changes() -> dict[str, object]:
    built = _code("new", "x = 2", metadata={"jupyter_plan": {"step_id": "S1"}})
    built.outputs = [nbformat.v4.new_output("stream", text="ran by the build")]
    edited = dict(_code("a", "a = 2"))
    return {"format": 1, "inserted": [{"after": "b", "cell": dict(built)}], "edited": [edited],
            "deleted": ["c"]}  # fmt: skip


def test_built_cells_output_becomes_cells_after_its_anchor() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("a", "a = 1"), _code("build", "%build"), _code("b", "b"), _code("c", "c")]
    bundle = nbformat.v4.new_output("display_data", {CELLS_MIME: _changes(), "text/plain": "x"})
    summary = nbformat.v4.new_output("display_data", {"text/plain": "Built 1 of 1"})
    nb.cells[1].outputs = [summary, bundle]

    inserted = expand_built_cells(nb, 1)

    assert [c["id"] for c in inserted] == ["new"]
    assert [c["id"] for c in nb.cells] == ["a", "build", "b", "new"]  # c deleted
    assert nb.cells[0].source == "a = 2"  # edited
    assert nb.cells[1].outputs == [summary]  # the data went into cells
    assert nb.cells[3].outputs[0]["text"] == "ran by the build"
    assert expand_built_cells(nb, 1) == []  # nothing left to expand


def test_expanding_runs_each_cell_once_and_not_the_built_ones() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("build", "%build"), _code("b", "b"), _code("c", "c")]
    ran: list[str] = []

    def execute(cell: nbformat.NotebookNode, index: int) -> None:
        ran.append(cell["id"])
        if cell["id"] == "build":
            data = {CELLS_MIME: _changes()}
            cell.outputs = [nbformat.v4.new_output("display_data", data)]

    added = execute_expanding(nb, execute)
    assert ran == ["build", "b"]  # "new" came from the build; "c" was deleted by it
    assert [c["id"] for c in added] == ["new"]
    assert expand_notebook(nb) == []


def test_a_headless_build_gives_cells_and_the_source_is_untouched(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "nb.ipynb"
    original = notebook(source, {"a": "marker = 21", "b": BUILD, "c": "after = built + 1\nafter"})
    output = tmp_path / "out" / "nb.ipynb"

    assert main(["run", str(source), "--output", str(output), "--html"]) == 0

    printed = capsys.readouterr().out
    assert f"executed notebook (1 built cells): {output}" in printed
    assert f"HTML: {output.with_suffix('.html')}" in printed
    assert source.read_bytes() == original
    executed = nbformat.read(output, as_version=4)
    assert [c.source.split("\n")[0] for c in executed.cells] == [
        "marker = 21",
        "import os",
        "after = built + 1",
        "built = marker * 2",  # at the end, where the build put it
    ]
    built, after = executed.cells[3], executed.cells[2]
    assert built.metadata["jupyter_plan"]["step_id"] == "S1"
    assert built.outputs[0]["data"]["text/plain"] == "42"  # its run in the kernel
    assert after.outputs[0]["data"]["text/plain"] == "43"  # ran after, in the same kernel
    assert CELLS_MIME not in str(executed.cells[1].outputs)
    assert "<html" in output.with_suffix(".html").read_text()


def test_a_cell_error_exits_non_zero_with_the_error(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "nb.ipynb"
    notebook(source, {"ok": "x = 1", "bad": "1 / 0", "never": "y = 2"})
    output = tmp_path / "nb.out.ipynb"

    assert main(["run", str(source), "--output", str(output)]) == 1

    err = capsys.readouterr().err
    assert "cell 2 (id bad) failed" in err and "ZeroDivisionError" in err
    executed = nbformat.read(output, as_version=4)
    assert executed.cells[2].outputs == []  # the run stopped at the error


def test_a_missing_notebook_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["run", str(tmp_path / "nope.ipynb")]) == 2
