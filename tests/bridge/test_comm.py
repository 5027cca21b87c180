"""The comm bridge's protocol: open, mismatch, errors, timeouts, closing, threads, events."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from comm.base_comm import BaseComm, CommManager

from jupyter_plan.bridge.base import PROTOCOL_VERSION, BridgeError, CellNotFound
from jupyter_plan.bridge.comm import TARGET, CommBridge, FrontendInfo
from jupyter_plan.bridge.execute import Execution
from jupyter_plan.bridge.locate import CommRegistry
from jupyter_plan.models import NewCell
from jupyter_plan.testing.frontend import Connection, SimulatedFrontend

from .conftest import cells

THREADING = pytest.mark.parametrize("threaded", [False, True], ids=["same-thread", "other-thread"])


def connect(
    tmp_path: Path, frontend: SimulatedFrontend | None = None, *, threaded: bool = False, **kw: Any
) -> Connection:
    registry = CommRegistry(cwd=tmp_path, **kw)
    return Connection(
        frontend or SimulatedFrontend(cells(), path="work/nb.ipynb"), registry, threaded=threaded
    )


# -- opening ----------------------------------------------------------------------------


async def test_an_accepted_panel_is_told_ready(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_text("{}")  # the kernel runs in the notebook's folder
    conn = connect(tmp_path)
    bridge = conn.open()
    assert isinstance(bridge, CommBridge)
    assert bridge.info == FrontendInfo("work/nb.ipynb", "nb-1", ("edit", "run", "checkpoint"), 1)
    await conn.send_event("noop")  # a round trip: the ready event has been delivered
    assert conn.frontend.events[0] == {"op": "ready", "args": {"protocol": PROTOCOL_VERSION}}
    assert conn.registry.bridges() == [bridge]
    assert bridge.os_path == tmp_path / "nb.ipynb"
    assert conn.registry.for_path(tmp_path / "nb.ipynb") is bridge
    assert conn.registry.for_path("nb.ipynb") is bridge  # relative to the kernel's cwd
    assert conn.registry.for_path("/elsewhere/work/nb.ipynb") is None  # another file
    assert conn.registry.for_path(tmp_path / "other.ipynb") is None


@pytest.mark.parametrize(
    ("wanted", "same"),
    [
        ("/srv/root/work/nb.ipynb", True),
        ("work/nb.ipynb", True),
        ("/srv/root/nb.ipynb", False),
        ("/srv/root/work/other.ipynb", False),
    ],
)
def test_a_panel_whose_file_is_not_here_matches_by_path_suffix(
    tmp_path: Path, wanted: str, same: bool
) -> None:
    conn = connect(tmp_path)  # no nb.ipynb in the kernel's cwd
    bridge = conn.open()
    assert (conn.registry.for_path(wanted) is bridge) is same


@pytest.mark.parametrize(
    ("open_data", "kind", "message"),
    [
        ({"protocol": 99}, "ProtocolMismatch", "speaks protocol 99 but this kernel"),
        ({"protocol": None}, "ProtocolMismatch", "speaks protocol None"),
        ({"protocol": "1"}, "ProtocolMismatch", "protocol '1'"),
        ({"path": ""}, "InvalidOpen", "needs a notebook path"),
        ({"path": 3}, "InvalidOpen", "needs a notebook path"),
        ({"capabilities": "all"}, "InvalidOpen", "capabilities must be a list"),
    ],
)
async def test_a_bad_open_is_refused_clearly(
    tmp_path: Path, open_data: dict[str, Any], kind: str, message: str
) -> None:
    frontend = SimulatedFrontend(path="work/nb.ipynb")
    conn = connect(tmp_path, frontend)
    frontend.open_data = lambda: {  # type: ignore[method-assign]
        "path": "work/nb.ipynb",
        "notebook_id": "n",
        "capabilities": [],
        "protocol": 1,
        **open_data,
    }
    assert conn.open() is None
    assert conn.closed_with is not None
    assert conn.closed_with["ok"] is False
    assert conn.closed_with["error"]["type"] == kind
    assert message in conn.closed_with["error"]["message"]
    assert conn.registry.bridges() == []
    assert message in conn.registry.rejected[-1].message


async def test_a_good_open_clears_an_earlier_refusal(tmp_path: Path) -> None:
    registry = CommRegistry(cwd=tmp_path)
    Connection(SimulatedFrontend(path="nb.ipynb", protocol=2), registry).open()
    assert registry.rejected
    Connection(SimulatedFrontend(path="nb.ipynb"), registry).open()
    assert registry.rejected == []


async def test_the_comm_target_through_the_comm_package(tmp_path: Path) -> None:
    """``attach`` registers ``jupyter_plan`` so the comm manager's ``comm_open`` reaches us."""
    manager = CommManager()
    registry = CommRegistry(cwd=tmp_path)
    registry.attach(manager)
    assert TARGET in manager.targets
    sent: list[dict[str, Any]] = []
    requested = asyncio.Event()

    class Recording(BaseComm):
        def publish_msg(self, msg_type: str, data: Any = None, *a: Any, **k: Any) -> None:
            sent.append({"type": msg_type, "data": data})
            if "id" in (data or {}):
                requested.set()

    comm = Recording(comm_id="c1", primary=False, target_name=TARGET)
    data = {"path": "nb.ipynb", "notebook_id": "n", "capabilities": [], "protocol": 1}
    manager.register_comm(comm)
    manager.targets[TARGET](
        comm, {"content": {"comm_id": "c1", "target_name": TARGET, "data": data}}
    )
    assert sent == [{"type": "comm_msg", "data": {"op": "ready", "args": {"protocol": 1}}}]
    bridge = registry.bridges()[0]
    task = asyncio.ensure_future(bridge.checkpoint())
    await requested.wait()
    request = sent[-1]["data"]
    manager.comm_msg(
        None,
        None,
        {
            "content": {
                "comm_id": "c1",
                "data": {"id": request["id"], "ok": True, "result": {"token": "t1"}},
            }
        },
    )
    assert await task == "t1"
    manager.comm_close(None, None, {"content": {"comm_id": "c1", "data": {}}})
    assert bridge.closed and registry.bridges() == []


