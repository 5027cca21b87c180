"""One answer from a person, given on any thread and awaited on the kernel's event loop.

ipykernel 7 may run widget callbacks on a subshell thread (ARCHITECTURE §5), and an
``asyncio.Future`` may only be touched on its loop's thread: :class:`Outcome` takes the answer
under a lock and resolves waiters with ``loop.call_soon_threadsafe``. The first answer wins;
a second click (two browser tabs, a stale comm message) is refused, never a second decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


class Locked(RuntimeError):
    """The widget already has its answer (or was cancelled); it takes no other."""


class Outcome(Generic[T]):
    """A one-shot result: :meth:`set` from any thread, :meth:`wait` on the event loop.

    ``loop`` is the loop that will await (captured when the magic starts); without one, the
    first :meth:`wait` captures its own running loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._state = "pending"  # pending | set | cancelled
        self._value: T | None = None
        self._waiters: list[asyncio.Future[T]] = []

    @property
    def pending(self) -> bool:
        return self._state == "pending"

    def set(self, value: T) -> None:
        """Record the answer and wake every waiter on its loop; :class:`Locked` if answered."""
        with self._lock:
            if self._state != "pending":
                raise Locked(f"already {self._state}")
            self._state, self._value = "set", value
            waiters = list(self._waiters)
        for future in waiters:
            self._soon(_settle, future, value)

    def cancel(self) -> bool:
        """No answer will come (the task was interrupted): waiters are cancelled."""
        with self._lock:
            if self._state != "pending":
                return False
            self._state = "cancelled"
            waiters = list(self._waiters)
        for future in waiters:
            self._soon(future.cancel)
        return True

    async def wait(self) -> T:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is None:
                self._loop = loop
            elif self._loop is not loop:
                raise RuntimeError("awaited on another event loop than the one it resolves on")
            if self._state == "set":
                return cast(T, self._value)
            if self._state == "cancelled":
                raise asyncio.CancelledError("cancelled before an answer was given")
            future: asyncio.Future[T] = loop.create_future()
            self._waiters.append(future)
        try:
            return await future
        finally:
            with self._lock:
                self._waiters.remove(future)

    def _soon(self, callback: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None:  # nobody has awaited yet: waiters did not exist either
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to wake
            loop.call_soon_threadsafe(callback, *args)


def _settle(future: asyncio.Future[T], value: T) -> None:
    if not future.done():  # the waiter may have been cancelled meanwhile
        future.set_result(value)
