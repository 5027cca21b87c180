"""Anthropic's Messages API (``POST /v1/messages``) for the fake server.

Streamed as the service streams: ``message_start`` (input tokens, output 1), a ``ping``, one
content block per text and per tool call (``text_delta`` / ``input_json_delta`` fragments),
``message_delta`` with the stop reason and the output tokens, ``message_stop``.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_plan.testing.turns import Text, ToolCalls
from jupyter_plan.testing.wires import (
    Answer,
    Counts,
    UsageMode,
    arguments_object,
    split,
    sse,
    text_pieces,
)

PATHS = ("/v1/messages", "/messages")
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def error_body(status: int, message: str) -> str:
    """An error in Anthropic's shape (``{"type": "error", "error": {...}}``)."""
    kinds = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
    kind = kinds.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}})


class AnthropicReply:
    stream_type = "text/event-stream"

    def __init__(self, body: dict[str, Any], index: int, model: str | None, usage: UsageMode):
        self.body = body
        self.index = index
        self.stream = bool(body.get("stream"))
        self.model = model or str(body.get("model") or "claude-fake")
        self.usage = usage

    def _counts(self, turn: Answer) -> Counts:
        parts = [self.body.get("system"), self.body.get("messages"), self.body.get("tools")]
        return Counts(parts, turn, self.usage)

    def _stop(self, turn: Answer) -> str:
        return (
            "tool_use" if isinstance(turn, ToolCalls) else _STOP.get(turn.finish_reason, "end_turn")
        )

    def _tool_id(self, i: int) -> str:
        return f"toolu_fake{self.index:03d}{i:02d}"

    def _envelope(self, turn: Answer) -> dict[str, Any]:
        return {
            "id": f"msg_fake_{self.index}",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "stop_sequence": None,
        }

    def message(self, turn: Answer) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if turn.content:
            content.append({"type": "text", "text": turn.content})
        for i, call in enumerate(turn.calls if isinstance(turn, ToolCalls) else ()):
            content.append(
                {
                    "type": "tool_use",
                    "id": call.id or self._tool_id(i),
                    "name": call.name,
                    "input": arguments_object(call.arguments),
                }
            )
        counts = self._counts(turn)
        message = {**self._envelope(turn), "content": content, "stop_reason": self._stop(turn)}
        if counts.sent:
            message["usage"] = {
                "input_tokens": counts.prompt,
                "output_tokens": counts.completion,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            }
        return message

    def frames(self, turn: Answer) -> list[bytes]:
        counts = self._counts(turn)
        start: dict[str, Any] = {**self._envelope(turn), "content": [], "stop_reason": None}
        if counts.sent:
            start["usage"] = {
                "input_tokens": counts.prompt,
                "output_tokens": min(1, counts.completion),
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            }
        out = [sse({"type": "message_start", "message": start}, "message_start")]
        out.append(sse({"type": "ping"}, "ping"))
        block = 0
        if turn.content:
            out.append(_block_start(block, {"type": "text", "text": ""}))
            for piece in text_pieces(turn):
                out.append(_delta(block, {"type": "text_delta", "text": piece}))
            out.append(_block_stop(block))
            block += 1
        for i, call in enumerate(turn.calls if isinstance(turn, ToolCalls) else ()):
            head = {
                "type": "tool_use",
                "id": call.id or self._tool_id(i),
                "name": call.name,
                "input": {},
            }
            out.append(_block_start(block, head))
            assert isinstance(turn, ToolCalls)
            for piece in split(call.arguments, turn.fragment_size):
                out.append(_delta(block, {"type": "input_json_delta", "partial_json": piece}))
            out.append(_block_stop(block))
            block += 1
        delta: dict[str, Any] = {
            "type": "message_delta",
            "delta": {"stop_reason": self._stop(turn), "stop_sequence": None},
        }
        if counts.sent:
            delta["usage"] = {"output_tokens": counts.completion}
        out.append(sse(delta, "message_delta"))
        out.append(sse({"type": "message_stop"}, "message_stop"))
        return out


def _block_start(index: int, block: dict[str, Any]) -> bytes:
    event = {"type": "content_block_start", "index": index, "content_block": block}
    return sse(event, "content_block_start")


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return sse(
        {"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta"
    )


def _block_stop(index: int) -> bytes:
    return sse({"type": "content_block_stop", "index": index}, "content_block_stop")


__all__ = ["PATHS", "AnthropicReply", "Text", "error_body"]
