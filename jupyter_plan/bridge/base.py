"""The bridge protocol: one notebook, addressed by cell id, never by a bare index."""

from __future__ import annotations

from typing import Protocol

from jupyter_plan.models import NotebookSnapshot


class BridgeError(Exception):
    """The notebook could not be read or changed (e.g. a cell id that vanished)."""


class NotebookBridge(Protocol):
    async def get_notebook(self) -> NotebookSnapshot:
        """The notebook as it is now."""
        ...
