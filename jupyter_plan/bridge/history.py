"""What this kernel ran: each execution's cell, code, execution count and outputs.

The agent sees a notebook's cells with the outputs *this kernel* produced for them, not the
outputs a file or a browser tab happens to hold. That is what makes a replay independent of
the runner: JupyterLab's tab, ``nbconvert --execute``, papermill and nbclient each hold
their own copy of the notebook (often none of it on disk), but every one of them asks this
kernel to run the cells, and the kernel publishes the same outputs under each. A cell this
kernel never ran shows no outputs, which is also the truth about its variables.

:func:`install` (at ``%load_ext``) taps the kernel's ``Session.send``: an ``execute_input``
opens an entry for its request (the code, and the cell id JupyterLab puts in the request's
metadata), and outputs published with that request as parent fill it. Cells a headless build
runs itself (their outputs are captured, not published) are added with :meth:`record`.
Standard library only: ``%load_ext`` must stay light.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LIMIT = 500  # executions kept (the oldest go first): a long session must not grow for ever
_OUTPUTS = frozenset({"stream", "display_data", "execute_result", "error"})


@dataclass
class Ran:
    """One execution: the cell id (when the frontend sent one), its code, count, outputs."""

    cell_id: str | None
    code: str
    execution_count: int | None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    clear_pending: bool = False  # clear_output(wait=True): clear at the next output


@dataclass(frozen=True)
class RunningCell:
    """The cell whose execution is running now, as its execute request says."""

    cell_id: str | None  # JupyterLab and Notebook 7 send it (metadata ``cellId``)
    code: str | None  # the executed source; None outside a kernel (terminal IPython)


class History:
    """The executions of one kernel, newest last (see the module doc)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, Ran] = OrderedDict()  # request msg_id -> execution
        self._serial = 0

    def latest(self, cell_id: str, source: str) -> Ran | None:
        """The newest execution of this cell: by its id when the run had one, else by its
        source (headless runners send no cell id). None: this kernel never ran it."""
        with self._lock:
            runs = list(self._runs.values())
        for ran in reversed(runs):
            if ran.cell_id == cell_id or (ran.cell_id is None and ran.code == source):
                return ran
        return None

    def record(
        self,
        cell_id: str | None,
        code: str,
        outputs: list[dict[str, Any]],
        execution_count: int | None,
    ) -> None:
        """An execution whose outputs were captured rather than published (headless builds)."""
        with self._lock:
            self._serial += 1
            self._add(f"recorded-{self._serial}", Ran(cell_id, code, execution_count, outputs))

    def _add(self, key: str, ran: Ran) -> None:
        self._runs[key] = ran
        while len(self._runs) > self.limit:
            self._runs.popitem(last=False)

    # -- the tap --------------------------------------------------------------------------

    def observe(self, msg_type: str, content: Any, parent: Any) -> None:
        """One message the kernel sent on any channel (only iopub outputs count)."""
        if not isinstance(content, Mapping) or not isinstance(parent, Mapping):
            return
        header = parent.get("header", parent)
        msg_id = header.get("msg_id") if isinstance(header, Mapping) else None
        if not isinstance(msg_id, str):
            return
        with self._lock:
            if msg_type == "execute_input":
                metadata = parent.get("metadata") if "header" in parent else None
                cell_id = metadata.get("cellId") if isinstance(metadata, Mapping) else None
                self._add(
                    msg_id,
                    Ran(
                        cell_id if isinstance(cell_id, str) else None,
                        str(content.get("code", "")),
                        content.get("execution_count"),
                    ),
                )
            elif msg_type == "update_display_data":
                self._update(content)
            elif (ran := self._runs.get(msg_id)) is not None:
                self._output(ran, msg_type, dict(content))

    def _output(self, ran: Ran, msg_type: str, content: dict[str, Any]) -> None:
        if msg_type == "clear_output":
            if content.get("wait"):
                ran.clear_pending = True
            else:
                ran.outputs.clear()
            return
        if msg_type not in _OUTPUTS:
            return
        if ran.clear_pending:
            ran.outputs.clear()
            ran.clear_pending = False
        output = {"output_type": msg_type, **content}
        output.pop("transient", None)
        last = ran.outputs[-1] if ran.outputs else None
        if (
            msg_type == "stream"
            and last is not None
            and last["output_type"] == "stream"
            and last.get("name") == content.get("name")
        ):
            last["text"] = str(last.get("text", "")) + str(content.get("text", ""))
            return
        if (display_id := (content.get("transient") or {}).get("display_id")) is not None:
            output["_display_id"] = display_id
        ran.outputs.append(output)

    def _update(self, content: Mapping[str, Any]) -> None:
        display_id = (content.get("transient") or {}).get("display_id")
        if display_id is None:
            return
        for ran in self._runs.values():
            for output in ran.outputs:
                if output.get("_display_id") == display_id:
                    output["data"] = content.get("data", {})
                    output["metadata"] = content.get("metadata", {})


