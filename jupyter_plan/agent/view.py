"""The notebook as an agent sees it: what its prompts and tool results are made of.

Every request to the model is recorded and a replay must see the same requests, so what
the agent sees depends only on the notebook as planned, never on the runner (JupyterLab,
nbconvert, papermill, nbclient, ``jupyter-plan run``), on timing, on which cell is
selected, or on whether outputs were saved:

* the notebook is named by its path relative to the project root, never an absolute path;
* outputs and execution counts are the ones this kernel produced (``bridge/history.py``
  supplies them, via ``bridge/as_run.py``), and the counts are renumbered 1, 2, … in the
  order they ran, so a Run All after earlier runs reads like a fresh Restart & Run All;
* jupyter-plan's own cells (``%load_ext jupyter_plan``, ``%%plan``, ``%plan``, ``%build``)
  show no outputs: they are its widgets and progress, which differ by frontend, and what
  they say is in the prompts anyway; empty code cells are left out (JupyterLab adds one
  below the last cell on Shift+Enter);
* the planning agent sees the notebook *as it was when the plan was written*: the cells
  above the plan's own ``%%plan`` cell as they are, and that cell and the cells below it
  without outputs or execution counts (they are from a run before, or not run yet), and
  without built cells below it (a plan's cells follow its ``%%plan`` cell; when it was
  written they did not exist yet). The ``%%plan`` cell is the snapshot's
  ``active_cell_id``: the kernel takes it from the execute request, never from the cell
  selected in the browser. A build sees no active cell.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.base import NotebookBridge
from jupyter_plan.models import Cell, NotebookSnapshot

_OWN_CELL = re.compile(r"\A\s*(%%plan\b|%plan\b|%build\b|%load_ext\s+jupyter_plan\s*\Z)")


class AgentView:
    """``inner`` as the agent sees it (see the module doc); edits and runs pass through.

    ``planning``: a plan run's view (the notebook as planned, around its ``%%plan`` cell);
    otherwise a build's (the notebook as it is, the same normalisations).
    """

    def __init__(self, inner: NotebookBridge, root: Path, *, planning: bool = False) -> None:
        self._inner, self._root, self._planning = inner, root, planning

    def __getattr__(self, name: str) -> Any:  # insert_cells, run_cells, ...: the real bridge
        return getattr(self._inner, name)

    async def get_notebook(self) -> NotebookSnapshot:
        snapshot: NotebookSnapshot = await self._inner.get_notebook()
        active = snapshot.active_cell_id if self._planning else None
        cells = _as_planned(snapshot.cells, active) if active else list(snapshot.cells)
        cells = _renumbered([_plain(c) for c in cells if not _empty(c)])
        return snapshot.model_copy(
            update={
                "path": notebook_label(snapshot.path, self._root),
                "cells": cells,
                "active_cell_id": active if any(c.id == active for c in cells) else None,
            }
        )


def _as_planned(cells: list[Cell], plan_cell: str) -> list[Cell]:
    """Above the plan cell as is; from it down, no outputs or counts and no built cells."""
    at = next((i for i, c in enumerate(cells) if c.id == plan_cell), None)
    if at is None:
        return list(cells)
    seen = list(cells[:at])
    for cell in cells[at:]:
        if isinstance(cell.metadata.get("jupyter_plan"), dict):
            continue  # a built cell: it did not exist when the plan was written
        seen.append(cell.model_copy(update={"outputs": [], "execution_count": None}))
    return seen


def own_cell(cell: Cell) -> bool:
    """One of jupyter-plan's own cells: its outputs are widgets and progress."""
    return cell.cell_type == "code" and bool(_OWN_CELL.match(cell.source))


def _plain(cell: Cell) -> Cell:
    return cell.model_copy(update={"outputs": []}) if own_cell(cell) and cell.outputs else cell


def _empty(cell: Cell) -> bool:
    return cell.cell_type == "code" and not cell.source.strip() and not cell.outputs


def _renumbered(cells: list[Cell]) -> list[Cell]:
    """Execution counts as 1, 2, … in the order they ran (ties keep notebook order)."""
    ran = sorted(
        (c.execution_count, i) for i, c in enumerate(cells) if c.execution_count is not None
    )
    number = {i: n for n, (_, i) in enumerate(ran, start=1)}
    if all(cells[i].execution_count == n for i, n in number.items()):
        return cells
    return [
        c.model_copy(update={"execution_count": number[i]}) if i in number else c
        for i, c in enumerate(cells)
    ]


def notebook_label(path: str | None, root: Path) -> str | None:
    """The notebook's path as the agent sees it and plans record it: relative to the project
    root (POSIX), so prompts, transcript keys and plan files are the same on every machine."""
    if not path:
        return path
    candidate = Path(path)
    absolute = candidate
    if not candidate.is_absolute():  # a server-relative path (JupyterLab): find the file here
        here = [Path.cwd() / candidate, Path.cwd() / candidate.name]
        absolute = next((p for p in here if p.is_file()), here[0])
    try:
        relative = absolute.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return candidate.as_posix() if not candidate.is_absolute() else candidate.name
    return relative.as_posix()