def test_announce_rings_and_hangs_up() -> None:
    opened: list[dict[str, Any]] = []

    class Doorbell:
        closed = False

        def close(self) -> None:
            self.closed = True

    bell = Doorbell()

    def create(**kw: Any) -> Doorbell:
        opened.append(kw)
        return bell

    CommRegistry().announce(create)
    assert opened == [
        {"target_name": TARGET, "data": {"op": "announce", "protocol": PROTOCOL_VERSION}}
    ]
    assert bell.closed


# -- requests ---------------------------------------------------------------------------


@THREADING
async def test_errors_from_the_panel(tmp_path: Path, threaded: bool) -> None:
    conn = connect(tmp_path, threaded=threaded)
    bridge = conn.open()
    assert bridge is not None
    try:
        with pytest.raises(CellNotFound) as caught:
            await bridge.replace_cell("vanished", "x")
        assert caught.value.cell_id == "vanished"
        with pytest.raises(BridgeError, match=r"could not restore_checkpoint: .*\(BridgeError\)"):
            await bridge.restore_checkpoint("nope")
        with pytest.raises(BridgeError, match=r"unknown op 'teleport' \(_Unknown\)"):
            await bridge.request("teleport", {})
    finally:
        conn.shutdown()


@pytest.mark.parametrize(
    ("op", "result", "call"),
    [
        ("get_notebook", {"cells": [{"id": 1}]}, lambda b: b.get_notebook()),
        ("insert_cells", {"cell_ids": ["x", "y"]}, lambda b: b.insert_cells([NewCell(source="1")])),
        ("insert_cells", {}, lambda b: b.insert_cells([NewCell(source="1")])),
        ("run_cells", {"runs": [{"status": "great"}]}, lambda b: b.run_cells(["a"])),
        ("checkpoint", {"token": 5}, lambda b: b.checkpoint()),
    ],
)
async def test_answers_the_kernel_cannot_read(
    tmp_path: Path, op: str, result: Any, call: Any
) -> None:
    conn = connect(tmp_path)
    bridge = conn.open()
    assert bridge is not None

    async def wrong(**_: Any) -> Any:
        return result

    setattr(conn.frontend, f"_op_{op}", wrong)
    with pytest.raises(BridgeError, match=f"{op}"):
        await call(bridge)


