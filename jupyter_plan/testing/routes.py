"""Which provider's wire format a request to the fake server speaks, chosen by its path.

One server answers them all, as each real service would at that path: OpenAI chat
completions (also what vLLM, LM Studio, llama.cpp and a LiteLLM proxy serve), Anthropic
Messages, Ollama's ``/api/chat`` and ``/api/generate``, Gemini's ``generateContent`` and the
OpenAI Responses API. litellm picks the path from the model string (``openai/…``,
``anthropic/…``, ``ollama_chat/…``, ``ollama/…``, ``gemini/…``, ``openai/responses/…``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jupyter_plan.testing import anthropic_wire, gemini_wire, ollama_wire, responses_wire
from jupyter_plan.testing.wires import OpenAIChat, Reply, UsageMode

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
#: In a scripted error body, replaced by the key the request carried (a server echoing it).
SENT_KEY = "{sent_key}"


def reply_for(
    path: str, body: dict[str, Any], index: int, model: str | None, usage: UsageMode
) -> Reply | None:
    """The reply renderer for a request path, or None: no such route (a 404)."""
    route = urlsplit(path).path
    if route in CHAT_PATHS:
        return OpenAIChat(body, index, model, usage)
    if route in anthropic_wire.PATHS:
        return anthropic_wire.AnthropicReply(body, index, model, usage)
    if route == ollama_wire.CHAT_PATH:
        return ollama_wire.OllamaReply(body, index, model, usage)
    if route == ollama_wire.GENERATE_PATH:
        return ollama_wire.OllamaReply(body, index, model, usage, generate=True)
    if route in responses_wire.PATHS:
        return responses_wire.ResponsesReply(body, index, model, usage)
    if match := gemini_wire.PATH.match(route):
        name = model or match["model"]
        return gemini_wire.GeminiReply(body, index, name, match["method"], usage)
    return None


def sent_key(headers: Mapping[str, str], path: str) -> str:
    """The credential a request carried, wherever its provider puts it ('' if none)."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    for name in ("x-api-key", "x-goog-api-key", "api-key"):
        if headers.get(name):
            return headers[name]
    return (parse_qs(urlsplit(path).query).get("key") or [""])[0]
