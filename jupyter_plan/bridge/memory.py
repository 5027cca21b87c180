"""A notebook held in memory: for tests and for code that already has the cells."""

from __future__ import annotations

from jupyter_plan.models import NotebookSnapshot


class MemoryBridge:
    def __init__(self, snapshot: NotebookSnapshot) -> None:
        self.snapshot = snapshot

    async def get_notebook(self) -> NotebookSnapshot:
        return self.snapshot.model_copy(deep=True)  # readers can never change the original