async def test_scripted_runs(tmp_path: Path) -> None:
    conn = connect(tmp_path)
    bridge = conn.open()
    assert bridge is not None
    out = [{"output_type": "stream", "name": "stdout", "text": "scripted\n"}]
    conn.frontend.script("a", Execution(status="ok", execution_count=41, outputs=out))
    conn.frontend.script("c", Execution(status="error", execution_count=42, error="E: x"))
    runs = await bridge.run_cells(["a", "b", "c", "a"])
    assert [(r.status, r.execution_count) for r in runs] == [
        ("ok", 41),
        ("ok", None),
        ("error", 42),
        ("aborted", None),
    ]
    assert conn.frontend.cells[0].outputs == out


async def test_each_edit_is_one_undo_step(tmp_path: Path) -> None:
    conn = connect(tmp_path)
    bridge = conn.open()
    assert bridge is not None
    start = [c.model_copy(deep=True) for c in conn.frontend.cells]
    await bridge.insert_cells([NewCell(source="1"), NewCell(source="2")], after="a")
    await bridge.replace_cell("a", "x = 0")
    await bridge.set_cell_metadata("a", "k", 1)
    await bridge.delete_cells(["b", "c"])
    with pytest.raises(CellNotFound):
        await bridge.delete_cells(["gone"])  # a failed edit is no step
    assert len(conn.frontend.undo_stack) == 4
    for _ in range(4):
        conn.frontend.undo()
    assert conn.frontend.cells == start


# -- timeouts, closing, threads -------------------------------------------------------------


async def test_a_request_times_out_clearly(tmp_path: Path) -> None:
    conn = connect(tmp_path, timeout=0.01)
    bridge = conn.open()
    assert bridge is not None
    conn.frontend.hold("get_notebook")
    with pytest.raises(BridgeError, match=r"did not answer 'get_notebook' within 0.01 s"):
        await bridge.get_notebook()
    await conn.release()  # the late answer is dropped without harm
    conn.frontend.held_ops.clear()
    assert len((await bridge.get_notebook()).cells) == 3


async def test_run_cells_waits_beyond_the_request_timeout(tmp_path: Path) -> None:
    conn = connect(tmp_path, timeout=0.01)  # run_timeout: None (cells may run for hours)
    bridge = conn.open()
    assert bridge is not None
    conn.frontend.hold("run_cells", "get_notebook")
    task = asyncio.ensure_future(bridge.run_cells(["b"]))
    await conn.received("run_cells")
    with pytest.raises(BridgeError, match="did not answer"):
        await bridge.get_notebook()  # sent later, timed out: run_cells has waited longer
    await conn.release()
    assert [r.status for r in await task] == ["ok"]


@THREADING
async def test_the_tab_closes_while_a_request_waits(tmp_path: Path, threaded: bool) -> None:
    conn = connect(tmp_path, threaded=threaded)
    bridge = conn.open()
    assert bridge is not None
    try:
        conn.frontend.hold("run_cells")
        task = asyncio.ensure_future(bridge.run_cells(["a"]))
        await conn.received("run_cells")
        await conn.close_from_frontend()
        with pytest.raises(
            BridgeError, match="run_cells did not finish: the notebook's connection closed"
        ):
            await task
        with pytest.raises(
            BridgeError, match="cannot get_notebook: the notebook's connection closed"
        ):
            await bridge.get_notebook()
        assert conn.registry.bridges() == [] and conn.registry.for_path("work/nb.ipynb") is None
    finally:
        conn.shutdown()


async def test_the_kernel_closes_while_a_request_waits(tmp_path: Path) -> None:
    conn = connect(tmp_path)
    bridge = conn.open()
    assert bridge is not None
    conn.frontend.hold("checkpoint")
    task = asyncio.ensure_future(bridge.checkpoint())
    await conn.received("checkpoint")
    bridge.close()
    with pytest.raises(BridgeError, match="the kernel closed the connection"):
        await task
    assert conn.comm.closed


