"""A notebook held in memory: for tests, and for code that already has the cells.

Implements the whole :class:`~jupyter_plan.bridge.base.EditableBridge`; cells run through
an :class:`~jupyter_plan.bridge.execute.Executor` when one is given. The helpers for ids
and positions are shared with the file bridge so both answer the same way.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from jupyter_plan.bridge.base import BridgeError, CellNotFound
from jupyter_plan.bridge.execute import Executor
from jupyter_plan.models import Cell, CellRun, NewCell, NotebookSnapshot


def new_cell_id(taken: Collection[str]) -> str:
    """A fresh id the way nbformat makes them (8 hex digits), unique in this notebook."""
    while True:
        cell_id = uuid.uuid4().hex[:8]
        if cell_id not in taken:
            return cell_id


def new_token() -> str:
    """A checkpoint token: unguessable, and safe as a file name."""
    return secrets.token_hex(8)


def insert_index(ids: list[str], after: str | None, before: str | None) -> int:
    """Where new cells go: after ``after`` (which wins when both are given), before
    ``before``, or at the end. An unknown id raises :class:`CellNotFound`."""
    if after is not None:
        return _index(ids, after) + 1
    if before is not None:
        return _index(ids, before)
    return len(ids)


def require(ids: list[str], wanted: Iterable[str]) -> None:
    """Raise :class:`CellNotFound` for the first unknown id, before anything is changed."""
    known = set(ids)
    for cell_id in wanted:
        if cell_id not in known:
            raise CellNotFound(cell_id)


def _index(ids: list[str], cell_id: str) -> int:
    try:
        return ids.index(cell_id)
    except ValueError:
        raise CellNotFound(cell_id) from None


def no_executor(kind: str) -> BridgeError:
    return BridgeError(
        f"this {kind} bridge cannot run cells: it was made without an executor "
        "(pass executor=ShellExecutor(get_ipython()) to run cells in this kernel)"
    )


def aborted(cell_ids: Iterable[str]) -> list[CellRun]:
    """Cells not run because an earlier one failed (as a notebook aborts queued cells)."""
    return [CellRun(cell_id=cid, status="aborted") for cid in cell_ids]


class MemoryBridge:
    """``snapshot`` is the notebook itself: edits change it in place."""

    def __init__(self, snapshot: NotebookSnapshot, executor: Executor | None = None) -> None:
        self.snapshot = snapshot
        self.executor = executor
        self._checkpoints: dict[str, list[Cell]] = {}

    async def get_notebook(self) -> NotebookSnapshot:
        return self.snapshot.model_copy(deep=True)  # readers can never change the original

    # -- edits ----------------------------------------------------------------------

    @property
    def _ids(self) -> list[str]:
        return [c.id for c in self.snapshot.cells]

    def _cell(self, cell_id: str) -> Cell:
        cell = self.snapshot.cell(cell_id)
        if cell is None:
            raise CellNotFound(cell_id)
        return cell

    async def insert_cells(
        self, cells: list[NewCell], *, after: str | None = None, before: str | None = None
    ) -> list[str]:
        ids = self._ids
        at = insert_index(ids, after, before)
        taken = set(ids)
        made = []
        for new in cells:
            cell_id = self._new_id(taken, new)
            taken.add(cell_id)
            made.append(
                Cell(
                    id=cell_id,
                    cell_type=new.cell_type,
                    source=new.source,
                    metadata=copy.deepcopy(new.metadata),
                )
            )
        self.snapshot.cells[at:at] = made
        return [c.id for c in made]

    def _new_id(self, taken: set[str], new: NewCell) -> str:
        return new_cell_id(taken)

    async def replace_cell(self, cell_id: str, source: str) -> None:
        self._cell(cell_id).source = source  # outputs stay until it runs, as in JupyterLab

    async def delete_cells(self, cell_ids: list[str]) -> None:
        require(self._ids, cell_ids)
        gone = set(cell_ids)
        self.snapshot.cells = [c for c in self.snapshot.cells if c.id not in gone]

    async def set_cell_metadata(self, cell_id: str, key: str, value: Any) -> None:
        self._cell(cell_id).metadata[key] = copy.deepcopy(value)

    # -- running --------------------------------------------------------------------

    async def run_cells(self, cell_ids: list[str]) -> list[CellRun]:
        require(self._ids, cell_ids)
        if self.executor is None and any(self._cell(c).cell_type == "code" for c in cell_ids):
            raise no_executor("memory")
        runs: list[CellRun] = []
        for i, cell_id in enumerate(cell_ids):
            cell = self._cell(cell_id)
            if cell.cell_type != "code":
                runs.append(CellRun(cell_id=cell_id, status="ok"))  # rendered, not run
                continue
            assert self.executor is not None
            run = (await self.executor.execute(cell.source, cell_id=cell_id)).as_run(cell_id)
            runs.append(run)
            now = self.snapshot.cell(cell_id)  # the code may have changed the notebook
            if now is not None:
                now.outputs = copy.deepcopy(run.outputs)
                now.execution_count = run.execution_count
            if run.status == "error":
                return runs + aborted(cell_ids[i + 1 :])
        return runs

    # -- checkpoints ----------------------------------------------------------------

    async def checkpoint(self) -> str:
        token = new_token()
        self._checkpoints[token] = [c.model_copy(deep=True) for c in self.snapshot.cells]
        return token

    async def restore_checkpoint(self, token: str) -> None:
        try:
            cells = self._checkpoints[token]
        except KeyError:
            raise BridgeError(f"no checkpoint {token!r} in this notebook") from None
        self.snapshot.cells = [c.model_copy(deep=True) for c in cells]
