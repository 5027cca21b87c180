"""The live bridge: the kernel edits and runs the notebook open in JupyterLab, over a comm.

Protocol version :data:`~jupyter_plan.bridge.base.PROTOCOL_VERSION`, comm target
``jupyter_plan``. Every message is one JSON object:

- open, frontend → kernel: ``{path, notebook_id, capabilities, protocol}`` (``path`` relative
  to the server root, no drive prefix). Accepted: the kernel sends ``{op: "ready", args:
  {protocol}}``. Wrong protocol or malformed: the kernel closes the comm with ``{ok: false,
  error: {type: "ProtocolMismatch" | "InvalidOpen", message}}`` and never uses it.
- request, either way: ``{id, op, args}``; answered once with ``{id, ok: true, result}`` or
  ``{id, ok: false, error: {type, message}}`` (``CellNotFound`` errors add ``cell_id``).
- event, either way: ``{op, args}`` without ``id``; never answered.

Kernel → frontend requests (args → result)::

    get_notebook        {}                                  → {cells: [Cell], active_cell_id}
    insert_cells        {cells: [NewCell + id], after, before} → {cell_ids: [str]}
    replace_cell        {cell_id, source}                   → null
    delete_cells        {cell_ids}                          → null
    run_cells           {cell_ids}                          → {runs: [CellRun]}
    set_cell_metadata   {cell_id, key, value}               → null
    checkpoint          {}                                  → {token}
    restore_checkpoint  {token}                             → null

Kernel → frontend event ``state``; frontend → kernel requests ``set_mode``, ``approve``,
``iterate``, ``reject``, ``build`` go to handlers registered with ``CommRegistry.on``. The
registry (the comm target, one bridge per open comm) lives in ``bridge/locate.py``.

Comm callbacks may run on another thread (ipykernel 7 subshells): replies are handed to
the waiting coroutine's loop with ``call_soon_threadsafe``. Comm messages also queue
behind a running cell, so a request must be awaited from a task after the cell returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from jupyter_plan.bridge.base import PROTOCOL_VERSION, BridgeError, CellNotFound
from jupyter_plan.bridge.file import built_cell_id
from jupyter_plan.models import Cell, CellRun, NewCell, NotebookSnapshot

TARGET = "jupyter_plan"
log = logging.getLogger(__name__)


class CommLike(Protocol):
    """What this module needs of a comm (``comm.base_comm.BaseComm`` fits)."""

    comm_id: str

    def send(self, data: dict[str, Any] | None = None) -> None: ...
    def close(self, data: dict[str, Any] | None = None) -> None: ...
    def on_msg(self, callback: Callable[[dict[str, Any]], None] | None) -> None: ...
    def on_close(self, callback: Callable[[dict[str, Any]], None] | None) -> None: ...


@dataclass(frozen=True)
class FrontendInfo:
    """The comm's open data: which notebook panel is on the other end."""

    path: str
    notebook_id: str
    capabilities: tuple[str, ...]
    protocol: int


@dataclass(frozen=True)
class Rejection:
    """A comm refused at open; kept so the kernel can tell the person why."""

    path: str | None
    message: str


@dataclass
class _Pending:
    op: str
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _settle(pending: _Pending, outcome: Any, error: BaseException | None) -> None:
    if pending.future.done():  # timed out or cancelled meanwhile
        return
    if error is not None:
        pending.future.set_exception(error)
    else:
        pending.future.set_result(outcome)


def _remote_error(op: str, error: Any) -> BridgeError:
    error = error if isinstance(error, dict) else {}
    kind, message = error.get("type", "Error"), error.get("message", "(no message)")
    if kind == "CellNotFound":
        return CellNotFound(str(error.get("cell_id", "?")))
    return BridgeError(f"JupyterLab could not {op}: {message} ({kind})")


FrontendHandler = Callable[["CommBridge", dict[str, Any]], Any]
"""Handles a frontend request or event: ``(bridge, args) -> result`` (may be awaitable)."""


