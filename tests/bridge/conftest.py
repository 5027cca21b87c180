"""One notebook behind every kind of bridge, so one suite checks them all the same way.

Each :class:`Harness` exposes the bridge and, independently of it, the notebook as stored
(the memory snapshot, the ``.ipynb`` file, the simulated JupyterLab panel's cells).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.bridge.base import EditableBridge
from jupyter_plan.bridge.execute import ShellExecutor
from jupyter_plan.bridge.file import FileBridge, snapshot_from_nbformat
from jupyter_plan.bridge.locate import CommRegistry
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot
from jupyter_plan.testing.frontend import Connection, SimulatedFrontend

KINDS = ["memory", "file", "comm", "comm-threaded"]


def cells() -> list[Cell]:
    """a: code, b: markdown (with metadata), c: code with an old output."""
    return [
        Cell(id="a", cell_type="code", source="x = 20"),
        Cell(id="b", cell_type="markdown", source="# Notes", metadata={"tags": ["keep"]}),
        Cell(
            id="c",
            cell_type="code",
            source="print(x + 1)",
            execution_count=7,
            outputs=[{"output_type": "stream", "name": "stdout", "text": "old\n"}],
        ),
    ]


def write_notebook(path: Path, cell_list: list[Cell], **metadata: Any) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}, **metadata}
    )
    for cell in cell_list:
        make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
        node = make[cell.cell_type](source=cell.source, metadata=cell.metadata)
        node["id"] = cell.id
        if cell.cell_type == "code":
            node["outputs"] = [nbformat.from_dict(o) for o in cell.outputs]
            node["execution_count"] = cell.execution_count
        nb.cells.append(node)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


@pytest.fixture
def executor(shell: InteractiveShell) -> ShellExecutor:
    return ShellExecutor(shell)


@dataclass
class Harness:
    kind: str
    bridge: EditableBridge
    stored: Callable[[], NotebookSnapshot]  # the notebook as kept, read without the bridge
    raw: Callable[[], Any]  # something to compare for "nothing changed"
    frontend: SimulatedFrontend | None = None
    connection: Connection | None = None


async def make_harness(kind: str, tmp_path: Path, executor: ShellExecutor | None) -> Harness:
    if kind == "memory":
        memory = MemoryBridge(NotebookSnapshot(cells=cells()), executor)
        return Harness(kind, memory, lambda: memory.snapshot, lambda: memory.snapshot.model_dump())
    if kind == "file":
        path = tmp_path / "analysis.ipynb"
        write_notebook(path, cells())
        return Harness(
            kind,
            FileBridge(path, executor),
            lambda: snapshot_from_nbformat(nbformat.read(path, as_version=4)),
            path.read_bytes,
        )
    frontend = SimulatedFrontend(cells(), path="work/analysis.ipynb", executor=executor)
    connection = Connection(frontend, CommRegistry(cwd=tmp_path), threaded=kind == "comm-threaded")
    bridge = connection.open()
    assert bridge is not None
    return Harness(
        kind,
        bridge,
        lambda: NotebookSnapshot(cells=frontend.cells),
        lambda: [c.model_dump() for c in frontend.cells],
        frontend,
        connection,
    )


@pytest.fixture(params=KINDS)
async def harness(
    request: pytest.FixtureRequest, tmp_path: Path, executor: ShellExecutor
) -> AsyncIterator[Harness]:
    made = await make_harness(request.param, tmp_path, executor)
    yield made
    if made.connection is not None:
        made.connection.shutdown()
