"""A real local kernel for the benchmarks, driven message by message so each figure is taken
where a person would feel it (the request leaving, the reply arriving). ::

    with LocalKernel(project, env) as kernel:
        kernel.run("%load_ext jupyter_plan")
        reply = kernel.wait(kernel.send("%plan list"))   # reply.elapsed: seconds
        comm_id, opened = kernel.open_panel("bench.ipynb")  # what the lab extension sends
        state = kernel.event(comm_id, "state")            # state.at - opened: the push

Times are ``time.perf_counter()`` in this process, taken as each message is read (one thread
blocked in a poll on the shell and iopub sockets), so they compare with timestamps a fake
model server in this process records. The kernel is shut down by its manager on exit.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import zmq
from jupyter_client.manager import KernelManager, start_new_kernel

__all__ = ["CommEvent", "LocalKernel", "Reply", "Sent"]

TIMEOUT = 900.0  # seconds for one answer: 5,000 plans are slow today (that is the point)


@dataclass(frozen=True)
class Sent:
    msg_id: str
    at: float  # perf_counter() just before the request was sent


@dataclass
class Reply:
    sent: Sent
    status: str = ""  # the execute_reply's: ok, error, aborted
    idle: bool = False
    text: str = ""  # stdout, stderr, text/plain and text/markdown outputs, the error
    replied_at: float = 0.0  # perf_counter() when the execute_reply arrived

    @property
    def elapsed(self) -> float:
        """Request sent -> execute_reply read, in seconds."""
        return self.replied_at - self.sent.at


@dataclass(frozen=True)
class CommEvent:
    comm_id: str
    data: dict[str, Any]
    at: float


class LocalKernel:
    """A ``python3`` kernel in ``cwd`` with ``env`` added to this process's environment."""

    def __init__(self, cwd: Path, env: Mapping[str, str]) -> None:
        self.cwd, self.env = cwd, dict(env)
        self.events: list[CommEvent] = []
        self._replies: dict[str, Reply] = {}
        self._km: KernelManager | None = None
        self._kc: Any = None
        self._poller = zmq.Poller()

    def __enter__(self) -> Self:
        env = {**os.environ, **self.env}
        self._km, self._kc = start_new_kernel(kernel_name="python3", cwd=str(self.cwd), env=env)
        for channel in (self._kc.shell_channel, self._kc.iopub_channel):
            self._poller.register(channel.socket, zmq.POLLIN)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._kc is not None:
            self._kc.stop_channels()
        if self._km is not None:
            self._km.shutdown_kernel(now=True)

    # -- requests ---------------------------------------------------------------------

    def send(self, code: str, metadata: Mapping[str, Any] | None = None) -> Sent:
        """Send an execute request (``metadata``: e.g. JupyterLab's ``cellId``)."""
        content = {"code": code, "silent": False, "store_history": True,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}  # fmt: skip
        msg = self._kc.session.msg("execute_request", content, metadata=dict(metadata or {}))
        sent = Sent(msg["header"]["msg_id"], time.perf_counter())
        self._replies[sent.msg_id] = Reply(sent)
        self._kc.shell_channel.send(msg)
        return sent

    def wait(self, sent: Sent, timeout: float = TIMEOUT) -> Reply:
        """Read messages until ``sent``'s reply and its idle status have both arrived."""
        reply = self._replies[sent.msg_id]
        deadline = time.monotonic() + timeout
        while not (reply.status and reply.idle):
            self._pump(deadline)
        return reply

    def run(self, code: str, timeout: float = TIMEOUT) -> Reply:
        """Execute ``code`` and wait; a failing cell raises with its text."""
        reply = self.wait(self.send(code), timeout)
        if reply.status != "ok":
            raise RuntimeError(f"cell failed: {code[:60]!r}: {reply.text[-2000:]}")
        return reply

    def open_panel(self, notebook: str) -> tuple[str, float]:
        """Open a ``jupyter_plan`` comm as a JupyterLab panel does: ``(comm_id, sent at)``."""
        comm_id = uuid.uuid4().hex
        data = {"path": notebook, "notebook_id": comm_id,
                "capabilities": ["edit", "run", "checkpoint"], "protocol": 1}  # fmt: skip
        msg = self._kc.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": "jupyter_plan", "data": data}
        )
        at = time.perf_counter()
        self._kc.shell_channel.send(msg)
        return comm_id, at

    def close_panel(self, comm_id: str) -> None:
        self._kc.shell_channel.send(
            self._kc.session.msg("comm_close", {"comm_id": comm_id, "data": {}})
        )

    def event(self, comm_id: str, op: str, timeout: float = TIMEOUT) -> CommEvent:
        """The first ``op`` event the kernel sent on ``comm_id`` (waiting for it)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.comm_id == comm_id and event.data.get("op") == op:
                    return event
            self._pump(deadline)

    # -- plumbing ---------------------------------------------------------------------

    def _pump(self, deadline: float) -> None:
        """Wait for the next message(s) on shell or iopub and file them."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the kernel did not answer in time")
        ready = dict(self._poller.poll(timeout=int(min(left, 1.0) * 1000) + 1))
        at = time.perf_counter()
        for channel in (self._kc.shell_channel, self._kc.iopub_channel):
            if channel.socket in ready:
                self._file(channel.get_msg(timeout=0), at)

    def _file(self, msg: dict[str, Any], at: float) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_msg":
            self.events.append(CommEvent(content["comm_id"], content["data"], at))
            return
        reply = self._replies.get(msg["parent_header"].get("msg_id", ""))
        if reply is None:
            return
        if kind == "execute_reply":
            reply.status, reply.replied_at = content["status"], at
        elif kind == "status":
            reply.idle = reply.idle or content["execution_state"] == "idle"
        elif kind == "stream":
            reply.text += content["text"]
        elif kind in ("display_data", "execute_result", "update_display_data"):
            data = content.get("data", {})
            reply.text += "".join(str(data.get(m, "")) for m in ("text/plain", "text/markdown"))
        elif kind == "error":
            reply.text += f"{content['ename']}: {content['evalue']}"
