"""Run code in this kernel's own shell and collect what it shows as nbformat outputs.

The memory and file bridges have no frontend to run cells for them: a headless build runs
inside the kernel that executes the notebook, so a built cell runs right here, in the same
namespace as the user's cells. :class:`ShellExecutor` does that with ``shell.run_cell`` and
catches everything the code shows — stdout/stderr, ``display()``, the value of the last
expression, the traceback — as output dicts instead of letting it reach the cell (or
terminal) that started the build. Errors are outputs, never raised.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from jupyter_plan.bridge.history import history_of
from jupyter_plan.models import CellRun

if TYPE_CHECKING:
    from IPython.core.interactiveshell import ExecutionResult, InteractiveShell


@dataclass(frozen=True)
class Execution:
    """One finished execution: what :class:`CellRun` holds, minus the cell id."""

    status: Literal["ok", "error"]
    execution_count: int | None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # "ename: evalue" when status is error

    def as_run(self, cell_id: str) -> CellRun:
        return CellRun(cell_id=cell_id, **vars(self))


class Executor(Protocol):
    """Runs one cell's code somewhere and reports its outputs. Never raises for user errors."""

    async def execute(self, code: str, *, cell_id: str | None = None) -> Execution: ...


# -- collecting outputs in order ------------------------------------------------------


class _Outputs:
    """nbformat output dicts in the order the code produced them."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._by_display_id: dict[str, list[dict[str, Any]]] = {}
        self._clear_pending = False

    def _add(self, output: dict[str, Any]) -> None:
        if self._clear_pending:  # clear_output(wait=True): clear when the next output comes
            self.items.clear()
            self._by_display_id.clear()
            self._clear_pending = False
        self.items.append(output)

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        last = self.items[-1] if self.items and not self._clear_pending else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text  # consecutive writes make one output, as in a notebook
        else:
            self._add({"output_type": "stream", "name": name, "text": text})

    def display(
        self, data: dict[str, Any], metadata: dict[str, Any] | None, display_id: str | None
    ) -> None:
        output = {
            "output_type": "display_data",
            "data": _bundle(data),
            "metadata": _jsonable(metadata or {}),
        }
        self._add(output)
        if display_id:
            self._by_display_id.setdefault(display_id, []).append(output)

    def update(
        self, data: dict[str, Any], metadata: dict[str, Any] | None, display_id: str
    ) -> None:
        # update_display_data: only outputs of this execution can be updated here.
        for output in self._by_display_id.get(display_id, []):
            output["data"] = _bundle(data)
            output["metadata"] = _jsonable(metadata or {})

    def result(self, data: dict[str, Any], metadata: dict[str, Any], count: int | None) -> None:
        self._add(
            {
                "output_type": "execute_result",
                "execution_count": count,
                "data": _bundle(data),
                "metadata": _jsonable(metadata),
            }
        )

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self._add(
            {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback}
        )

    def clear(self, wait: bool) -> None:
        if wait:
            self._clear_pending = True
        else:
            self.items.clear()
            self._by_display_id.clear()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _bundle(data: dict[str, Any]) -> dict[str, Any]:
    """A MIME bundle as nbformat stores it: binary data base64, everything JSON."""
    out: dict[str, Any] = {}
    for mime, value in data.items():
        if isinstance(value, bytes | bytearray):
            out[mime] = base64.b64encode(bytes(value)).decode("ascii")
        elif isinstance(value, str):
            out[mime] = value
        else:
            out[mime] = _jsonable(value)
    return out


# -- the hooks installed while code runs -------------------------------------------------


class _StreamWriter(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` while the code runs."""

    def __init__(self, name: str, sink: _Outputs) -> None:
        self._name = name
        self._sink = sink

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        self._sink.stream(self._name, text)
        return len(text)


def _publisher(sink: _Outputs) -> Any:
    from IPython.core.displaypub import DisplayPublisher

    class _Publisher(DisplayPublisher):
        """``shell.display_pub``: where ``display()`` sends MIME bundles."""

        def publish(
            self,
            data: dict[str, Any],
            metadata: dict[str, Any] | None = None,
            source: Any = None,
            *,
            transient: dict[str, Any] | None = None,
            update: bool = False,
            **kwargs: Any,
        ) -> None:
            display_id = (transient or {}).get("display_id")
            if update and display_id:
                sink.update(data, metadata, display_id)
            else:
                sink.display(data, metadata, display_id)

        def clear_output(self, wait: bool = False) -> None:
            sink.clear(wait)

    return _Publisher(shell=None)  # no shell: it must not register event hooks each run


