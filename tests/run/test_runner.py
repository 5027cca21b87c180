"""`jupyter-plan run`: cells a build inserts into the file are merged in, errors exit non-zero,
and the source notebook is left as it was."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from jupyter_plan.cli import main
from jupyter_plan.run.runner import merge

INSERT = """\
import os
import nbformat
from jupyter_plan.bridge.file import FileBridge
from jupyter_plan.models import NewCell

# What %build does headless: insert a cell through the file, run it here, write its outputs.
bridge = FileBridge(os.environ["JPY_SESSION_NAME"])
(new_id,) = await bridge.insert_cells([NewCell(source="built = marker * 2\\nbuilt")], after="b")
built = marker * 2
nb = nbformat.read(bridge.path, as_version=4)
cell = next(c for c in nb.cells if c.id == new_id)
cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "42"}, execution_count=3)]
nbformat.write(nb, bridge.path)
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


def test_merge_keeps_outputs_adds_built_cells_and_takes_edits() -> None:
    memory = nbformat.v4.new_notebook()
    disk = nbformat.v4.new_notebook()
    for nb in (memory, disk):
        for cell_id in ("a", "b", "c"):
            cell = nbformat.v4.new_code_cell(f"{cell_id} = 1")
            cell["id"] = cell_id
            nb.cells.append(cell)
    memory.cells[0].outputs = [nbformat.v4.new_output("stream", text="ran a")]
    built = nbformat.v4.new_code_cell("x = 2", metadata={"jupyter_plan": {"step_id": "S1"}})
    built["id"] = "new"
    built.outputs = [nbformat.v4.new_output("stream", text="ran by the build")]
    disk.cells.insert(2, built)
    disk.cells[1].source = "b = 2"  # edited by the build
    done = {"a", "b"}

    assert merge(memory, disk, done) == ["new"]
    assert [c["id"] for c in memory.cells] == ["a", "b", "new", "c"]
    assert memory.cells[0].outputs[0]["text"] == "ran a"  # this run's output, kept
    assert memory.cells[1].source == "b = 2"
    assert memory.cells[2].outputs[0]["text"] == "ran by the build"
    assert done == {"a", "b", "new"}  # the built cell is not run again; c is


def test_cells_a_build_inserts_are_merged_and_the_source_is_untouched(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "nb.ipynb"
    original = notebook(source, {"a": "marker = 21", "b": INSERT, "c": "after = built + 1\nafter"})
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
        "built = marker * 2",
        "after = built + 1",
    ]
    built, after = executed.cells[2], executed.cells[3]
    assert built.outputs[0]["data"]["text/plain"] == "42"  # written by the bridge's run
    assert after.outputs[0]["data"]["text/plain"] == "43"  # ran after it, in the same kernel
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
