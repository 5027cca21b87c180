"""A run's live bridge through whichever comm the panel has: it waits (bounded) for the panel
to connect, and a request caught on a comm the panel replaced is sent again on the new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jupyter_plan.bridge.awaited import AwaitedComm
from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.locate import CommRegistry
from jupyter_plan.models import Cell
from jupyter_plan.testing.frontend import Connection, SimulatedFrontend

CELLS = [Cell(id="a", cell_type="code", source="x = 1")]


async def test_a_run_waits_for_the_panel_to_connect(tmp_path: Path) -> None:
    registry = CommRegistry(cwd=tmp_path)
    awaited = AwaitedComm(registry, None, timeout=10)
    reading = asyncio.ensure_future(awaited.get_notebook())
    await asyncio.sleep(0)  # the run is waiting: nothing connected yet
    assert not reading.done()
    Connection(SimulatedFrontend(CELLS, path="nb.ipynb"), registry).open()
    snapshot = await reading
    assert [c.id for c in snapshot.cells] == ["a"]


async def test_no_panel_within_the_timeout_is_a_clear_error(tmp_path: Path) -> None:
    awaited = AwaitedComm(CommRegistry(cwd=tmp_path), None, timeout=0.05)
    with pytest.raises(BridgeError, match="panel did not connect within"):
        await awaited.get_notebook()


async def test_a_request_on_a_replaced_comm_goes_to_the_new_one(tmp_path: Path) -> None:
    registry = CommRegistry(cwd=tmp_path)
    old = SimulatedFrontend(CELLS, path="nb.ipynb", notebook_id="panel-1")
    old.hold("get_notebook")  # the panel never answers on its old comm
    first = Connection(old, registry)
    first.open()
    awaited = AwaitedComm(registry, None, timeout=10)
    reading = asyncio.ensure_future(awaited.get_notebook())
    while not first.held:  # the request reached the old comm
        await asyncio.sleep(0)
    new = SimulatedFrontend([*CELLS, Cell(id="b", cell_type="code", source="y")], path="nb.ipynb",
                            notebook_id="panel-1")  # fmt: skip
    Connection(new, registry).open()  # the same panel reconnects (a restart)
    snapshot = await reading
    assert [c.id for c in snapshot.cells] == ["a", "b"]
    assert first.bridge is not None and first.bridge.closed
