"""The notebook as an agent sees it: what its prompts and tool results are made of.

Every request to the model is recorded and a replay must see the same requests, so what
the agent sees must not depend on the machine or on when the notebook is re-run:

* the notebook is named by its path relative to the project root, never an absolute path;
* the planning agent sees the notebook *as it was when the plan was written*: the cells
  above the plan's own ``%%plan`` cell as they are, and that cell and the cells below it
  without outputs or execution counts (they are from a run before, or not run yet), and
  without built cells below it (a plan's cells follow its ``%%plan`` cell; when it was
  written they did not exist yet). Re-running a saved plan notebook top to bottom then
  shows the planner what it saw when the plan was recorded, although the file now holds
  the plan's output, its ``%build`` output and its built cells.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.base import NotebookBridge
from jupyter_plan.models import Cell, NotebookSnapshot

_PLAN_MAGIC = re.compile(r"\A\s*%%plan\b[^\n]*\n?")
_PLAN_LINE = re.compile(r"\A\s*%plan\s+")


class AgentView:
    """``inner`` as the agent sees it (see the module doc); edits and runs pass through.

    ``task``: a planning run's task, to find its ``%%plan`` cell. Without one only the path
    is relabelled (a build sees the notebook as it is).
    """

    def __init__(self, inner: NotebookBridge, root: Path, *, task: str | None = None) -> None:
        self._inner, self._root, self._task = inner, root, task

    def __getattr__(self, name: str) -> Any:  # insert_cells, run_cells, ...: the real bridge
        return getattr(self._inner, name)

    async def get_notebook(self) -> NotebookSnapshot:
        snapshot: NotebookSnapshot = await self._inner.get_notebook()
        cells = snapshot.cells if self._task is None else self._as_planned(snapshot.cells)
        return snapshot.model_copy(
            update={"path": notebook_label(snapshot.path, self._root), "cells": cells}
        )

    def _as_planned(self, cells: list[Cell]) -> list[Cell]:
        at = plan_cell_index(cells, self._task or "")
        if at is None:  # not run from a cell (a test, a script): the notebook as it is
            return cells
        seen = list(cells[:at])
        for cell in cells[at:]:
            if isinstance(cell.metadata.get("jupyter_plan"), dict):
                continue  # a built cell: it did not exist when the plan was written
            seen.append(cell.model_copy(update={"outputs": [], "execution_count": None}))
        return seen


def plan_cell_index(cells: list[Cell], task: str) -> int | None:
    """The index of the cell that runs ``task`` (``%%plan …`` + task, or ``%plan task``)."""
    wanted = task.strip()
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        source = cell.source
        body = _PLAN_MAGIC.sub("", source, count=1) if _PLAN_MAGIC.match(source) else None
        if body is None and _PLAN_LINE.match(source):
            body = _PLAN_LINE.sub("", source, count=1)
        if body is not None and body.strip() == wanted:
            return i
    return None


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
