"""The bridge protocol: one notebook, addressed by cell id, never by a bare index.

Three implementations: live (a JupyterLab comm, ``bridge/comm.py``), file (nbformat, for
headless runs) and memory (tests). Every edit is one undoable step on the live side.
"""

from __future__ import annotations

from typing import Any, Protocol

from jupyter_plan.models import CellRun, NewCell, NotebookSnapshot

PROTOCOL_VERSION = 1


class BridgeError(Exception):
    """The notebook could not be read or changed (e.g. a cell id that vanished)."""


class CellNotFound(BridgeError, LookupError):
    def __init__(self, cell_id: str) -> None:
        super().__init__(f"no cell with id {cell_id!r} in the notebook (was it deleted?)")
        self.cell_id = cell_id


class NotebookBridge(Protocol):
    async def get_notebook(self) -> NotebookSnapshot:
        """The notebook as it is now."""
        ...


class EditableBridge(NotebookBridge, Protocol):
    """What a build needs. Unknown cell ids raise :class:`CellNotFound`, never edit another."""

    async def insert_cells(
        self, cells: list[NewCell], *, after: str | None = None, before: str | None = None
    ) -> list[str]:
        """Insert after (or before) a cell id; neither: at the end. Returns the new ids."""
        ...

    async def replace_cell(self, cell_id: str, source: str) -> None: ...

    async def delete_cells(self, cell_ids: list[str]) -> None: ...

    async def run_cells(self, cell_ids: list[str]) -> list[CellRun]:
        """Run in order; answers when outputs are complete. Stops at the first error."""
        ...

    async def set_cell_metadata(self, cell_id: str, key: str, value: Any) -> None: ...

    async def checkpoint(self) -> str:
        """Remember the whole notebook; returns a token for :meth:`restore_checkpoint`."""
        ...

    async def restore_checkpoint(self, token: str) -> None: ...
