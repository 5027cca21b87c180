"""A headless runner's notebook, copied into the kernel: edited there, never written.

``nbconvert --execute``, ``jupyter execute``, papermill and nbclient hold the notebook in
memory and write it themselves (``--inplace`` overwrites the file at the end); editing the
file under them would change the person's notebook and then be lost. So a build run under
one edits a copy read from the file when the magic starts, and runs the cells it adds in
this kernel. What it changed reaches the runner the one way a kernel can reach it: as an
output of the ``%build`` cell, a MIME bundle :data:`CELLS_MIME` holding the built cells
(with their outputs and ids) and a Markdown listing of their code.
``jupyter_plan.run.expand`` turns that output back into cells: ``jupyter-plan run``, the
papermill engine and the nbconvert preprocessor do it as they go.

Inserted cells get stable ids (:func:`~jupyter_plan.bridge.file.built_cell_id`), the same
the file bridge and JupyterLab give them, so a build's tool results do not depend on where
it ran.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jupyter_plan.bridge.execute import Executor
from jupyter_plan.bridge.file import built_cell_id, load_notebook, snapshot_from_nbformat
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.bridge.notebook_file import joined_output
from jupyter_plan.models import Cell, NewCell, NotebookSnapshot

CELLS_MIME = "application/vnd.jupyter-plan.cells+json"
FORMAT = 1


class DetachedBridge(MemoryBridge):
    """The notebook at ``path`` as it was when the magic started (see the module doc)."""

    def __init__(self, path: str | os.PathLike[str], executor: Executor | None = None) -> None:
        self.path = Path(path)
        super().__init__(read_snapshot(self.path), executor)
        self._original = {c.id: (c.source, copy.deepcopy(c.metadata)) for c in self.snapshot.cells}

    def _new_id(self, taken: set[str], new: NewCell) -> str:
        return built_cell_id(taken, new)  # the same id every runner gives this built cell

    def apply(self, changes: dict[str, Any]) -> None:
        """Replay an earlier build's :meth:`changes` on this copy (the runner holds those
        cells; the file does not), so this copy is the notebook the runner has."""
        by_id = {c.id: c for c in self.snapshot.cells}
        for data in changes.get("edited", []):
            if (cell := by_id.get(data["id"])) is not None:
                cell.source, cell.metadata = data["source"], copy.deepcopy(data["metadata"])
        gone = set(changes.get("deleted", []))
        self.snapshot.cells = [c for c in self.snapshot.cells if c.id not in gone]
        last: dict[str | None, str | None] = {}  # anchor -> the cell inserted after it last
        for entry in changes.get("inserted", []):
            cell = Cell.model_validate(entry["cell"])
            ids = self._ids
            if cell.id in ids:
                continue  # already in the file (a saved, executed notebook)
            anchor = last.get(entry["after"], entry["after"])
            at = ids.index(anchor) + 1 if anchor in ids else (0 if anchor is None else len(ids))
            self.snapshot.cells.insert(at, cell)
            last[entry["after"]] = cell.id
        self._original = {c.id: (c.source, copy.deepcopy(c.metadata)) for c in self.snapshot.cells}

    def changes(self) -> dict[str, Any] | None:
        """What the build changed, as the :data:`CELLS_MIME` payload (None: nothing)."""
        cells: list[dict[str, Any]] = []
        edited: list[dict[str, Any]] = []
        anchor: str | None = None
        for cell in self.snapshot.cells:
            if cell.id not in self._original:
                cells.append({"after": anchor, "cell": nbformat_cell(cell)})
                continue
            anchor = cell.id
            if (cell.source, cell.metadata) != self._original[cell.id]:
                edited.append(nbformat_cell(cell))
        now = {c.id for c in self.snapshot.cells}
        deleted = [cell_id for cell_id in self._original if cell_id not in now]
        if not (cells or edited or deleted):
            return None
        return {"format": FORMAT, "inserted": cells, "edited": edited, "deleted": deleted}


def read_snapshot(path: Path) -> NotebookSnapshot:
    """The notebook at ``path``, read as plain JSON when it is nbformat 4 with cell ids (the
    usual case): importing nbformat (jsonschema, its URI grammars) costs a second or more,
    a large share of a replay. Anything else goes through nbformat."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        raw = data["cells"] if data.get("nbformat") == 4 else None
        if raw is None or not all(isinstance(c, dict) and c.get("id") for c in raw):
            raise ValueError("not plain nbformat 4.5")
        cells = [
            Cell(
                id=c["id"],
                cell_type=c["cell_type"],
                source=_text(c.get("source", "")),
                outputs=[joined_output(o) for o in c.get("outputs", [])],
                execution_count=c.get("execution_count"),
                metadata=dict(c.get("metadata", {})),
            )
            for c in raw
        ]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, ValidationError):
        return snapshot_from_nbformat(load_notebook(path), str(path))
    return NotebookSnapshot(path=str(path), cells=cells)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "".join(value)


def nbformat_cell(cell: Cell) -> dict[str, Any]:
    """A cell as nbformat 4.5 stores it."""
    out: dict[str, Any] = {
        "id": cell.id,
        "cell_type": cell.cell_type,
        "metadata": copy.deepcopy(cell.metadata),
        "source": cell.source,
    }
    if cell.cell_type == "code":
        out["execution_count"] = cell.execution_count
        out["outputs"] = copy.deepcopy(cell.outputs)
    return out


def built_cells_bundle(changes: dict[str, Any]) -> dict[str, Any]:
    """The ``%build`` cell's output carrying ``changes``: the data, and the code to read."""
    inserted = [entry["cell"] for entry in changes.get("inserted", [])]
    lines = [
        f"**Built cells** ({len(inserted)} inserted, {len(changes.get('edited', []))} edited, "
        f"{len(changes.get('deleted', []))} deleted). They ran in this kernel; this runner "
        "keeps no cells a build inserts, so they are listed here (`jupyter-plan run`, "
        "`papermill --engine jupyter_plan` and the nbconvert preprocessor make them cells)."
    ]
    for cell in [*inserted, *changes.get("edited", [])]:
        fence = "python" if cell["cell_type"] == "code" else "markdown"
        lines += ["", f"Cell `{cell['id']}`:", f"```{fence}", cell["source"], "```"]
    text = "\n".join(lines)
    return {CELLS_MIME: changes, "text/markdown": text, "text/plain": text}
