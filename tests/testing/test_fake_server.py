"""The fake OpenAI-compatible server, seen through raw HTTP (urllib, sockets) and litellm."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from jupyter_plan.testing.fake_server import (
    NO_MORE_TURNS,
    FakeModelServer,
    FakeToolCall,
    Garbage,
    delay,
    estimate_tokens,
    garbage,
    http_error,
    malformed_tool_call,
    stall,
    text,
    tool_call,
    tool_calls,
)

MESSAGES = [{"role": "user", "content": "What is in this notebook?"}]


def post(
    srv: FakeModelServer,
    *,
    stream: bool = False,
    usage: bool = True,
    body: bytes | None = None,
    path: str = "/v1/chat/completions",
    headers: dict[str, str] | None = None,
) -> Any:
    """POST a chat request with urllib; returns the open response (HTTPError for 4xx/5xx)."""
    payload: dict[str, Any] = {"model": "fake", "messages": MESSAGES, "stream": stream}
    if stream and usage:
        payload["stream_options"] = {"include_usage": True}
    data = body if body is not None else json.dumps(payload).encode()
    url = f"http://127.0.0.1:{srv.port}{path}"
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        return urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as err:
        return err


def read_events(response: Any, limit: int | None = None) -> list[Any]:
    """Parse SSE ``data:`` events (JSON, or the ``[DONE]`` string) from a streamed response."""
    events: list[Any] = []
    while limit is None or len(events) < limit:
        line = response.readline()
        if not line:
            break
        if line.startswith(b"data: "):
            data = line[6:].strip().decode()
            events.append(data if data == "[DONE]" else json.loads(data))
            if data == "[DONE]":
                break
    return events


def deltas(events: list[Any]) -> list[dict[str, Any]]:
    return [e["choices"][0]["delta"] for e in events if isinstance(e, dict) and e["choices"]]


def test_text_as_json_with_usage() -> None:
    with FakeModelServer([text("Three cells.")]) as srv:
        reply = json.load(post(srv))
    assert reply["object"] == "chat.completion"
    choice = reply["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Three cells."}
    assert choice["finish_reason"] == "stop"
    prompt = estimate_tokens([MESSAGES, []])
    assert reply["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": estimate_tokens("Three cells."),
        "total_tokens": prompt + estimate_tokens("Three cells."),
    }


def test_text_streamed_in_chunks_with_usage_last() -> None:
    with FakeModelServer([text("Hello, notebook!", chunk_size=5)]) as srv:
        response = post(srv, stream=True)
        assert response.headers["Content-Type"] == "text/event-stream"
        events = read_events(response)
    pieces = [d["content"] for d in deltas(events) if d.get("content")]
    assert pieces == ["Hello", ", not", "ebook", "!"]
    assert deltas(events)[0]["role"] == "assistant"
    finish = [e["choices"][0]["finish_reason"] for e in events[:-2]]
    assert finish[-1] == "stop" and set(finish[:-1]) == {None}
    assert events[-2]["choices"] == [] and events[-2]["usage"]["completion_tokens"] > 0
    assert events[-1] == "[DONE]"


@pytest.mark.parametrize(("usage", "stream_usage"), [(False, True), (True, False)])
def test_stream_usage_only_when_asked_and_allowed(usage: bool, stream_usage: bool) -> None:
    with FakeModelServer([text("hi")], stream_usage=stream_usage) as srv:
        events = read_events(post(srv, stream=True, usage=usage))
    assert not any("usage" in e for e in events if isinstance(e, dict))


def test_several_tool_calls_streamed_as_fragments() -> None:
    turn = tool_calls(
        [("read_file", {"file_path": "data/sales.csv"}), FakeToolCall("glob", '{"pattern": "*"}')],
        fragment_size=7,
    )
    with FakeModelServer([turn]) as srv:
        events = read_events(post(srv, stream=True))
    calls = [d["tool_calls"][0] for d in deltas(events) if "tool_calls" in d]
    # The first delta of each call carries id, type and name; later ones argument fragments.
    heads = [c for c in calls if "id" in c]
    assert [(h["index"], h["id"], h["function"]["name"]) for h in heads] == [
        (0, "call_1_0", "read_file"),
        (1, "call_1_1", "glob"),
    ]
    fragments = [c for c in calls if "id" not in c]
    assert all(
        set(c) == {"index", "function"} and len(c["function"]["arguments"]) <= 7 for c in fragments
    )
    args = {
        i: "".join(c["function"]["arguments"] for c in calls if c["index"] == i) for i in (0, 1)
    }
    assert json.loads(args[0]) == {"file_path": "data/sales.csv"}
    assert args[1] == '{"pattern": "*"}'
    assert events[-3]["choices"][0]["finish_reason"] == "tool_calls"


def test_tool_call_as_json() -> None:
    with FakeModelServer(
        [tool_call("list_cells", {"limit": 3}, id="call_x", content="Looking.")]
    ) as srv:
        message = json.load(post(srv))["choices"][0]["message"]
    assert message["content"] == "Looking."
    assert message["tool_calls"] == [
        {
            "id": "call_x",
            "type": "function",
            "function": {"name": "list_cells", "arguments": '{"limit": 3}'},
        }
    ]


def test_malformed_tool_call_sends_invalid_json_verbatim() -> None:
    with FakeModelServer([malformed_tool_call("edit_cell", '{"cell_id": "a1"')]) as srv:
        message = json.load(post(srv))["choices"][0]["message"]
    raw = message["tool_calls"][0]["function"]["arguments"]
    assert raw == '{"cell_id": "a1"'
    with pytest.raises(ValueError):
        json.loads(raw)
    with pytest.raises(ValueError, match="is valid JSON"):
        malformed_tool_call("x", "{}")


def test_http_error_with_retry_after() -> None:
    with FakeModelServer([http_error(429, "slow down", retry_after=0)]) as srv:
        err = post(srv, stream=True)
    assert err.code == 429
    assert err.headers["Retry-After"] == "0"
    assert json.load(err)["error"]["message"] == "slow down"


def test_garbage_is_a_200_that_is_not_json() -> None:
    with FakeModelServer(
        [garbage(), Garbage("data: nope\n\n", content_type="text/event-stream")]
    ) as srv:
        first, second = post(srv), post(srv, stream=True)
        assert first.status == 200 and first.headers["Content-Type"] == "text/html"
        with pytest.raises(ValueError):
            json.loads(first.read())
        assert second.read() == b"data: nope\n\n"


def test_script_exhausted_answers_500_saying_so() -> None:
    with FakeModelServer([text("only one")]) as srv:
        post(srv).read()
        err = post(srv)
    assert err.code == 500
    assert NO_MORE_TURNS in err.read().decode()


def test_records_requests_bodies_and_headers() -> None:
    with FakeModelServer([text("a"), text("b")]) as srv:
        post(srv, headers={"Authorization": "Bearer sk-test"}).read()
        post(srv, stream=True, path="/chat/completions").read()
        assert srv.remaining == 0
    first, second = srv.requests
    assert first.path == "/v1/chat/completions" and second.path == "/chat/completions"
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.body is not None and first.body["messages"] == MESSAGES
    assert second.body is not None and second.body["stream"] is True


def test_unknown_path_and_non_json_body_are_client_errors() -> None:
    with FakeModelServer([text("unused")]) as srv:
        assert post(srv, path="/v1/embeddings").code == 404
        assert post(srv, body=b"{not json").code == 400
        assert srv.remaining == 1  # neither consumed a turn
        assert len(srv.requests) == 2


def test_responder_builds_turns_from_the_request() -> None:
    seen: list[dict[str, Any]] = []

    def responder(body: dict[str, Any]) -> Any:
        seen.append(body)
        return text(f"turn {len(seen)}")

    with FakeModelServer(responder) as srv:
        replies = [json.load(post(srv))["choices"][0]["message"]["content"] for _ in range(5)]
    assert replies == [f"turn {i}" for i in range(1, 6)]
    assert seen[0]["messages"] == MESSAGES


def test_push_adds_turns_and_delay_still_answers() -> None:
    with FakeModelServer() as srv:
        srv.push(delay(0.01, text("late")))
        assert srv.remaining == 1
        assert json.load(post(srv))["choices"][0]["message"]["content"] == "late"


def _in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except Exception as exc:
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_stall_before_answering_until_released() -> None:
    release = threading.Event()
    turn = stall(release, then=text("after the stall"))
    with FakeModelServer([turn]) as srv:
        thread, result = _in_thread(lambda: json.load(post(srv)))
        assert turn.reached.wait(10)
        assert thread.is_alive() and not result  # nothing can arrive before the release
        release.set()
        thread.join(10)
    assert result["value"]["choices"][0]["message"]["content"] == "after the stall"


def test_stall_mid_stream_after_some_chunks() -> None:
    release = threading.Event()
    turn = stall(release, then=text("abcdefgh", chunk_size=2), after_chunks=3)
    with FakeModelServer([turn]) as srv:
        response = post(srv, stream=True)
        first = read_events(response, limit=3)  # role chunk, "ab", "cd"
        assert [d.get("content") for d in deltas(first)] == ["", "ab", "cd"]
        assert turn.reached.wait(10)
        release.set()
        rest = read_events(response)
    assert "".join(d.get("content") or "" for d in deltas(rest)) == "efgh"
    assert rest[-1] == "[DONE]"


def test_stall_notices_the_client_hanging_up() -> None:
    turn = stall()
    with FakeModelServer([turn]) as srv:
        body = json.dumps({"model": "fake", "messages": MESSAGES}).encode()
        conn = socket.create_connection(("127.0.0.1", srv.port))
        conn.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        assert turn.reached.wait(10)
        assert not srv.disconnected.is_set()
        conn.close()
        assert srv.disconnected.wait(10)
        assert srv.disconnects == 1


def test_stop_releases_a_stall_and_joins_threads() -> None:
    turn = stall()  # never released
    srv = FakeModelServer([turn]).start()
    thread, result = _in_thread(lambda: post(srv).read())
    assert turn.reached.wait(10)
    srv.stop()  # returns only once every handler thread has finished
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(result.get("error"), http.client.HTTPException | OSError)
    assert not srv.disconnected.is_set()  # a stop is not a client hang-up


def test_free_ports_and_context_manager() -> None:
    with FakeModelServer() as a, FakeModelServer() as b:
        assert a.port != b.port
        assert a.base_url == f"http://127.0.0.1:{a.port}/v1"
        port = a.port
    with pytest.raises(RuntimeError, match="not running"):
        _ = a.base_url
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


# -- through litellm (what the agent tests rely on) ---------------------------------------


def test_litellm_sync_and_async_streaming_and_not() -> None:
    import litellm

    turns = [text("sync json"), text("sync stream"), text("async json"), text("async stream")]
    kwargs: dict[str, Any] = {"model": "openai/fake", "messages": MESSAGES, "api_key": "sk-fake"}
    with FakeModelServer(turns) as srv:
        kwargs["api_base"] = srv.base_url
        assert litellm.completion(**kwargs).choices[0].message.content == "sync json"
        chunks = list(litellm.completion(**kwargs, stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "sync stream"

        async def both() -> tuple[str, str]:
            reply = await litellm.acompletion(**kwargs)
            stream = await litellm.acompletion(**kwargs, stream=True)
            streamed = [c.choices[0].delta.content or "" async for c in stream]
            return reply.choices[0].message.content, "".join(streamed)

        assert asyncio.run(both()) == ("async json", "async stream")


def test_litellm_rebuilds_streamed_tool_calls() -> None:
    import litellm

    turn = tool_calls([("list_cells", {}), ("read_file", {"file_path": "a.py"})], fragment_size=4)
    tools = [
        {
            "type": "function",
            "function": {"name": n, "parameters": {"type": "object", "properties": {}}},
        }
        for n in ("list_cells", "read_file")
    ]
    with FakeModelServer([turn]) as srv:
        chunks = list(
            litellm.completion(
                model="openai/fake",
                messages=MESSAGES,
                tools=tools,
                api_base=srv.base_url,
                api_key="sk-fake",
                stream=True,
            )
        )
    built: Any = litellm.stream_chunk_builder(chunks)
    calls = built.choices[0].message.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [
        ("list_cells", "{}"),
        ("read_file", '{"file_path": "a.py"}'),
    ]
