"""Run a plan or build to completion from inside a cell (headless: nbclient, papermill).

The cell itself runs on the kernel's event loop, so the agent cannot be awaited there. It
runs on a worker thread with a loop of its own; code the build executes is handed back to
the main thread, where IPython expects to run cells. Ctrl-C (a kernel interrupt) cancels the
worker's task, waits for it to keep its draft, then re-raises.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.execute import Execution, Executor

T = TypeVar("T")
_STOP = object()


class MainThreadPump:
    """Calls made from the worker, run by the main thread while it waits."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def call(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, future))
        return future

    def stop(self) -> None:
        self._queue.put(_STOP)

    def serve(self) -> None:
        """Run calls until :meth:`stop`; a KeyboardInterrupt propagates to the caller."""
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            fn, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # handed to the worker, which reports it
                    future.set_exception(exc)


class PumpedExecutor:
    """An :class:`Executor` for the worker: each cell runs on the main thread."""

    def __init__(self, inner: Executor, pump: MainThreadPump) -> None:
        self.inner, self.pump = inner, pump

    async def execute(self, code: str, *, cell_id: str | None = None) -> Execution:
        future = self.pump.call(lambda: _drive(self.inner.execute(code, cell_id=cell_id)))
        return await asyncio.wrap_future(future)


def _drive(coro: Coroutine[Any, Any, Execution]) -> Execution:
    """Run a coroutine that never suspends (plain code through ``run_cell``) to its end."""
    try:
        coro.send(None)
    except StopIteration as done:
        result: Execution = done.value
        return result
    coro.close()
    raise BridgeError("a cell with top-level 'await' cannot run in a headless build")


def _wind_down(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run`` does before closing its loop: finish leftover tasks and async
    generators (litellm's streams). Else the loop's "Task was destroyed but it is pending!"
    lands on stderr, in the cell's output, where a later run's recording would see it."""
    with contextlib.suppress(Exception):
        leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())


def run_blocking(make: Callable[[MainThreadPump], Coroutine[Any, Any, T]]) -> T:
    """Run ``make(pump)`` on a worker thread and serve the pump until it finishes."""
    pump = MainThreadPump()
    box: dict[str, Any] = {}
    ready = threading.Event()

    def worker() -> None:
        loop = asyncio.new_event_loop()
        try:
            task = loop.create_task(make(pump))
            box["task"], box["loop"] = task, loop
            ready.set()
            box["value"] = loop.run_until_complete(task)
        except BaseException as exc:
            box["error"] = exc
        finally:
            ready.set()
            _wind_down(loop)
            loop.close()
            pump.stop()

    thread = threading.Thread(target=worker, name="jupyter-plan-headless", daemon=True)
    thread.start()
    try:
        pump.serve()
    except KeyboardInterrupt:
        ready.wait()
        task, loop = box.get("task"), box.get("loop")
        if task is not None and loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: it is done
                loop.call_soon_threadsafe(task.cancel)
        pump.serve()  # let the cancelled run finish its cleanup (it may still run cells)
        thread.join()
        raise
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value
