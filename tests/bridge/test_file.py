"""FileBridge: edits keep the rest of the file, writes are atomic, checkpoints are bytes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.execute import ShellExecutor
from jupyter_plan.bridge.file import FileBridge
from jupyter_plan.models import NewCell

from .conftest import cells, write_notebook

META = {"language_info": {"name": "python"}, "custom": {"keep": [1, 2, {"deep": True}]}}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "nb.ipynb"
    write_notebook(p, cells(), **META)
    return p


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


async def test_an_edit_keeps_everything_else(path: Path) -> None:
    before = load(path)
    await FileBridge(path).replace_cell("a", "x = 21")
    after = load(path)
    assert after["cells"][0]["source"] == ["x = 21"]
    after["cells"][0]["source"] = before["cells"][0]["source"]
    assert after == before  # metadata, other cells, outputs, nbformat and minor version
    nbformat.validate(nbformat.read(path, as_version=4))


async def test_untouched_bytes_stay_as_nbformat_wrote_them(path: Path) -> None:
    before = path.read_bytes()
    bridge = FileBridge(path)
    await bridge.set_cell_metadata("a", "k", "v")
    await bridge.set_cell_metadata("a", "k", None)
    text = path.read_text(encoding="utf-8")
    assert text == before.decode().replace(
        '"metadata": {},', '"metadata": {\n    "k": null\n   },', 1
    )


async def test_new_cells_are_nbformat_cells(path: Path) -> None:
    (code, md, raw) = await FileBridge(path).insert_cells(
        [
            NewCell(source="a\nb"),
            NewCell(cell_type="markdown", source="m"),
            NewCell(cell_type="raw", source="r"),
        ]
    )
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    by_id = {c.id: c for c in nb.cells}
    assert by_id[code].cell_type == "code" and by_id[code].outputs == []
    assert by_id[code].execution_count is None
    assert (by_id[md].cell_type, by_id[raw].cell_type) == ("markdown", "raw")


async def test_run_cells_writes_outputs_into_the_file(path: Path, executor: ShellExecutor) -> None:
    bridge = FileBridge(path, executor)
    (shown,) = await bridge.insert_cells(
        [
            NewCell(
                source="from IPython.display import HTML, display\ndisplay(HTML('<p>t</p>'))\nx * 3"
            )
        ]
    )
    runs = await bridge.run_cells(["a", shown])
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cell = next(c for c in nb.cells if c.id == shown)
    assert [o.output_type for o in cell.outputs] == ["display_data", "execute_result"]
    assert cell.outputs[1].data["text/plain"] == "60"
    assert cell.execution_count == runs[1].execution_count


async def test_an_old_notebook_is_upgraded_at_its_first_edit(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    old = {
        "nbformat": 4,
        "nbformat_minor": 2,
        "metadata": {"x": 1},
        "cells": [
            {
                "cell_type": "code",
                "source": "1",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            },
            {"cell_type": "markdown", "source": "two", "metadata": {}},
        ],
    }
    path.write_text(json.dumps(old), encoding="utf-8")
    bridge = FileBridge(path)
    first = await bridge.get_notebook()
    assert [c.id for c in first.cells] == ["cell-0", "cell-1"]
    assert [c.id for c in (await bridge.get_notebook()).cells] == ["cell-0", "cell-1"]  # stable
    await bridge.insert_cells([NewCell(source="new")], before="cell-0")
    stored = load(path)
    assert stored["nbformat_minor"] == 5 and stored["metadata"] == {"x": 1}
    assert [c["id"] for c in stored["cells"]][1:] == ["cell-0", "cell-1"]  # the ids it reported
    await bridge.replace_cell("cell-1", "still two")
    assert load(path)["cells"][2]["source"] == ["still two"]


async def test_restore_is_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "odd.ipynb"
    odd = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]))
    raw = json.dumps(json.loads(odd), separators=(",", ":")).encode()  # not how nbformat writes
    path.write_bytes(raw)
    bridge = FileBridge(path)
    token = await bridge.checkpoint()
    await bridge.insert_cells([NewCell(source="2")])
    assert path.read_bytes() != raw
    await bridge.restore_checkpoint(token)
    assert path.read_bytes() == raw


async def test_checkpoints_on_disk_survive_a_new_bridge(path: Path, tmp_path: Path) -> None:
    start = path.read_bytes()
    keep = tmp_path / "plans" / "p1" / "checkpoints"
    token = await FileBridge(path, checkpoint_dir=keep).checkpoint()
    assert (keep / f"{token}.ipynb").read_bytes() == start
    await FileBridge(path).delete_cells(["a"])
    await FileBridge(path, checkpoint_dir=keep).restore_checkpoint(token)  # a restarted kernel
    assert path.read_bytes() == start
    with pytest.raises(BridgeError, match="no checkpoint"):
        await FileBridge(path, checkpoint_dir=keep).restore_checkpoint("../../nb")


async def test_every_write_is_atomic(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = path.read_bytes()

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    bridge = FileBridge(path)
    token = await bridge.checkpoint()
    with pytest.raises(BridgeError, match=r"cannot write notebook .*disk full"):
        await bridge.insert_cells([NewCell(source="y = 1")])
    with pytest.raises(BridgeError, match="cannot restore"):
        await bridge.restore_checkpoint(token)
    assert path.read_bytes() == start
    assert sorted(p.name for p in path.parent.iterdir()) == ["nb.ipynb"]  # no temp file left


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read notebook"),
        (b"{not json", "cannot read notebook"),
        (b'{"cells": []}', "cannot read notebook"),
    ],
    ids=["missing", "not-json", "no-version"],
)
async def test_unreadable_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "bad.ipynb"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BridgeError, match=message):
        await FileBridge(path).get_notebook()
    with pytest.raises(BridgeError, match=message):
        await FileBridge(path).insert_cells([NewCell(source="x")])
