"""The turns a :class:`~jupyter_plan.testing.fake_server.FakeModelServer` plays, and their makers.

Each turn answers one chat request: text, tool calls (possibly malformed), an HTTP error, a body
that is not JSON, a delay, or a stall that blocks until a ``threading.Event`` is set.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    """An assistant message; streamed in ``chunk_size``-character deltas."""

    content: str
    chunk_size: int = 8
    finish_reason: str = "stop"


@dataclass(frozen=True)
class FakeToolCall:
    """One tool call; ``arguments`` is sent verbatim (so it may be invalid JSON)."""

    name: str
    arguments: str = "{}"
    id: str | None = None  # None: call_<turn>_<index>


@dataclass(frozen=True)
class ToolCalls:
    """One or several tool calls in one turn, streamed as OpenAI does: the first delta of each
    call carries id and name, later ones ``fragment_size``-character argument fragments."""

    calls: tuple[FakeToolCall, ...]
    content: str = ""
    fragment_size: int = 12
    finish_reason: str = "tool_calls"


@dataclass(frozen=True)
class HttpError:
    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Garbage:
    """A response that is not JSON (nor SSE), e.g. a proxy's HTML page."""

    body: str = "<html><body>502 upstream hiccup</body></html>"
    status: int = 200
    content_type: str = "text/html"


@dataclass(frozen=True)
class Delayed:
    """Wait ``seconds`` (cut short if the server stops), then play ``turn``."""

    seconds: float
    turn: Turn


@dataclass(frozen=True)
class Stall:
    """Block until ``release`` is set, the client goes away or the server stops.

    With ``after_chunks`` > 0 and a streaming request, ``then`` is streamed and the stall
    happens after that many SSE chunks; otherwise before anything is sent. Once released,
    ``then`` is played (or, when it is None, the connection is closed without an answer).
    ``reached`` is set when the server starts blocking.
    """

    release: threading.Event
    then: Text | ToolCalls | None = None
    after_chunks: int = 0
    reached: threading.Event = field(default_factory=threading.Event, compare=False)


Turn = Text | ToolCalls | HttpError | Garbage | Delayed | Stall
#: Builds the turn for a request body (a parsed JSON dict): for unbounded scripts. Returning
#: None ends the script. Called from the server's handler threads, possibly concurrently.
Responder = Callable[[dict[str, Any]], Turn | None]


def text(content: str, *, chunk_size: int = 8, finish_reason: str = "stop") -> Text:
    return Text(content, chunk_size=chunk_size, finish_reason=finish_reason)


def _args_text(arguments: Mapping[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(dict(arguments))


def tool_call(
    name: str,
    arguments: Mapping[str, Any] | str | None = None,
    *,
    id: str | None = None,
    content: str = "",
    fragment_size: int = 12,
) -> ToolCalls:
    """A turn with one tool call; a mapping is sent as JSON, a string verbatim."""
    call = FakeToolCall(name, _args_text(arguments or {}), id)
    return ToolCalls((call,), content=content, fragment_size=fragment_size)


def tool_calls(
    calls: Sequence[FakeToolCall | tuple[str, Mapping[str, Any] | str]],
    *,
    content: str = "",
    fragment_size: int = 12,
) -> ToolCalls:
    """A turn with several tool calls: ``tool_calls([("read_file", {...}), ("glob", {...})])``."""
    made = tuple(
        c if isinstance(c, FakeToolCall) else FakeToolCall(c[0], _args_text(c[1])) for c in calls
    )
    return ToolCalls(made, content=content, fragment_size=fragment_size)


def malformed_tool_call(
    name: str = "list_cells", arguments: str = '{"cell_id": "a1", ', *, id: str | None = None
) -> ToolCalls:
    """A tool call whose arguments text is not valid JSON."""
    try:
        json.loads(arguments)
    except ValueError:
        return ToolCalls((FakeToolCall(name, arguments, id),))
    raise ValueError(f"malformed_tool_call: {arguments!r} is valid JSON")


def http_error(
    status: int,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
) -> HttpError:
    """An error answer; the body defaults to OpenAI's ``{"error": {...}}`` shape."""
    if body is None:
        error = {"message": message or f"fake server: HTTP {status}", "type": "fake_error"}
        body = json.dumps({"error": {**error, "code": str(status)}})
    extra = dict(headers or {})
    if retry_after is not None:
        extra["Retry-After"] = f"{retry_after:g}"
    return HttpError(status, body, tuple(extra.items()))


def garbage(body: str = Garbage.body, *, status: int = 200) -> Garbage:
    return Garbage(body, status=status)


def delay(seconds: float, turn: Turn) -> Delayed:
    return Delayed(seconds, turn)


def stall(
    release: threading.Event | None = None,
    *,
    then: Text | ToolCalls | None = None,
    after_chunks: int = 0,
) -> Stall:
    """Block until ``release`` is set (a fresh, never-set Event by default)."""
    if after_chunks and then is None:
        raise ValueError("stall(after_chunks=...) needs `then`: the turn to stream")
    return Stall(release or threading.Event(), then=then, after_chunks=after_chunks)
