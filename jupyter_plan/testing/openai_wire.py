"""OpenAI's chat-completions wire format for the fake server: one scripted turn as a
``chat.completion`` JSON body or as the SSE chunk payloads a streaming client reads (streamed
tool-call argument fragments, the final usage chunk). Deterministic: fixed ids and timestamp."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from jupyter_plan.testing.turns import FakeToolCall, Text, ToolCalls

_CREATED = 1_700_000_000  # a fixed timestamp keeps responses deterministic


def estimate_tokens(value: Any) -> int:
    """Deterministic token estimate: 1 per 4 characters of compact JSON (at least 1)."""
    chars = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, math.ceil(len(chars) / 4))


class ChatReply:
    """Renders a Text / ToolCalls turn as a chat.completion or as SSE chunk payloads."""

    def __init__(
        self, body: dict[str, Any], index: int, *, model: str | None, stream_usage: bool
    ) -> None:
        self.body = body
        self.index = index
        self.stream = bool(body.get("stream"))
        self.model = model or str(body.get("model") or "fake")
        options = body.get("stream_options") or {}
        self.stream_usage = stream_usage and bool(options.get("include_usage"))
        self.id = f"chatcmpl-fake-{index}"

    def usage(self, turn: Text | ToolCalls) -> dict[str, int]:
        prompt = estimate_tokens([self.body.get("messages", []), self.body.get("tools", [])])
        out = turn.content
        if isinstance(turn, ToolCalls):
            out += "".join(c.name + c.arguments for c in turn.calls)
        completion = estimate_tokens(out)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _call_id(self, call: FakeToolCall, i: int) -> str:
        return call.id or f"call_{self.index}_{i}"

    def message(self, turn: Text | ToolCalls) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": turn.content or None}
        if isinstance(turn, ToolCalls):
            message["tool_calls"] = [
                {
                    "id": self._call_id(c, i),
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for i, c in enumerate(turn.calls)
            ]
        return {
            **self._envelope("chat.completion"),
            "choices": [{"index": 0, "message": message, "finish_reason": turn.finish_reason}],
            "usage": self.usage(turn),
        }

    def chunks(self, turn: Text | ToolCalls) -> Iterator[str]:
        """The SSE ``data:`` payloads of a streamed turn, ending with ``[DONE]``."""
        yield self._chunk({"role": "assistant", "content": ""})
        size = turn.chunk_size if isinstance(turn, Text) else turn.fragment_size
        for piece in _split(turn.content, size):
            yield self._chunk({"content": piece})
        if isinstance(turn, ToolCalls):
            for i, call in enumerate(turn.calls):
                head = {"index": i, "id": self._call_id(call, i), "type": "function"}
                yield self._tool_delta({**head, "function": {"name": call.name, "arguments": ""}})
                for piece in _split(call.arguments, turn.fragment_size):
                    yield self._tool_delta({"index": i, "function": {"arguments": piece}})
        yield self._chunk({}, finish_reason=turn.finish_reason)
        if self.stream_usage:
            yield json.dumps({**self._envelope(), "choices": [], "usage": self.usage(turn)})
        yield "[DONE]"

    def _envelope(self, kind: str = "chat.completion.chunk") -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": _CREATED, "model": self.model}

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return json.dumps({**self._envelope(), "choices": [choice]})

    def _tool_delta(self, call_delta: dict[str, Any]) -> str:
        return self._chunk({"tool_calls": [call_delta]})


def _split(value: str, size: int) -> list[str]:
    size = max(1, size)
    return [value[i : i + size] for i in range(0, len(value), size)]
