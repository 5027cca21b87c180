"""A fake OpenAI-compatible chat server on 127.0.0.1 that plays a script of turns.

Test policies, skills and agent code offline, through the real HTTP path of any client::

    from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call

    with FakeModelServer([tool_call("list_cells", {}), text("Done.")]) as srv:
        litellm.completion(model="openai/fake", api_base=srv.base_url, api_key="k", ...)
        assert len(srv.requests) == 1

Each POST to ``/v1/chat/completions`` (or ``/chat/completions``) takes the next turn (see
:mod:`jupyter_plan.testing.turns`); JSON or SSE follows the request's ``stream`` flag. Stalls
wait on a ``threading.Event`` (never a clock), so timeout and cancellation tests need no sleeps.
Stdlib only; nothing here imports litellm.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from jupyter_plan.testing.cut import Cut, cut
from jupyter_plan.testing.openai_wire import estimate_tokens
from jupyter_plan.testing.routes import SENT_KEY, reply_for, sent_key
from jupyter_plan.testing.turns import (
    Delayed,
    FakeToolCall,
    Garbage,
    HttpError,
    Responder,
    Stall,
    Text,
    ToolCalls,
    Turn,
    delay,
    garbage,
    http_error,
    malformed_tool_call,
    stall,
    text,
    tool_call,
    tool_calls,
)
from jupyter_plan.testing.wires import Reply, UsageMode

__all__ = [
    "NO_MORE_TURNS",
    "Cut",
    "Delayed",
    "FakeModelServer",
    "FakeToolCall",
    "Garbage",
    "HttpError",
    "RecordedRequest",
    "Responder",
    "Stall",
    "Text",
    "ToolCalls",
    "Turn",
    "cut",
    "delay",
    "estimate_tokens",
    "garbage",
    "http_error",
    "malformed_tool_call",
    "stall",
    "text",
    "tool_call",
    "tool_calls",
]

NO_MORE_TURNS = "fake server: no more scripted turns"
_POLL_S = 0.02  # how often a stall looks at its socket: an Event cannot be select()ed


# -- what the server saw --------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any] | None  # None when the body was not a JSON object
    raw: bytes


# -- the server -----------------------------------------------------------------------


class FakeModelServer:
    """Serve scripted turns on 127.0.0.1 (a free port) from a background thread.

    ``script`` is a sequence of turns played in order, or a :data:`Responder` called for every
    request. Unused turns are in ``remaining``; every request is in ``requests``. With
    ``stream_usage=False`` streams never carry a usage chunk, with ``zero_usage=True`` every
    count is 0 (to test counting fallbacks). The wire format follows the request's path (see
    :mod:`jupyter_plan.testing.routes`): OpenAI chat, Anthropic, Ollama, Gemini, Responses.
    """

    def __init__(
        self,
        script: Iterable[Turn | Cut] | Responder = (),
        *,
        stream_usage: bool = True,
        zero_usage: bool = False,
        model: str | None = None,
    ) -> None:
        self._responder: Responder | None = script if callable(script) else None
        self._turns: deque[Turn | Cut] = deque() if callable(script) else deque(script)
        self.stream_usage = stream_usage
        self.zero_usage = zero_usage
        self.model = model  # None: echo the request's model
        self.requests: list[RecordedRequest] = []
        #: Set when a client closed its connection while the server was stalled or streaming.
        self.disconnected = threading.Event()
        self.disconnects = 0
        self._lock = threading.Lock()
        self._served = 0
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("FakeModelServer already started")
        self._closing.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, fake=self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeModelServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release stalls, close open connections and join every thread."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._closing.set()
        httpd.shutdown()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:  # wakes handler threads blocked reading a kept-alive connection
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()  # joins the handler threads
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeModelServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``api_base`` to give a client: ``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # script ---------------------------------------------------------------------------

    def push(self, *turns: Turn | Cut) -> None:
        """Append turns to a running script."""
        with self._lock:
            self._turns.extend(turns)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._turns)

    def _next_turn(self, body: dict[str, Any]) -> tuple[int, Turn | Cut | None]:
        with self._lock:
            self._served += 1
            index = self._served
            if self._responder is None:
                return index, self._turns.popleft() if self._turns else None
        return index, self._responder(body)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _note_disconnect(self) -> None:
        with self._lock:
            self.disconnects += 1
        self.disconnected.set()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins them: a clean stop
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], *, fake: Any) -> None:
        self.fake: FakeModelServer = fake
        super().__init__(address, handler)


class _ClientGone(Exception):
    """The client closed the connection (or the server is stopping)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real providers
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Send each SSE event at once, as real servers do (Nagle would batch small writes).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake._lock:
            self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.fake._lock:
            self.server.fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):  # the client may be gone already
            super().finish()

    def handle(self) -> None:
        # A client dropping a kept-alive connection is normal, not a server error.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake._record(RecordedRequest(self.path, headers, body, raw))
        usage: UsageMode = "zeros" if fake.zero_usage else "real" if fake.stream_usage else "none"
        if reply_for(self.path, {}, 0, fake.model, usage) is None:
            self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
            return
        if body is None:
            self._send(400, json.dumps({"error": {"message": "request body is not JSON"}}))
            return
        refusal = getattr(reply_for(self.path, body, 0, fake.model, usage), "refusal", None)
        if refusal is not None and (refused := refusal()) is not None:
            self._send(*refused)  # the service refuses this request, whatever the script
            return
        index, turn = fake._next_turn(body)
        if turn is None:
            self._send(500, json.dumps({"error": {"message": NO_MORE_TURNS, "type": "fake"}}))
            return
        reply = reply_for(self.path, body, index, fake.model, usage)
        assert reply is not None
        if isinstance(turn, HttpError) and SENT_KEY in turn.body:  # a server echoing the key
            turn = HttpError(turn.status, turn.body.replace(SENT_KEY, sent_key(headers, self.path)),
                             turn.headers)  # fmt: skip
        try:
            self._play(turn, reply)
        except (_ClientGone, BrokenPipeError, ConnectionResetError):
            if not fake._closing.is_set():
                fake._note_disconnect()
            self.close_connection = True

    # playing turns ----------------------------------------------------------------------

    def _play(self, turn: Turn | Cut, reply: Reply) -> None:
        if isinstance(turn, Delayed):
            if self.server.fake._closing.wait(turn.seconds):
                raise _ClientGone
            self._play(turn.turn, reply)
        elif isinstance(turn, Stall):
            self._stall(turn, reply)
        elif isinstance(turn, Cut):
            frames = reply.frames(turn.then) if reply.stream else [b'{"choices": [{"ind']
            self._stream(frames[: turn.after_frames], reply.stream_type, end=False)
            self.close_connection = True  # hang up mid-answer
        elif isinstance(turn, HttpError):
            self._send(turn.status, turn.body, dict(turn.headers))
        elif isinstance(turn, Garbage):
            self._send(turn.status, turn.body, content_type=turn.content_type)
        elif reply.stream:
            self._stream(reply.frames(turn), reply.stream_type)
        else:
            self._send(200, json.dumps(reply.message(turn)))

    def _stall(self, turn: Stall, reply: Reply) -> None:
        if turn.then is not None and turn.after_chunks and reply.stream:
            frames = reply.frames(turn.then)
            self._stream(frames[: turn.after_chunks], reply.stream_type, end=False)
            self._wait(turn)
            self._stream(frames[turn.after_chunks :], reply.stream_type, start=False)
            return
        self._wait(turn)
        if turn.then is None:
            self.close_connection = True  # released with nothing to say: hang up
            return
        self._play(turn.then, reply)

    def _wait(self, turn: Stall) -> None:
        """Block until released; raise _ClientGone if the client hangs up or the server stops."""
        turn.reached.set()
        closing = self.server.fake._closing
        while not turn.release.is_set():
            if closing.is_set():
                raise _ClientGone
            readable, _, _ = select.select([self.connection], [], [], _POLL_S)
            if readable:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        raise _ClientGone
                except (ConnectionResetError, BlockingIOError):
                    raise _ClientGone from None
                turn.release.wait(_POLL_S)  # data pending (not a hang-up): don't spin

    def _send(
        self,
        status: int,
        body: str,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(
        self, frames: Iterable[bytes], content_type: str, *, start: bool = True, end: bool = True
    ) -> None:
        """Write frames with chunked transfer encoding, one write (and flush) per frame."""
        if start:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
        for data in frames:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        if end:
            self.wfile.write(b"0\r\n\r\n")
