"""A simulated JupyterLab notebook panel speaking the ``jupyter_plan`` comm protocol.

:class:`SimulatedFrontend` holds the notebook and answers every kernel request the way the
real extension must (the protocol's reference behaviour): cells by id, ``CellNotFound``
errors naming the vanished id, each edit one undoable step, ``run_cells`` through an
executor or scripted results. :class:`Connection` wires it to a kernel-side
:class:`~jupyter_plan.bridge.comm.CommRegistry` through an in-process comm pair; with
``threaded=True`` the panel lives on its own thread and event loop, so every message
reaches the kernel from another thread, as ipykernel 7 subshells can do.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import uuid
from collections.abc import Coroutine, Iterable
from typing import Any

from jupyter_plan.bridge.base import PROTOCOL_VERSION, BridgeError, CellNotFound
from jupyter_plan.bridge.comm import TARGET, CommBridge, error_payload
from jupyter_plan.bridge.execute import Execution, Executor
from jupyter_plan.bridge.locate import CommRegistry
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, CellRun, NewCell, NotebookSnapshot


class SimulatedFrontend:
    """One notebook panel. ``cells`` is the live notebook; inspect it after requests."""

    def __init__(
        self,
        cells: Iterable[Cell] = (),
        *,
        path: str = "notebook.ipynb",
        notebook_id: str = "nb-1",
        executor: Executor | None = None,
        protocol: Any = PROTOCOL_VERSION,
        capabilities: Iterable[str] = ("edit", "run", "checkpoint"),
        active_cell_id: str | None = None,
    ) -> None:
        # A MemoryBridge is the notebook model: the same edit rules, one place.
        self._notebook = MemoryBridge(
            NotebookSnapshot(cells=[c.model_copy(deep=True) for c in cells])
        )
        self.path = path
        self.notebook_id = notebook_id
        self.executor = executor
        self.protocol = protocol
        self.capabilities = list(capabilities)
        self.active_cell_id = active_cell_id
        self.undo_stack: list[list[Cell]] = []  # one entry per edit, newest last
        self.requests: list[dict[str, Any]] = []  # every kernel request, in order
        self.events: list[dict[str, Any]] = []  # every kernel event ({op, args})
        self.held_ops: set[str] = set()
        self._scripted: dict[str, list[Execution]] = {}
        self._count = 0

    @property
    def cells(self) -> list[Cell]:
        return self._notebook.snapshot.cells

    def open_data(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "notebook_id": self.notebook_id,
            "capabilities": self.capabilities,
            "protocol": self.protocol,
        }

    def script(self, cell_id: str, *results: Execution) -> None:
        """Answer the next runs of ``cell_id`` with these results instead of executing."""
        self._scripted.setdefault(cell_id, []).extend(results)

    def hold(self, *ops: str) -> None:
        """Leave requests for these ops unanswered (a slow or stuck panel)."""
        self.held_ops.update(ops)

    def undo(self) -> None:
        """The person presses undo: the last edit is reverted as one step."""
        self._notebook.snapshot.cells = self.undo_stack.pop()

    # -- answering ---------------------------------------------------------------------

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """The reply to one ``{id, op, args}`` request."""
        rid, op, args = request.get("id"), request.get("op"), request.get("args") or {}
        method = getattr(self, f"_op_{op}", None) if isinstance(op, str) else None
        try:
            if method is None:
                raise _Unknown(f"unknown op {op!r}")
            result = await method(**args)
        except (BridgeError, _Unknown, TypeError, ValueError) as exc:
            return {"id": rid, "ok": False, "error": error_payload(exc)}
        return {"id": rid, "ok": True, "result": result}

    def _remember(self) -> None:
        self.undo_stack.append([c.model_copy(deep=True) for c in self.cells])

    async def _op_get_notebook(self) -> dict[str, Any]:
        cells = [c.model_dump(mode="json") for c in self.cells]
        return {"cells": cells, "active_cell_id": self.active_cell_id}

    async def _op_insert_cells(
        self, cells: list[dict[str, Any]], after: str | None = None, before: str | None = None
    ) -> dict[str, Any]:
        new = [NewCell.model_validate({k: v for k, v in c.items() if k != "id"}) for c in cells]
        undo = [c.model_copy(deep=True) for c in self.cells]
        if after is None and before is None:  # "at the end": before the empty cells there
            before = self._trailing_empty()
        ids = await self._notebook.insert_cells(new, after=after, before=before)
        taken = {c.id for c in self.cells} - set(ids)
        for n, (cell, made) in enumerate(zip(cells, ids, strict=True)):
            wanted = cell.get("id")  # a proposed free id is kept, as JupyterLab's panel does
            if isinstance(wanted, str) and wanted and wanted not in taken:
                next(c for c in self.cells if c.id == made).id = wanted
                ids[n] = wanted
            taken.add(ids[n])
        self.undo_stack.append(undo)
        return {"cell_ids": ids}

    async def _op_replace_cell(self, cell_id: str, source: str) -> None:
        self._find(cell_id)
        self._remember()
        await self._notebook.replace_cell(cell_id, source)

    async def _op_delete_cells(self, cell_ids: list[str]) -> None:
        for cell_id in cell_ids:
            self._find(cell_id)
        self._remember()
        await self._notebook.delete_cells(cell_ids)

    async def _op_set_cell_metadata(self, cell_id: str, key: str, value: Any) -> None:
        self._find(cell_id)
        self._remember()
        await self._notebook.set_cell_metadata(cell_id, key, value)

    async def _op_checkpoint(self) -> dict[str, Any]:
        return {"token": await self._notebook.checkpoint()}

    async def _op_restore_checkpoint(self, token: str) -> None:
        undo = [c.model_copy(deep=True) for c in self.cells]
        await self._notebook.restore_checkpoint(token)
        self.undo_stack.append(undo)

    async def _op_run_cells(self, cell_ids: list[str]) -> dict[str, Any]:
        for cell_id in cell_ids:
            self._find(cell_id)
        runs: list[CellRun] = []
        for i, cell_id in enumerate(cell_ids):
            cell = self._find(cell_id)
            if cell.cell_type != "code":
                runs.append(CellRun(cell_id=cell_id, status="ok"))
                continue
            result = await self._execute(cell)
            cell.outputs, cell.execution_count = list(result.outputs), result.execution_count
            runs.append(result.as_run(cell_id))
            if result.status == "error":
                runs += [CellRun(cell_id=c, status="aborted") for c in cell_ids[i + 1 :]]
                break
        return {"runs": [r.model_dump(mode="json") for r in runs]}

    async def _execute(self, cell: Cell) -> Execution:
        queue = self._scripted.get(cell.id)
        if queue:
            return queue.pop(0)
        if self.executor is not None:
            return await self.executor.execute(cell.source, cell_id=cell.id)
        self._count += 1
        return Execution(status="ok", execution_count=self._count)

    def _trailing_empty(self) -> str | None:
        """The first of the empty code cells ending the notebook (Shift+Enter leaves one)."""
        found = None
        for cell in reversed(self.cells):
            if cell.cell_type != "code" or cell.source.strip() or cell.outputs:
                break
            found = cell.id
        return found

    def _find(self, cell_id: str) -> Cell:
        cell = self._notebook.snapshot.cell(cell_id)
        if cell is None:
            raise CellNotFound(cell_id)
        return cell


class _Unknown(Exception):
    pass


class _KernelSideComm:
    """The kernel's end of the pair: what ipykernel's comm is to a :class:`CommBridge`."""

    def __init__(self, connection: Connection) -> None:
        self.comm_id = uuid.uuid4().hex
        self.target_name = TARGET
        self._connection = connection
        self._on_msg: Any = None
        self._on_close: Any = None
        self.closed = False

    def send(self, data: dict[str, Any] | None = None, *_: Any, **__: Any) -> None:
        if self.closed:
            raise BridgeError("comm is closed")
        self._connection._to_frontend(data or {})

    def close(self, data: dict[str, Any] | None = None, *_: Any, **__: Any) -> None:
        if not self.closed:
            self.closed = True
            self._connection.closed_with = data or {}

    def on_msg(self, callback: Any) -> None:
        self._on_msg = callback

    def on_close(self, callback: Any) -> None:
        self._on_close = callback

    def _message(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"content": {"comm_id": self.comm_id, "data": data}}


class Connection:
    """A simulated panel's comm to the kernel: open it, talk both ways, close it."""

    def __init__(
        self, frontend: SimulatedFrontend, registry: CommRegistry, *, threaded: bool = False
    ) -> None:
        self.frontend = frontend
        self.registry = registry
        self.comm = _KernelSideComm(self)
        self.bridge: CommBridge | None = None
        self.closed_with: dict[str, Any] | None = None  # the kernel's close data
        self.delivery_threads: set[int] = set()  # threads that called the kernel's callbacks
        self.held: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Future[None]] = set()
        self._lock = threading.Lock()
        self._replies: dict[str, asyncio.Future[Any]] = {}
        self._waiters: list[tuple[str, concurrent.futures.Future[dict[str, Any]]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
            self._thread.start()

    def open(self) -> CommBridge | None:
        """The panel opens its comm (``comm_open`` handled on the calling thread)."""
        msg = {
            "content": {
                "comm_id": self.comm.comm_id,
                "target_name": TARGET,
                "data": self.frontend.open_data(),
            }
        }
        self.bridge = self.registry.handle_open(self.comm, msg)
        return self.bridge

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stop the panel's thread (threaded mode)."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
            self._loop = self._thread = None

    # -- frontend side ---------------------------------------------------------------

    def _frontend_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop or asyncio.get_running_loop()

    def _to_frontend(self, data: dict[str, Any]) -> None:
        try:
            loop = self._frontend_loop()
        except RuntimeError:  # no loop at all (a synchronous caller): take it right now
            self._receive(dict(data))
            return
        loop.call_soon_threadsafe(self._receive, dict(data))

    def _receive(self, data: dict[str, Any]) -> None:
        if "ok" in data:
            future = self._replies.pop(str(data.get("id")), None)
            if future is not None and not future.done():
                future.set_result(data)
        elif "id" in data:
            with self._lock:
                self.frontend.requests.append(data)
                ready = [w for w in self._waiters if w[0] == data.get("op")]
                self._waiters = [w for w in self._waiters if w not in ready]
            for _, waiter in ready:
                waiter.set_result(data)
            if data.get("op") in self.frontend.held_ops:
                self.held.append(data)
            else:
                task = asyncio.ensure_future(self._answer(data))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        else:
            self.frontend.events.append(data)

    async def _answer(self, request: dict[str, Any]) -> None:
        self._deliver(await self.frontend.handle(request))

    def _deliver(self, data: dict[str, Any]) -> None:
        self.delivery_threads.add(threading.get_ident())
        if self.comm._on_msg is not None and not self.comm.closed:
            self.comm._on_msg(self.comm._message(data))

    def _on_panel(
        self, coro: Coroutine[Any, Any, Any]
    ) -> concurrent.futures.Future[Any] | asyncio.Task[Any]:
        if self._loop is not None:
            return asyncio.run_coroutine_threadsafe(coro, self._loop)
        return asyncio.ensure_future(coro)

    async def _await(self, coro: Coroutine[Any, Any, Any]) -> Any:
        done = self._on_panel(coro)
        return await (
            asyncio.wrap_future(done) if isinstance(done, concurrent.futures.Future) else done
        )

    # -- what tests do -------------------------------------------------------------------

    async def received(self, op: str) -> dict[str, Any]:
        """Wait until the panel has received a request for ``op`` (even a held one)."""
        waiter: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        with self._lock:
            seen = [r for r in self.frontend.requests if r.get("op") == op]
            if seen:
                return seen[-1]
            self._waiters.append((op, waiter))
        return await asyncio.wrap_future(waiter)

    async def release(self) -> None:
        """Answer the held requests now, and stop holding."""

        async def answer_all() -> None:
            held, self.held = self.held, []
            self.frontend.held_ops.clear()
            for request in held:
                await self._answer(request)

        await self._await(answer_all())

    async def request(self, op: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """The panel sends ``{id, op, args}`` to the kernel; returns the kernel's reply."""

        async def ask() -> dict[str, Any]:
            rid = uuid.uuid4().hex
            reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._replies[rid] = reply
            self._deliver({"id": rid, "op": op, "args": args or {}})
            result: dict[str, Any] = await reply
            return result

        result: dict[str, Any] = await self._await(ask())
        return result

    async def send_event(self, op: str, args: dict[str, Any] | None = None) -> None:
        """The panel sends an event (no id, no answer)."""

        async def send() -> None:
            self._deliver({"op": op, "args": args or {}})

        await self._await(send())

    async def close_from_frontend(self) -> None:
        """The tab closes: the kernel gets ``comm_close``."""

        async def close() -> None:
            self.delivery_threads.add(threading.get_ident())
            self.comm.closed = True
            if self.comm._on_close is not None:
                self.comm._on_close(self.comm._message({}))

        await self._await(close())
