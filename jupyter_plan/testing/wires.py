"""What every wire format of the fake server shares: how a reply is framed and counted.

A provider's fake (``anthropic_wire``, ``ollama_wire``, ``gemini_wire``, ``responses_wire``,
and OpenAI chat in ``openai_wire``) renders one scripted turn (:class:`Text` or
:class:`ToolCalls`) as that provider's JSON body, or as the frames of its stream, each frame
written and flushed at once: SSE events for most, newline-delimited JSON for Ollama. Usage is
sent where and how the real service sends it; ``usage="zeros"`` sends it all zero (some
servers do) and ``usage="none"`` leaves it out, so clients' fallbacks can be tested.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal, Protocol

from jupyter_plan.testing.openai_wire import ChatReply, estimate_tokens
from jupyter_plan.testing.turns import Text, ToolCalls

UsageMode = Literal["real", "zeros", "none"]
Answer = Text | ToolCalls


class Reply(Protocol):
    """One request's answer in one wire format."""

    stream: bool
    stream_type: str  # the Content-Type of a streamed answer

    def message(self, turn: Answer) -> dict[str, Any]:
        """The whole answer as one JSON body."""
        ...

    def frames(self, turn: Answer) -> list[bytes]:
        """The streamed answer, one element per write."""
        ...


def sse(data: Any, event: str | None = None, *, crlf: bool = False) -> bytes:
    """One server-sent event; ``data`` is JSON-encoded unless it is a string."""
    payload = data if isinstance(data, str) else json.dumps(data)
    end = "\r\n\r\n" if crlf else "\n\n"
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}{end}".encode()


def ndjson(data: Any) -> bytes:
    return (json.dumps(data) + "\n").encode()


def split(value: str, size: int) -> list[str]:
    size = max(1, size)
    return [value[i : i + size] for i in range(0, len(value), size)]


def arguments_object(arguments: str) -> Any:
    """A tool call's arguments as the object providers that send objects send (``{}`` when
    the scripted text is not JSON: such providers cannot send malformed arguments)."""
    try:
        return json.loads(arguments)
    except ValueError:
        return {}


class Counts:
    """Deterministic token counts of one answer (1 per 4 characters of its JSON)."""

    def __init__(self, request_parts: list[Any], turn: Answer, mode: UsageMode) -> None:
        out = turn.content
        if isinstance(turn, ToolCalls):
            out += "".join(c.name + c.arguments for c in turn.calls)
        self.mode = mode
        zero = mode == "zeros"
        self.prompt = 0 if zero else estimate_tokens(request_parts)
        self.completion = 0 if zero else estimate_tokens(out)

    @property
    def sent(self) -> bool:
        return self.mode != "none"


class OpenAIChat:
    """OpenAI chat completions (also vLLM, LM Studio, llama.cpp, a LiteLLM proxy), framed."""

    stream_type = "text/event-stream"

    def __init__(self, body: dict[str, Any], index: int, model: str | None, usage: UsageMode):
        self.reply = ChatReply(body, index, model=model, stream_usage=usage != "none")
        self.stream = self.reply.stream
        self.zeros = usage == "zeros"

    def message(self, turn: Answer) -> dict[str, Any]:
        return self._zeroed(self.reply.message(turn))

    def frames(self, turn: Answer) -> list[bytes]:
        out = []
        for payload in self.reply.chunks(turn):
            if payload != "[DONE]" and self.zeros and '"usage"' in payload:
                payload = json.dumps(self._zeroed(json.loads(payload)))
            out.append(sse(payload))
        return out

    def _zeroed(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.zeros and "usage" in data:
            data["usage"] = dict.fromkeys(data["usage"], 0)
        return data


def text_pieces(turn: Answer) -> Iterator[str]:
    size = turn.chunk_size if isinstance(turn, Text) else turn.fragment_size
    yield from split(turn.content, size)
