"""Each provider's wire format as the fake server sends it, read with plain HTTP: the event
names and order, how tool calls and usage arrive, as the real service sends them."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from jupyter_plan.testing.fake_server import (
    FakeModelServer,
    cut,
    http_error,
    text,
    tool_calls,
)
from jupyter_plan.testing.gemini_wire import signature
from jupyter_plan.testing.routes import SENT_KEY

TWO_CALLS = tool_calls(
    [("read_file", {"file_path": "sales.csv"}), ("glob", {"pattern": "*.ipynb"})],
    content="Looking.",
    fragment_size=6,
)


def post(srv: FakeModelServer, path: str, body: dict[str, Any], **headers: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{srv.port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        return urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as err:
        return err


def sse(response: Any) -> list[tuple[str | None, Any]]:
    """(event name, data) pairs of a server-sent event stream."""
    events, name = [], None
    for raw in response.read().decode().replace("\r\n", "\n").split("\n"):
        if raw.startswith("event: "):
            name = raw[7:]
        elif raw.startswith("data: "):
            data = raw[6:]
            events.append((name, data if data == "[DONE]" else json.loads(data)))
            name = None
    return events


def test_anthropic_messages_stream() -> None:
    with FakeModelServer([TWO_CALLS]) as srv:
        body = {"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]}
        response = post(srv, "/v1/messages", {**body, "stream": True})
        assert response.headers["Content-Type"] == "text/event-stream"
        events = sse(response)
    names = [n for n, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(n == e["type"] for n, e in events)
    start = events[0][1]["message"]
    assert start["usage"]["input_tokens"] > 0 and start["usage"]["output_tokens"] == 1
    blocks = [e["content_block"] for n, e in events if n == "content_block_start"]
    assert [b["type"] for b in blocks] == ["text", "tool_use", "tool_use"]
    assert [b["name"] for b in blocks[1:]] == ["read_file", "glob"]
    fragments = [e["delta"] for n, e in events if n == "content_block_delta"]
    arguments = "".join(d["partial_json"] for d in fragments if d["type"] == "input_json_delta")
    assert arguments == '{"file_path": "sales.csv"}{"pattern": "*.ipynb"}'
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == "tool_use" and delta["usage"]["output_tokens"] > 1


def test_anthropic_error_shape_and_echoed_key() -> None:
    from jupyter_plan.testing.anthropic_wire import error_body

    echo = http_error(401, body=error_body(401, f"invalid x-api-key {SENT_KEY}"))
    with FakeModelServer([echo]) as srv:
        err = post(srv, "/v1/messages", {"model": "c", "messages": []}, **{"x-api-key": "k-123"})
    assert err.code == 401
    assert json.load(err) == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key k-123"},
    }


def test_ollama_chat_streams_ndjson_with_all_tool_calls_as_objects() -> None:
    with FakeModelServer([TWO_CALLS]) as srv:
        response = post(srv, "/api/chat", {"model": "llama3.1", "messages": []})
        assert response.headers["Content-Type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.read().splitlines()]
    assert [line["done"] for line in lines] == [False] * (len(lines) - 1) + [True]
    calls = [c for line in lines for c in line["message"].get("tool_calls", [])]
    assert calls == [
        {"function": {"name": "read_file", "arguments": {"file_path": "sales.csv"}}},
        {"function": {"name": "glob", "arguments": {"pattern": "*.ipynb"}}},
    ]
    done = lines[-1]
    assert done["done_reason"] == "stop" and done["prompt_eval_count"] > 0 and done["eval_count"]


def test_ollama_generate_carries_one_call_as_json_text() -> None:
    with FakeModelServer([TWO_CALLS]) as srv:
        body = {"model": "llama3.1", "prompt": "hi", "format": "json", "stream": False}
        reply = json.load(post(srv, "/api/generate", body))
    assert json.loads(reply["response"]) == {
        "name": "read_file",
        "arguments": {"file_path": "sales.csv"},
    }  # the glob call cannot be said in one JSON object
    assert reply["done"] is True and reply["eval_count"] > 0


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
def test_gemini_stream_usage_on_every_chunk_and_calls_together(model: str) -> None:
    path = f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
    with FakeModelServer([TWO_CALLS]) as srv:
        response = post(srv, path, {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
        raw = response.read()
    assert b"\r\n\r\n" in raw
    chunks = [json.loads(part[6:]) for part in raw.decode().split("\r\n\r\n") if part]
    assert all("usageMetadata" in c for c in chunks)
    assert "candidatesTokenCount" in chunks[-1]["usageMetadata"]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    parts = [p for c in chunks for p in c["candidates"][0]["content"]["parts"]]
    calls = [p for p in parts if "functionCall" in p]
    assert [c["functionCall"]["name"] for c in calls] == ["read_file", "glob"]
    signed = [c.get("thoughtSignature") for c in calls]
    assert signed == ([signature(model, 1), None] if "gemini-3" in model else [None, None])


def test_gemini_3_refuses_a_history_without_its_signature() -> None:
    history = [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "glob", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "glob", "response": {}}}]},
    ]
    signed = json.loads(json.dumps(history))
    signed[1]["parts"][0]["thoughtSignature"] = signature("gemini-3-pro-preview", 1)
    path = "/models/gemini-3-pro-preview:generateContent"
    with FakeModelServer([text("ok")]) as srv:
        refused = post(srv, path, {"contents": history})
        accepted = post(srv, path, {"contents": signed})
    assert refused.code == 400 and "thought_signature" in json.load(refused)["error"]["message"]
    assert json.load(accepted)["candidates"][0]["content"]["parts"] == [{"text": "ok"}]
    assert base64.b64decode(signature("m", 1)).startswith(b"fake-thought:")


def test_responses_stream_events_and_usage_at_completion() -> None:
    with FakeModelServer([TWO_CALLS]) as srv:
        events = sse(post(srv, "/v1/responses", {"model": "gpt-4.1", "input": [], "stream": True}))
    names = [n for n, _ in events]
    assert names[0] == "response.created" and names[-1] == "response.completed"
    assert [e["sequence_number"] for _, e in events] == list(range(len(events)))
    added = [e["item"]["type"] for n, e in events if n == "response.output_item.added"]
    assert added == ["message", "function_call", "function_call"]
    text_deltas = [e["delta"] for n, e in events if n == "response.output_text.delta"]
    assert "".join(text_deltas) == "Looking."
    done = [e["arguments"] for n, e in events if n == "response.function_call_arguments.done"]
    assert [json.loads(a) for a in done] == [{"file_path": "sales.csv"}, {"pattern": "*.ipynb"}]
    usage = events[-1][1]["response"]["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert all(e["response"]["usage"] is None for n, e in events[:2])


def test_zero_usage_and_no_usage() -> None:
    with FakeModelServer([text("a"), text("b")], zero_usage=True) as srv:
        chat = json.load(post(srv, "/v1/chat/completions", {"model": "m", "messages": []}))
        lines = post(srv, "/api/chat", {"model": "m", "messages": []}).read().splitlines()
    assert set(chat["usage"].values()) == {0}
    assert json.loads(lines[-1])["eval_count"] == 0
    with FakeModelServer([text("c")], stream_usage=False) as srv:
        body = {"model": "claude", "messages": [], "stream": True}
        events = sse(post(srv, "/v1/messages", body))
    assert not any("usage" in e for _, e in events) and "usage" not in events[0][1]["message"]


def test_a_cut_stream_stops_without_its_end() -> None:
    with FakeModelServer([cut(text("abcdefgh", chunk_size=2), after_frames=2)]) as srv:
        response = post(srv, "/v1/chat/completions", {"model": "m", "messages": [], "stream": True})
        with pytest.raises(Exception, match=r"IncompleteRead|incomplete|Connection"):
            response.read()


def test_unknown_path_is_a_404() -> None:
    with FakeModelServer([text("unused")]) as srv:
        err = post(srv, "/v2/embeddings", {})
    assert err.code == 404 and srv.remaining == 1
