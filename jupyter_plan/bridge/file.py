"""A notebook read from its ``.ipynb`` file with nbformat (headless runs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.models import Cell, NotebookSnapshot


def snapshot_from_nbformat(nb: Any, path: str | None = None) -> NotebookSnapshot:
    """Cells of an nbformat notebook; ids are required (nbformat >= 4.5 normalises them)."""
    cells = []
    for i, c in enumerate(nb.cells):
        cell_id = c.get("id") or f"cell-{i}"
        cells.append(
            Cell(
                id=cell_id,
                cell_type=c.cell_type,
                source=c.source if isinstance(c.source, str) else "".join(c.source),
                outputs=[dict(o) for o in c.get("outputs", [])],
                execution_count=c.get("execution_count"),
                metadata=dict(c.get("metadata", {})),
            )
        )
    return NotebookSnapshot(path=path, cells=cells)


class FileBridge:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    async def get_notebook(self) -> NotebookSnapshot:
        import nbformat

        try:
            nb = nbformat.read(self.path, as_version=4)
        except (OSError, ValueError) as exc:
            raise BridgeError(f"cannot read notebook {self.path}: {exc}") from None
        return snapshot_from_nbformat(nb, str(self.path))
