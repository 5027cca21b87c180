"""The live bridge of a notebook's JupyterLab panel, through whichever comm it has now.

Run All (and Restart Kernel and Run All) queues every cell at once: ``%load_ext
jupyter_plan`` rings the panel, which then opens its comm, but the kernel may reach the
``%%plan`` cell before that comm is open. The file on disk is no substitute (it may lack
this run's outputs, unsaved edits, or be another version). So a run started from a cell
JupyterLab sent waits here, at its first use of the notebook, for the panel to connect —
at most ``timeout`` seconds — and then edits live as usual. A panel also reconnects while a
run goes on (a restart, or ``%load_ext`` ringing it again): each request goes to its newest
comm, and one caught on a comm replaced meanwhile is sent again on the new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.comm import CommBridge, NotSent, Superseded
from jupyter_plan.bridge.locate import CommRegistry, same_notebook
from jupyter_plan.models import CellRun, NewCell, NotebookSnapshot

CONNECT_TIMEOUT = 30.0  # seconds: a panel connects within a second or two of %load_ext
RETRIES = 3  # a panel that reconnects while a request waits: send it again on the new comm
T = TypeVar("T")


class AwaitedComm:
    """Waits for the panel's comm (``path``: the notebook's file, when known), then
    delegates every operation to it."""

    def __init__(
        self, registry: CommRegistry, path: Path | None, timeout: float = CONNECT_TIMEOUT
    ) -> None:
        self.registry, self.path, self.timeout = registry, path, timeout
        self._bridge: CommBridge | None = None

    def _ours(self, bridge: CommBridge) -> bool:
        if bridge.closed:
            return False
        cwd = self.registry.cwd or Path.cwd()
        return self.path is None or same_notebook(bridge, self.path, cwd)

    async def bridge(self) -> CommBridge:
        """The panel's bridge, once it has connected (:class:`BridgeError` after timeout)."""
        if self._bridge is not None and not self._bridge.closed:
            return self._bridge
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[CommBridge] = loop.create_future()

        def settle(bridge: CommBridge) -> None:
            if not opened.done():
                opened.set_result(bridge)

        def on_open(bridge: CommBridge) -> None:
            if self._ours(bridge):
                loop.call_soon_threadsafe(settle, bridge)

        self.registry.on_open(on_open)
        try:
            for bridge in reversed(self.registry.bridges()):  # connected meanwhile
                if self._ours(bridge):
                    self._bridge = bridge
                    return bridge
            self._bridge = await asyncio.wait_for(opened, self.timeout)
        except TimeoutError:
            raise BridgeError(
                f"JupyterLab ran this cell, but the notebook's jupyter-plan panel did not "
                f"connect within {self.timeout:g} s: check that `jupyter labextension list` "
                "shows jupyter-plan and reload the page, or pass --notebook PATH to work on "
                "the saved file instead"
            ) from None
        finally:
            self.registry.off_open(on_open)
        return self._bridge

    async def _call(self, op: Callable[[CommBridge], Awaitable[T]], *, reads: bool = False) -> T:
        """``op`` on the panel's newest comm; again on its successor if it was replaced or
        closed before the request went out (a read, also if it closed while waiting)."""
        for _ in range(RETRIES):
            bridge = await self.bridge()
            try:
                return await op(bridge)
            except (Superseded, NotSent):
                continue
            except BridgeError:
                if not (reads and bridge.closed):
                    raise
        return await op(await self.bridge())

    async def get_notebook(self) -> NotebookSnapshot:
        return await self._call(lambda b: b.get_notebook(), reads=True)

    async def insert_cells(
        self, cells: list[NewCell], *, after: str | None = None, before: str | None = None
    ) -> list[str]:
        return await self._call(lambda b: b.insert_cells(cells, after=after, before=before))

    async def replace_cell(self, cell_id: str, source: str) -> None:
        await self._call(lambda b: b.replace_cell(cell_id, source))

    async def delete_cells(self, cell_ids: list[str]) -> None:
        await self._call(lambda b: b.delete_cells(cell_ids))

    async def run_cells(self, cell_ids: list[str]) -> list[CellRun]:
        return await self._call(lambda b: b.run_cells(cell_ids))

    async def set_cell_metadata(self, cell_id: str, key: str, value: Any) -> None:
        await self._call(lambda b: b.set_cell_metadata(cell_id, key, value))

    async def checkpoint(self) -> str:
        return await self._call(lambda b: b.checkpoint(), reads=True)

    async def restore_checkpoint(self, token: str) -> None:
        await self._call(lambda b: b.restore_checkpoint(token))
