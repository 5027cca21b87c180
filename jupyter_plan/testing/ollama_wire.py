"""Ollama's own API for the fake server: ``/api/chat`` and ``/api/generate``.

Both stream newline-delimited JSON and end with a ``done`` object carrying the counts
(``prompt_eval_count``, ``eval_count``) and timings. ``/api/chat`` sends a turn's tool calls
together, as objects (not JSON text), in one message. ``/api/generate`` has no tools: a
client (litellm's ``ollama/`` route) asks for ``format: json`` and describes the tools in the
prompt, and a model held to one JSON object can express only one call: the fake sends the
first and, like the real model, has no way to send the others.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_plan.testing.turns import ToolCalls
from jupyter_plan.testing.wires import (
    Answer,
    Counts,
    UsageMode,
    arguments_object,
    ndjson,
    split,
)
from jupyter_plan.testing.wires import text_pieces as _pieces

CHAT_PATH = "/api/chat"
GENERATE_PATH = "/api/generate"
_CREATED_AT = "2026-01-01T00:00:00.000000Z"
_NS = 1_000_000  # durations are nanoseconds


class OllamaReply:
    """``/api/chat`` (``generate=False``) or ``/api/generate``."""

    stream_type = "application/x-ndjson"

    def __init__(
        self,
        body: dict[str, Any],
        index: int,
        model: str | None,
        usage: UsageMode,
        *,
        generate: bool = False,
    ) -> None:
        self.body = body
        self.index = index
        self.stream = body.get("stream", True) is not False  # Ollama streams by default
        self.model = model or str(body.get("model") or "llama-fake")
        self.usage = usage
        self.generate = generate
        self.dropped_calls = 0  # tool calls /api/generate could not carry

    def _counts(self, turn: Answer) -> Counts:
        parts = [self.body.get("prompt"), self.body.get("messages"), self.body.get("tools")]
        return Counts(parts, turn, self.usage)

    def _head(self) -> dict[str, Any]:
        return {"model": self.model, "created_at": _CREATED_AT}

    def _done(self, turn: Answer) -> dict[str, Any]:
        done: dict[str, Any] = {**self._head(), "done": True, "done_reason": "stop"}
        if self.generate:
            done.update(response="", context=[1, 2, 3])
        else:
            done["message"] = {"role": "assistant", "content": ""}
        done.update(total_duration=40 * _NS, load_duration=2 * _NS)
        counts = self._counts(turn)
        if counts.sent:
            done.update(
                prompt_eval_count=counts.prompt,
                prompt_eval_duration=10 * _NS,
                eval_count=counts.completion,
                eval_duration=20 * _NS,
            )
        return done

    def _calls(self, turn: Answer) -> list[dict[str, Any]]:
        calls = turn.calls if isinstance(turn, ToolCalls) else ()
        return [
            {"function": {"name": c.name, "arguments": arguments_object(c.arguments)}}
            for c in calls
        ]

    def _generated_text(self, turn: Answer) -> str:
        """What a model held to one JSON object answers: the first call, or the text."""
        if isinstance(turn, ToolCalls) and turn.calls:
            first = turn.calls[0]
            self.dropped_calls = len(turn.calls) - 1
            call = {"name": first.name, "arguments": arguments_object(first.arguments)}
            return json.dumps(call)
        return turn.content

    def message(self, turn: Answer) -> dict[str, Any]:
        done = self._done(turn)
        if self.generate:
            return {**done, "response": self._generated_text(turn)}
        message: dict[str, Any] = {"role": "assistant", "content": turn.content}
        if calls := self._calls(turn):
            message["tool_calls"] = calls
        return {**done, "message": message}

    def frames(self, turn: Answer) -> list[bytes]:
        out: list[bytes] = []
        if self.generate:
            size = turn.fragment_size if isinstance(turn, ToolCalls) else turn.chunk_size
            for piece in split(self._generated_text(turn), size):
                out.append(ndjson({**self._head(), "response": piece, "done": False}))
        else:
            for piece in _pieces(turn):
                message: dict[str, Any] = {"role": "assistant", "content": piece}
                out.append(ndjson({**self._head(), "message": message, "done": False}))
            if calls := self._calls(turn):
                message = {"role": "assistant", "content": "", "tool_calls": calls}
                out.append(ndjson({**self._head(), "message": message, "done": False}))
        out.append(ndjson(self._done(turn)))
        return out
