"""Run code in a remote kernel through a Jupyter server's REST API and kernel websocket.

What a browser does without the browser: create a session for a notebook
(``POST api/sessions``), open ``api/kernels/<id>/channels`` with the user's token and send
``execute_request`` messages (JSON, the default websocket protocol of jupyter-server). It
works through JupyterHub's proxy (``<hub>/user/<name>/``) as on a plain server. ::

    kernel = await RemoteKernel.open(server_url, token, "analysis.ipynb")
    try:
        result = await kernel.execute("%load_ext jupyter_plan")
        assert result.ok, result.error
    finally:
        await kernel.close()

No cell id is sent (as nbclient and papermill do), so jupyter-plan runs these cells headless.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

__all__ = ["Execution", "RemoteKernel", "server_api"]

EXECUTE_TIMEOUT = 240.0  # seconds for one cell (a plan or a build on 2 busy cores)


def server_api(server_url: str, token: str, method: str, path: str, body: object = None) -> Any:
    """A Jupyter server's REST API (``server_url`` ends with ``/``); non-2xx raises."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server_url + path, data=data, method=method)
    req.add_header("Authorization", f"token {token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"{method} {server_url}{path}: HTTP {err.code}") from None
    return json.loads(raw) if raw else None


@dataclass
class Execution:
    """What one execute request produced."""

    status: str = ""  # the execute_reply's status: ok, error, aborted
    stdout: str = ""
    stderr: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)  # iopub content, in order
    error: str = ""  # ename: evalue, then the traceback (ANSI codes left in)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def text(self) -> str:
        """stdout, stderr and every text/plain or text/markdown shown, for assertions."""
        shown = [
            str(o.get("data", {}).get(mime, ""))
            for o in self.outputs
            for mime in ("text/plain", "text/markdown")
        ]
        return "\n".join([self.stdout, self.stderr, *shown, self.error])


class RemoteKernel:
    """A kernel of a (hub-spawned) Jupyter server, driven over its websocket."""

    def __init__(
        self, server_url: str, token: str, session: dict[str, Any], conn: WebSocketClientConnection
    ) -> None:
        self.server_url, self.token = server_url, token
        self.session_id = str(session["id"])
        self.kernel_id = str(session["kernel"]["id"])
        self._conn = conn
        # The server re-signs what it forwards to the kernel: this key only quiets a warning.
        self._session = Session(key=b"unused", username="team-test")

    @classmethod
    async def open(cls, server_url: str, token: str, notebook: str) -> RemoteKernel:
        """Start a python3 kernel for ``notebook`` (a path relative to the server's root)."""
        body = {
            "path": notebook,
            "name": notebook,
            "type": "notebook",
            "kernel": {"name": "python3"},
        }
        session = await asyncio.to_thread(
            server_api, server_url, token, "POST", "api/sessions", body
        )
        ws_url = (
            server_url.replace("http", "ws", 1) + f"api/kernels/{session['kernel']['id']}/channels"
        )
        request = HTTPRequest(ws_url, headers={"Authorization": f"token {token}"})
        conn = await websocket_connect(request, max_message_size=64 * 1024 * 1024)
        return cls(server_url, token, session, conn)

    async def execute(self, code: str, *, timeout: float = EXECUTE_TIMEOUT) -> Execution:
        """Run ``code`` as one cell; returns when the kernel is idle again after it."""
        msg = self._session.msg(
            "execute_request",
            {"code": code, "silent": False, "store_history": True, "user_expressions": {},
             "allow_stdin": False, "stop_on_error": True},
        )  # fmt: skip
        msg["channel"] = "shell"
        await self._conn.write_message(json.dumps(msg, default=json_default))
        return await asyncio.wait_for(self._collect(msg["header"]["msg_id"]), timeout)

    async def _collect(self, msg_id: str) -> Execution:
        result = Execution()
        replied = idle = False
        while not (replied and idle):
            raw = await self._conn.read_message()
            if raw is None:
                raise ConnectionError(f"kernel {self.kernel_id}: websocket closed")
            if not isinstance(raw, str):
                continue  # binary frames carry buffers (widgets): not needed here
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "execute_reply":
                replied, result.status = True, content["status"]
            elif kind == "status":
                idle = content["execution_state"] == "idle"
            elif kind == "stream":
                name = "stdout" if content["name"] == "stdout" else "stderr"
                setattr(result, name, getattr(result, name) + content["text"])
            elif kind == "error":
                trace = "\n".join(content.get("traceback", []))
                result.error = f"{content['ename']}: {content['evalue']}\n{trace}"
            elif kind in ("display_data", "execute_result", "update_display_data"):
                result.outputs.append(content)  # an update follows what it updates
        return result

    async def close(self) -> None:
        """Close the websocket and shut the session's kernel down."""
        self._conn.close()
        await asyncio.to_thread(
            server_api, self.server_url, self.token, "DELETE", f"api/sessions/{self.session_id}"
        )
