"""The runner's copy of the notebook (``bridge/detached.py``) reads outputs as nbformat does."""

from __future__ import annotations

from pathlib import Path

import nbformat

from jupyter_plan.bridge.detached import read_snapshot


def test_output_lines_are_joined_as_nbformat_reads_them(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(rows)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\nb\nc\n"),
        nbformat.v4.new_output(
            "display_data", data={"text/plain": "x\ny", "application/json": {"k": [1, 2]}}
        ),
    ]
    nb.cells = [cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert '"a\\n",' in path.read_text()  # the file holds the text as lines

    outputs = read_snapshot(path).cells[0].outputs
    assert outputs[0]["text"] == "a\nb\nc\n"
    assert outputs[1]["data"] == {"text/plain": "x\ny", "application/json": {"k": [1, 2]}}
    assert outputs == [dict(o) for o in nbformat.read(path, as_version=4).cells[0].outputs]