class CommBridge:
    """One notebook panel's comm, as an :class:`~jupyter_plan.bridge.base.EditableBridge`."""

    def __init__(
        self,
        comm: CommLike,
        info: FrontendInfo,
        *,
        timeout: float | None = 30.0,
        run_timeout: float | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        os_path: Path | None = None,
        dispatch: Callable[[CommBridge, str, dict[str, Any]], Any] | None = None,
        on_closed: Callable[[CommBridge], None] | None = None,
    ) -> None:
        self.comm = comm
        self.info = info
        self.path = info.path
        self.os_path = os_path
        self.timeout = timeout  # per request; None waits for ever
        self.run_timeout = run_timeout  # run_cells: cells may legitimately run for hours
        self.loop = loop  # where frontend requests are handled
        self._dispatch = dispatch
        self._on_closed = on_closed
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._closed: str | None = None
        comm.on_msg(self._on_msg)
        comm.on_close(self._on_close)

    @property
    def closed(self) -> bool:
        return self._closed is not None

    # -- requests to the frontend ------------------------------------------------------

    async def request(self, op: str, args: dict[str, Any]) -> Any:
        """Send ``{id, op, args}`` and wait (at most ``timeout`` s) for the answer's result."""
        return await self._request(op, args, self.timeout)

    async def _request(self, op: str, args: dict[str, Any], limit: float | None) -> Any:
        loop = asyncio.get_running_loop()
        rid = uuid.uuid4().hex
        pending = _Pending(op, loop, loop.create_future())
        with self._lock:
            if self._closed is not None:  # never sent: safe to send on another comm
                raise NotSent(f"cannot {op}: {self._closed}")
            self._pending[rid] = pending
        try:
            try:
                self.comm.send({"id": rid, "op": op, "args": args})
            except Exception as exc:
                raise BridgeError(f"could not send {op!r} to JupyterLab: {exc}") from None
            return await asyncio.wait_for(pending.future, limit)
        except TimeoutError:
            raise BridgeError(
                f"JupyterLab did not answer {op!r} within {limit:g} s: is {self.path} still "
                "open in a browser tab? (Requests wait while a cell runs: await them from a "
                "background task, not inside the cell.)"
            ) from None
        finally:
            with self._lock:
                self._pending.pop(rid, None)

    def send_event(self, name: str, data: dict[str, Any]) -> None:
        """Send ``{op: name, args: data}``; the frontend does not answer events."""
        if self._closed is not None:
            raise BridgeError(f"cannot send {name!r}: {self._closed}")
        self.comm.send({"op": name, "args": data})

    def close(self) -> None:
        """Close from the kernel side; waiting requests fail."""
        self._fail_all("the kernel closed the connection to the notebook")
        try:
            self.comm.close()
        except Exception:
            log.debug("closing comm %s failed", self.comm.comm_id, exc_info=True)

    # -- messages from the frontend (any thread) ---------------------------------------

    def _on_msg(self, msg: dict[str, Any]) -> None:
        data = (msg.get("content") or {}).get("data")
        if not isinstance(data, dict):
            log.warning("jupyter_plan comm: ignoring a message without a data object")
            return
        if "ok" in data and "id" in data:
            with self._lock:
                pending = self._pending.pop(str(data["id"]), None)
            if pending is None:
                log.debug("jupyter_plan comm: late or unknown reply %r", data.get("id"))
                return
            error = None if data.get("ok") else _remote_error(pending.op, data.get("error"))
            self._hand_over(pending, data.get("result"), error)
        elif isinstance(data.get("op"), str):
            if self.loop is not None and not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self._serve, data)
            else:
                self._serve(data)
        else:
            log.warning("jupyter_plan comm: ignoring a message with neither op nor ok")

    def _on_close(self, msg: dict[str, Any]) -> None:
        self._fail_all(
            "the notebook's connection closed (tab closed or reloaded, or the kernel "
            "restarted); reopen the notebook to build in it live"
        )

    def supersede(self) -> None:
        """The same panel opened a new comm: this one is dead to it. Waiting requests fail
        with :class:`Superseded` (a caller may send them again on the new one)."""
        self._fail_all("the panel reconnected", Superseded)  # the panel closes its own end

    def _fail_all(self, reason: str, kind: type[BridgeError] = BridgeError) -> None:
        with self._lock:
            if self._closed is not None:
                return
            self._closed = reason
            pending, self._pending = list(self._pending.values()), {}
        for p in pending:
            self._hand_over(p, None, kind(f"{p.op} did not finish: {reason}"))
        if self._on_closed is not None:
            self._on_closed(self)

    @staticmethod
    def _hand_over(pending: _Pending, result: Any, error: BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            pending.loop.call_soon_threadsafe(_settle, pending, result, error)

    def _serve(self, data: dict[str, Any]) -> None:
        rid, op, args = data.get("id"), data["op"], data.get("args") or {}
        try:
            if self._dispatch is None:
                raise BridgeError(f"this kernel handles no frontend requests ({op!r})")
            result = self._dispatch(self, op, args)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                task.add_done_callback(lambda t: self._answer_task(rid, t))
                return
        except Exception as exc:
            self._answer(rid, None, exc)
            return
        self._answer(rid, result, None)

    def _answer_task(self, rid: Any, task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            self._answer(rid, None, BridgeError("cancelled"))
        else:
            self._answer(rid, task.result() if task.exception() is None else None, task.exception())

    def _answer(self, rid: Any, result: Any, error: BaseException | None) -> None:
        if error is not None and rid is None:
            log.warning("jupyter_plan comm: frontend event failed: %s", error)
        if rid is None or self._closed is not None:
            return
        if error is None:
            reply: dict[str, Any] = {"id": rid, "ok": True, "result": result}
        else:
            reply = {"id": rid, "ok": False, "error": error_payload(error)}
        try:
            self.comm.send(reply)
        except Exception:
            log.warning("jupyter_plan comm: could not answer %r", rid, exc_info=True)

    # -- EditableBridge ----------------------------------------------------------------

    async def get_notebook(self) -> NotebookSnapshot:
        result = await self.request("get_notebook", {})
        active = _read("get_notebook", str | None, _field("get_notebook", result, "active_cell_id"))
        return NotebookSnapshot(
            path=str(self.os_path or self.path),
            cells=_read("get_notebook", list[Cell], _field("get_notebook", result, "cells")),
            active_cell_id=active,
        )

    async def insert_cells(
        self, cells: list[NewCell], *, after: str | None = None, before: str | None = None
    ) -> list[str]:
        taken = {c.id for c in (await self.get_notebook()).cells}
        proposed = []
        for cell in cells:  # stable ids, as headless builds give them (frontends honour them)
            cell_id = built_cell_id(taken, cell)
            taken.add(cell_id)
            proposed.append({**cell.model_dump(mode="json"), "id": cell_id})
        args = {"cells": proposed, "after": after, "before": before}
        result = await self.request("insert_cells", args)
        ids: list[str] = _read(
            "insert_cells", list[str], _field("insert_cells", result, "cell_ids")
        )
        if len(ids) != len(cells):
            raise BridgeError(
                f"JupyterLab answered insert_cells with {len(ids)} ids for {len(cells)} cells"
            )
        return ids

    async def replace_cell(self, cell_id: str, source: str) -> None:
        await self.request("replace_cell", {"cell_id": cell_id, "source": source})

    async def delete_cells(self, cell_ids: list[str]) -> None:
        await self.request("delete_cells", {"cell_ids": list(cell_ids)})

    async def run_cells(self, cell_ids: list[str]) -> list[CellRun]:
        args = {"cell_ids": list(cell_ids)}
        result = await self._request("run_cells", args, self.run_timeout)
        runs: list[CellRun] = _read("run_cells", list[CellRun], _field("run_cells", result, "runs"))
        return runs

    async def set_cell_metadata(self, cell_id: str, key: str, value: Any) -> None:
        await self.request("set_cell_metadata", {"cell_id": cell_id, "key": key, "value": value})

    async def checkpoint(self) -> str:
        result = await self.request("checkpoint", {})
        token: str = _read("checkpoint", str, _field("checkpoint", result, "token"))
        return token

    async def restore_checkpoint(self, token: str) -> None:
        await self.request("restore_checkpoint", {"token": token})


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def _read(op: str, kind: Any, value: Any) -> Any:
    try:
        return _adapter(kind).validate_python(value)
    except ValidationError as exc:
        raise BridgeError(
            f"JupyterLab's answer to {op} is not what this kernel expects: {exc}"
        ) from None


def _field(op: str, result: Any, key: str) -> Any:
    if not isinstance(result, dict):
        raise BridgeError(f"JupyterLab answered {op} with {type(result).__name__}, not an object")
    return result.get(key)


def error_payload(error: BaseException) -> dict[str, Any]:
    """``{type, message}`` for an exception (and ``cell_id`` for :class:`CellNotFound`)."""
    payload: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, CellNotFound):
        payload["cell_id"] = error.cell_id
    return payload


def read_open_data(data: Any) -> FrontendInfo:
    """The open data as :class:`FrontendInfo`; a :class:`ProtocolMismatch` when it is not."""
    if not isinstance(data, dict):
        raise ProtocolMismatch("InvalidOpen", "the comm was opened without open data")
    theirs = data.get("protocol")
    if theirs != PROTOCOL_VERSION:
        raise ProtocolMismatch(
            "ProtocolMismatch",
            f"the jupyter-plan JupyterLab extension speaks protocol {theirs!r} but this "
            f"kernel's jupyter-plan speaks {PROTOCOL_VERSION}: install the same jupyter-plan "
            "version in the kernel's environment and in JupyterLab's, then reload the page",
        )
    path, notebook_id = data.get("path"), data.get("notebook_id", "")
    caps = data.get("capabilities", [])
    if not isinstance(path, str) or not path or not isinstance(notebook_id, str):
        raise ProtocolMismatch("InvalidOpen", "the open data needs a notebook path and id")
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise ProtocolMismatch("InvalidOpen", "capabilities must be a list of strings")
    return FrontendInfo(path, notebook_id, tuple(caps), PROTOCOL_VERSION)


class Superseded(BridgeError):
    """The request's comm was replaced by a newer one from the same panel."""


class NotSent(BridgeError):
    """The comm was closed before the request could be sent."""


class ProtocolMismatch(BridgeError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


__all__ = ["TARGET", "CommBridge", "CommLike", "FrontendHandler", "FrontendInfo"]
__all__ += ["NotSent", "ProtocolMismatch", "Rejection", "Superseded", "error_payload"]
__all__ += ["read_open_data"]