# What asyncio prints on stderr about the kernel's own tasks (a message handler collected
# while pending, a loop closed with callbacks left), into whichever cell happens to run:
# not that cell's output, and it comes and goes with timing (Restart Kernel and Run All).
_LOOP_NOISE = re.compile(
    r"^(Task was destroyed but it is pending!"
    r"|task: <Task pending .*>"
    r"|.*[/\\]asyncio[/\\]\w+\.py:\d+: RuntimeWarning: coroutine .* was never awaited"
    r"|\s+self\._ready\.clear\(\)"
    r"|RuntimeWarning: Enable tracemalloc to get the object allocation traceback)$"
)


def outputs_of(ran: Ran) -> list[dict[str, Any]]:
    """The execution's outputs as nbformat dicts (without the tap's bookkeeping, and without
    asyncio's messages about the kernel's own tasks: see ``_LOOP_NOISE``)."""
    found = []
    for output in ran.outputs:
        output = {k: v for k, v in output.items() if k != "_display_id"}
        if output["output_type"] == "stream" and "Task was destroyed" in str(output.get("text")):
            lines = str(output["text"]).splitlines(keepends=True)
            output["text"] = "".join(s for s in lines if not _LOOP_NOISE.match(s.rstrip("\n")))
            if not output["text"]:
                continue
        found.append(output)
    return found


def install(kernel: Any) -> History:
    """Tap ``kernel.session.send`` once per kernel; returns the kernel's history."""
    existing = getattr(kernel, "_jupyter_plan_history", None)
    if isinstance(existing, History):
        return existing
    history = History()
    session = getattr(kernel, "session", None)
    if session is None:  # not an ipykernel (a test double, a bare shell): nothing to tap
        return history
    send: Callable[..., Any] = session.send

    def tapped(stream: Any, msg_or_type: Any, content: Any = None, parent: Any = None, *args: Any,
               **kwargs: Any) -> Any:  # fmt: skip
        sent = send(stream, msg_or_type, content, parent, *args, **kwargs)
        try:
            if isinstance(msg_or_type, Mapping):
                kind = msg_or_type.get("header", {}).get("msg_type") or msg_or_type.get("msg_type")
                history.observe(
                    str(kind), msg_or_type.get("content"), msg_or_type.get("parent_header")
                )
            else:
                history.observe(str(msg_or_type), content, parent)
        except Exception:  # the tap must never break the kernel's messages
            pass
        return sent

    session.send = tapped
    kernel._jupyter_plan_history = history
    return history


def history_of(shell: Any) -> History | None:
    """This kernel's history, or None (no kernel, or jupyter_plan was never loaded)."""
    kernel = getattr(shell, "kernel", None)
    found = getattr(kernel, "_jupyter_plan_history", None)
    return found if isinstance(found, History) else None


def running_cell(shell: Any) -> RunningCell:
    """The cell being executed now: its id and code from the kernel's execute request."""
    kernel = getattr(shell, "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    parent = get_parent("shell") if callable(get_parent) else None
    if not isinstance(parent, Mapping):
        return RunningCell(None, None)
    if (parent.get("header") or {}).get("msg_type") != "execute_request":
        return RunningCell(None, None)
    metadata = parent.get("metadata") or {}
    cell_id = metadata.get("cellId") if isinstance(metadata, Mapping) else None
    code = (parent.get("content") or {}).get("code")
    return RunningCell(
        cell_id if isinstance(cell_id, str) else None, code if isinstance(code, str) else None
    )
