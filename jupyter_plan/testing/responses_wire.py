"""OpenAI's Responses API (``POST /v1/responses``) for the fake server.

Streamed as typed SSE events, each with a ``sequence_number``: ``response.created``, one
output item per message and per function call (``output_text.delta`` and
``function_call_arguments.delta`` fragments, then their ``done`` events), and
``response.completed`` carrying the whole response and its usage (``input_tokens``,
``output_tokens`` and their details), which is where the service reports it.
"""

from __future__ import annotations

from typing import Any

from jupyter_plan.testing.turns import ToolCalls
from jupyter_plan.testing.wires import Answer, Counts, UsageMode, split, sse, text_pieces

PATHS = ("/v1/responses", "/responses")
_CREATED = 1_700_000_000


class ResponsesReply:
    stream_type = "text/event-stream"

    def __init__(self, body: dict[str, Any], index: int, model: str | None, usage: UsageMode):
        self.body = body
        self.index = index
        self.stream = bool(body.get("stream"))
        self.model = model or str(body.get("model") or "gpt-fake")
        self.usage = usage
        self._sequence = 0

    def _counts(self, turn: Answer) -> Counts:
        parts = [self.body.get("instructions"), self.body.get("input"), self.body.get("tools")]
        return Counts(parts, turn, self.usage)

    def _items(self, turn: Answer) -> list[dict[str, Any]]:
        """The finished output items of the turn."""
        items: list[dict[str, Any]] = []
        if turn.content:
            part = {"type": "output_text", "text": turn.content, "annotations": []}
            items.append(
                {
                    "id": f"msg_fake_{self.index}",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [part],
                }
            )
        for i, call in enumerate(turn.calls if isinstance(turn, ToolCalls) else ()):
            items.append(
                {
                    "id": f"fc_fake_{self.index}_{i}",
                    "type": "function_call",
                    "status": "completed",
                    "arguments": call.arguments,
                    "call_id": call.id or f"call_{self.index}_{i}",
                    "name": call.name,
                }
            )
        return items

    def _response(self, turn: Answer, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
        response: dict[str, Any] = {
            "id": f"resp_fake_{self.index}",
            "object": "response",
            "created_at": _CREATED,
            "status": status,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": self.body.get("tools") or [],
            "usage": None,
        }
        counts = self._counts(turn)
        if status == "completed" and counts.sent:
            response["usage"] = {
                "input_tokens": counts.prompt,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": counts.completion,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": counts.prompt + counts.completion,
            }
        return response

    def message(self, turn: Answer) -> dict[str, Any]:
        return self._response(turn, "completed", self._items(turn))

    def _event(self, kind: str, **fields: Any) -> bytes:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return sse(event, kind)

    def frames(self, turn: Answer) -> list[bytes]:
        self._sequence = 0
        out = [self._event("response.created", response=self._response(turn, "in_progress", []))]
        out.append(
            self._event("response.in_progress", response=self._response(turn, "in_progress", []))
        )
        items = self._items(turn)
        size = getattr(turn, "fragment_size", 12)
        for at, item in enumerate(items):
            started = {**item, "status": "in_progress"}
            if item["type"] == "message":
                started["content"] = []
                out.append(self._event("response.output_item.added", output_index=at, item=started))
                where = {"item_id": item["id"], "output_index": at, "content_index": 0}
                empty = {"type": "output_text", "text": "", "annotations": []}
                out.append(self._event("response.content_part.added", **where, part=empty))
                for piece in text_pieces(turn):
                    out.append(self._event("response.output_text.delta", **where, delta=piece))
                text = item["content"][0]["text"]
                out.append(self._event("response.output_text.done", **where, text=text))
                part = item["content"][0]
                out.append(self._event("response.content_part.done", **where, part=part))
            else:
                started["arguments"] = ""
                out.append(self._event("response.output_item.added", output_index=at, item=started))
                where = {"item_id": item["id"], "output_index": at}
                for piece in split(item["arguments"], size):
                    out.append(
                        self._event("response.function_call_arguments.delta", **where, delta=piece)
                    )
                out.append(
                    self._event(
                        "response.function_call_arguments.done",
                        **where,
                        arguments=item["arguments"],
                    )
                )
            out.append(self._event("response.output_item.done", output_index=at, item=item))
        done = self._response(turn, "completed", items)
        out.append(self._event("response.completed", response=done))
        return out
