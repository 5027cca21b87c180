"""The notebook as this kernel ran it: another bridge's cells, this kernel's outputs.

:class:`AsRun` wraps the bridge a magic edits through (JupyterLab's comm, the file, a
headless copy). Its snapshots keep that bridge's cells — ids, sources, metadata, in order —
and take each code cell's outputs and execution count from the kernel's
:class:`~jupyter_plan.bridge.history.History`; ``active_cell_id`` is the cell whose
execution started the run. So two runners that ran the same cells give the same snapshot,
whatever their copy of the notebook holds, and the ``%%plan`` cell is the one that ran,
never the one selected in the browser. Edits and runs pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from jupyter_plan.bridge.base import NotebookBridge
from jupyter_plan.bridge.history import History, RunningCell, outputs_of
from jupyter_plan.models import Cell, NotebookSnapshot


def find_running(cells: list[Cell], running: RunningCell) -> str | None:
    """The id of the cell that is running: the execute request's cell id (JupyterLab,
    Notebook 7), else the one code cell whose source is the executed code (headless runners
    send no id). None when no cell, or more than one, has that source: never a guess."""
    ids = {c.id for c in cells}
    if running.cell_id is not None and running.cell_id in ids:
        return running.cell_id
    if running.code is None:
        return None
    same = [c.id for c in cells if c.cell_type == "code" and c.source == running.code]
    if len(same) != 1:
        stripped = running.code.strip()
        same = [c.id for c in cells if c.cell_type == "code" and c.source.strip() == stripped]
    return same[0] if len(same) == 1 else None


class AsRun:
    """``inner``'s notebook with this kernel's outputs (see the module doc)."""

    def __init__(
        self, inner: NotebookBridge, history: History | None, running: RunningCell
    ) -> None:
        self.inner, self.history, self.running = inner, history, running

    def __getattr__(self, name: str) -> Any:  # insert_cells, run_cells, …: the real bridge
        return getattr(self.inner, name)

    async def get_notebook(self) -> NotebookSnapshot:
        snapshot: NotebookSnapshot = await self.inner.get_notebook()
        cells = [self._as_ran(c) for c in snapshot.cells]
        return snapshot.model_copy(
            update={"cells": cells, "active_cell_id": find_running(cells, self.running)}
        )

    def _as_ran(self, cell: Cell) -> Cell:
        if cell.cell_type != "code" or self.history is None:  # no kernel: outputs as held
            return cell
        ran = self.history.latest(cell.id, cell.source)
        if ran is None:
            return cell.model_copy(update={"outputs": [], "execution_count": None})
        return cell.model_copy(
            update={"outputs": outputs_of(ran), "execution_count": ran.execution_count}
        )
