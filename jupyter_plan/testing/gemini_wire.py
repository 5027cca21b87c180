"""Google's Gemini API (``models/M:streamGenerateContent?alt=sse``, ``:generateContent``) for
the fake server.

Streamed as SSE with ``\\r\\n\\r\\n`` between events. Every chunk carries ``usageMetadata``
(the prompt count from the first chunk, the candidates count once there is one); a turn's
function calls arrive together, as objects, in one chunk. Gemini 3 models sign the first
function call of a turn (``thoughtSignature``) and refuse a later request whose history
holds a call without the signature they gave: the fake does the same, so a client that loses
the signature fails here as it would there.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from jupyter_plan.testing.turns import ToolCalls
from jupyter_plan.testing.wires import (
    Answer,
    Counts,
    UsageMode,
    arguments_object,
    sse,
    text_pieces,
)

PATH = re.compile(r"^(?:/v1(?:beta|alpha)?)?/models/(?P<model>[^/:]+):(?P<method>\w+)$")
_SIGNED = "gemini-3"
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}


def signature(model: str, turn: int) -> str:
    return base64.b64encode(f"fake-thought:{model}:{turn}".encode()).decode()


def _is_ours(value: Any) -> bool:
    try:
        return base64.b64decode(str(value)).startswith(b"fake-thought:")
    except ValueError:
        return False


def error_body(status: int, message: str) -> str:
    names = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }
    error = {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}
    return json.dumps({"error": error})


class GeminiReply:
    stream_type = "text/event-stream"

    def __init__(
        self, body: dict[str, Any], index: int, model: str, method: str, usage: UsageMode
    ) -> None:
        self.body = body
        self.index = index
        self.model = model
        self.stream = method == "streamGenerateContent"
        self.usage = usage
        self.signs = _SIGNED in model

    def refusal(self) -> tuple[int, str] | None:
        """Gemini 3's check of the history: every turn's first call keeps its signature."""
        if not self.signs:
            return None
        for content in self.body.get("contents") or ():
            calls = [p for p in content.get("parts") or () if "functionCall" in p]
            if (
                content.get("role") == "model"
                and calls
                and not _is_ours(calls[0].get("thoughtSignature"))
            ):
                name = calls[0]["functionCall"].get("name")
                return 400, error_body(
                    400,
                    f"Function call is missing a thought_signature in functionCall parts "
                    f"({name}). This is required for tools to work correctly.",
                )
        return None

    def _counts(self, turn: Answer) -> Counts:
        parts = [
            self.body.get("system_instruction"),
            self.body.get("contents"),
            self.body.get("tools"),
        ]
        return Counts(parts, turn, self.usage)

    def _usage(self, counts: Counts, *, final: bool) -> dict[str, Any]:
        usage: dict[str, Any] = {"promptTokenCount": counts.prompt}
        if final:
            usage["candidatesTokenCount"] = counts.completion
        usage["totalTokenCount"] = counts.prompt + (counts.completion if final else 0)
        if final:
            usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": counts.prompt}]
        return usage

    def _call_parts(self, turn: Answer) -> list[dict[str, Any]]:
        parts = []
        for i, call in enumerate(turn.calls if isinstance(turn, ToolCalls) else ()):
            part: dict[str, Any] = {
                "functionCall": {"name": call.name, "args": arguments_object(call.arguments)}
            }
            if self.signs and i == 0:
                part["thoughtSignature"] = signature(self.model, self.index)
            parts.append(part)
        return parts

    def _chunk(
        self, parts: list[dict[str, Any]], counts: Counts, finish: str | None = None
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish is not None:
            candidate["finishReason"] = finish
        chunk: dict[str, Any] = {"candidates": [candidate]}
        if counts.sent:
            chunk["usageMetadata"] = self._usage(counts, final=finish is not None)
        chunk.update(modelVersion=self.model, responseId=f"fake-response-{self.index}")
        return chunk

    def _finish(self, turn: Answer) -> str:
        return _FINISH.get(turn.finish_reason, "STOP")

    def message(self, turn: Answer) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"text": turn.content}] if turn.content else []
        return self._chunk(parts + self._call_parts(turn), self._counts(turn), self._finish(turn))

    def frames(self, turn: Answer) -> list[bytes]:
        counts = self._counts(turn)
        out = [sse(self._chunk([{"text": p}], counts), crlf=True) for p in text_pieces(turn)]
        if calls := self._call_parts(turn):
            out.append(sse(self._chunk(calls, counts), crlf=True))
        out.append(sse(self._chunk([{"text": ""}], counts, self._finish(turn)), crlf=True))
        return out