class _ResultHook:
    """``sys.displayhook``: the shell's own bookkeeping (``_``, ``Out``, a trailing ``;``),
    but the value becomes an ``execute_result`` output instead of being printed/sent."""

    def __init__(self, shell: InteractiveShell, sink: _Outputs) -> None:
        self._shell = shell
        self._sink = sink

    def __call__(self, result: Any = None) -> None:
        hook = self._shell.displayhook
        hook.check_for_underscore()
        if result is None or hook.quiet():
            return
        data, metadata = hook.compute_format_data(result)
        hook.update_user_ns(result)
        hook.fill_exec_result(result)
        if data:
            self._sink.result(data, metadata, hook.prompt_count)
            hook.log_output(data)


@contextmanager
def _capturing(shell: InteractiveShell, sink: _Outputs) -> Iterator[None]:
    """Send everything the code shows to ``sink``; restore the shell exactly afterwards.

    The display trap's hook is swapped too: ``run_cell`` re-installs it as
    ``sys.displayhook`` when no other cell is running (a background task), and keeps the
    current one when nested inside a running cell (a magic) — both must reach ``sink``.
    """
    for stream in (sys.stdout, sys.stderr):  # what the calling cell printed comes first
        with suppress(Exception):
            stream.flush()
    saved = (sys.stdout, sys.stderr, sys.displayhook, shell.display_pub, shell.display_trap.hook)
    running = shell.displayhook.exec_result  # a cell we are nested in keeps its result
    own = vars(shell).get("_showtraceback")
    hook = _ResultHook(shell, sink)

    def show_traceback(etype: type[BaseException], evalue: BaseException, stb: list[str]) -> None:
        sink.error(etype.__name__, str(evalue), list(stb))

    sys.stdout = _StreamWriter("stdout", sink)
    sys.stderr = _StreamWriter("stderr", sink)
    sys.displayhook = hook
    shell.display_pub = _publisher(sink)
    shell.display_trap.hook = hook
    # The documented override point for "where tracebacks go"; set on the instance only.
    setattr(shell, "_showtraceback", show_traceback)  # noqa: B010
    try:
        yield
    finally:
        sys.stdout, sys.stderr, sys.displayhook, shell.display_pub, shell.display_trap.hook = saved
        shell.displayhook.exec_result = running
        if own is None:
            vars(shell).pop("_showtraceback", None)
        else:
            setattr(shell, "_showtraceback", own)  # noqa: B010


class ShellExecutor:
    """Runs code in ``shell`` as a new cell (history, ``In``/``Out``, execution count).

    Works from inside a running cell (a magic building synchronously) and from a
    background task on the kernel's loop. Code without top-level ``await`` runs through
    the blocking ``run_cell`` and never suspends ``execute``, so a caller can drive it
    without an event loop; code with top-level ``await`` goes through ``run_cell_async``.
    Output is captured process-wide while the code runs: output printed by *other* tasks
    during an ``await`` in the executed code lands in this cell's outputs too.
    """

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self._async_lock: asyncio.Lock | None = None

    async def execute(self, code: str, *, cell_id: str | None = None) -> Execution:
        sink = _Outputs()
        if self._needs_loop(code):
            # Two suspended async runs would restore each other's hooks out of order.
            self._async_lock = self._async_lock or asyncio.Lock()
            async with self._async_lock:
                with _capturing(self.shell, sink):
                    result = await self._run_async(code, cell_id)
        else:
            with _capturing(self.shell, sink):
                result = self.shell.run_cell(code, store_history=True, cell_id=cell_id)
        execution = _finish(result, sink)
        history = history_of(self.shell)
        if history is not None:  # captured, not published: the kernel's history gets it here
            history.record(cell_id, code, execution.outputs, execution.execution_count)
        return execution

    def _needs_loop(self, code: str) -> bool:
        try:
            transformed = self.shell.transform_cell(code)
        except Exception:
            return False  # run_cell reports the error
        return bool(self.shell.should_run_async(code, transformed_cell=transformed))

    async def _run_async(self, code: str, cell_id: str | None) -> ExecutionResult:
        # What ipykernel's do_execute does for a cell with top-level await.
        shell = self.shell
        result: ExecutionResult | None = None
        try:
            result = await shell.run_cell_async(
                code,
                store_history=True,
                transformed_cell=shell.transform_cell(code),
                preprocessing_exc_tuple=None,
                cell_id=cell_id,
            )
        finally:
            shell.events.trigger("post_execute")
            shell.events.trigger("post_run_cell", result)
        return result


def _finish(result: ExecutionResult, sink: _Outputs) -> Execution:
    errors = [o for o in sink.items if o["output_type"] == "error"]
    failure = result.error_before_exec or result.error_in_exec
    if failure is not None and not errors:
        # A UsageError or an exception group is reported without _showtraceback.
        name = type(failure).__name__
        sink.error(name, str(failure), [f"{name}: {failure}"])
        errors = sink.items[-1:]
    ok = failure is None
    return Execution(
        status="ok" if ok else "error",
        execution_count=result.execution_count,
        outputs=sink.items,
        error=None if ok else f"{errors[-1]['ename']}: {errors[-1]['evalue']}",
    )