async def test_a_reply_from_another_thread_resolves_on_the_loop(tmp_path: Path) -> None:
    """The bare mechanism: a comm callback on a foreign thread settles the future on its loop."""
    sent: list[dict[str, Any]] = []
    callbacks: dict[str, Any] = {}
    requested = asyncio.Event()

    class BareComm:
        comm_id = "bare"

        def send(self, data: dict[str, Any] | None = None) -> None:
            sent.append(data or {})
            requested.set()

        def close(self, data: dict[str, Any] | None = None) -> None: ...

        def on_msg(self, cb: Any) -> None:
            callbacks["msg"] = cb

        def on_close(self, cb: Any) -> None:
            callbacks["close"] = cb

    bridge = CommBridge(BareComm(), FrontendInfo("nb.ipynb", "n", (), 1))
    task = asyncio.ensure_future(bridge.checkpoint())
    await requested.wait()
    settled_on: list[int] = []
    task.add_done_callback(lambda _: settled_on.append(threading.get_ident()))
    reply = {"content": {"data": {"id": sent[0]["id"], "ok": True, "result": {"token": "t"}}}}
    worker = threading.Thread(target=callbacks["msg"], args=(reply,))
    worker.start()
    worker.join()
    assert await task == "t"
    assert settled_on == [threading.get_ident()] and worker.ident != threading.get_ident()


@THREADING
async def test_the_suite_ran_over_another_thread(tmp_path: Path, threaded: bool) -> None:
    conn = connect(tmp_path, threaded=threaded)
    bridge = conn.open()
    assert bridge is not None
    try:
        (new,) = await bridge.insert_cells([NewCell(source="1")])
        assert new in [c.id for c in (await bridge.get_notebook()).cells]
        foreign = conn.delivery_threads - {threading.get_ident()}
        assert bool(foreign) is threaded
    finally:
        conn.shutdown()


# -- frontend -> kernel ---------------------------------------------------------------------


@THREADING
async def test_frontend_requests_and_events(tmp_path: Path, threaded: bool) -> None:
    conn = connect(tmp_path, threaded=threaded)
    bridge = conn.open()
    assert bridge is not None
    registry = conn.registry
    handled: list[tuple[str, Any, int]] = []

    def set_mode(b: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        handled.append(("set_mode", args, threading.get_ident()))
        return {"mode": args["mode"]}

    async def approve(b: CommBridge, args: dict[str, Any]) -> str:
        await asyncio.sleep(0)
        handled.append(("approve", args, threading.get_ident()))
        return "approved " + args["plan_id"]

    def reject(b: CommBridge, args: dict[str, Any]) -> None:
        raise ValueError("no plan to reject")

    registry.on("set_mode", set_mode)
    registry.on("approve", approve)
    registry.on("reject", reject)
    try:
        assert (await conn.request("set_mode", {"mode": "yolo"}))["result"] == {"mode": "yolo"}
        assert (await conn.request("approve", {"plan_id": "p1"}))["result"] == "approved p1"
        failed = await conn.request("reject", {})
        assert failed["ok"] is False
        assert failed["error"] == {"type": "ValueError", "message": "no plan to reject"}
        unknown = await conn.request("iterate", {})
        assert "no handler for 'iterate'" in unknown["error"]["message"]
        await conn.send_event("set_mode", {"mode": "plan"})  # an event: handled, not answered
        await conn.request("build", {})  # a round trip after the event
        registry.on("set_mode", None)
        assert "no handler" in (await conn.request("set_mode", {"mode": "x"}))["error"]["message"]
        assert [h[:2] for h in handled] == [
            ("set_mode", {"mode": "yolo"}),
            ("approve", {"plan_id": "p1"}),
            ("set_mode", {"mode": "plan"}),
        ]
        assert {h[2] for h in handled} == {threading.get_ident()}  # handlers run on the loop
    finally:
        conn.shutdown()


async def test_state_events_reach_the_panels(tmp_path: Path) -> None:
    registry = CommRegistry(cwd=tmp_path)
    one = Connection(SimulatedFrontend(path="one.ipynb"), registry)
    two = Connection(SimulatedFrontend(path="two.ipynb", notebook_id="nb-2"), registry)
    one.open()
    two.open()
    assert registry.send_event("state", {"mode": "plan"}) == 2
    assert registry.send_event("state", {"mode": "yolo"}, path=tmp_path / "two.ipynb") == 1
    await one.send_event("noop")
    await two.send_event("noop")
    assert [e["args"] for e in one.frontend.events if e["op"] == "state"] == [{"mode": "plan"}]
    assert [e["args"] for e in two.frontend.events if e["op"] == "state"] == [
        {"mode": "plan"},
        {"mode": "yolo"},
    ]
    await one.close_from_frontend()
    assert registry.send_event("state", {}) == 1
