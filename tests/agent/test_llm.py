"""LiteLLMClient through real litellm HTTP calls to the fake server: one test per fault."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
from typing import Any

import pytest
from pydantic import SecretStr

from jupyter_plan.agent.client import ModelError, ModelRequest
from jupyter_plan.agent.llm import LiteLLMClient
from jupyter_plan.models import ToolCall
from jupyter_plan.settings import Settings
from jupyter_plan.testing.fake_server import (
    FakeModelServer,
    FakeToolCall,
    Garbage,
    Turn,
    estimate_tokens,
    garbage,
    http_error,
    malformed_tool_call,
    stall,
    text,
    tool_call,
    tool_calls,
)
from jupyter_plan.testing.guard import NetworkGuard

KEY = "sk-test-7f3a9c-DO-NOT-LEAK"
SECRET_CELL = "df = load('payroll-TOP-SECRET.csv')"
MESSAGES = [{"role": "user", "content": f"Plan a cleanup of this cell: {SECRET_CELL}"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} tool",
            "parameters": {"type": "object", "properties": {}},
        },
    }
    for name in ("list_cells", "read_file", "glob")
]


def client(**knobs: Any) -> LiteLLMClient:
    """Tiny backoff so retries cost nothing; a generous timeout unless a test sets one."""
    settings: dict[str, Any] = {
        "api_key": KEY,
        "timeout": 10.0,
        "max_retries": 2,
        "backoff_base": 0.001,
        "backoff_cap": 0.005,
        "retry_after_cap": 0.005,
    }
    return LiteLLMClient(**{**settings, **knobs})


def request(srv: FakeModelServer, model: str = "openai/fake", tools: bool = True) -> ModelRequest:
    return ModelRequest(
        model=model, messages=MESSAGES, tools=TOOLS if tools else [], api_base=srv.base_url
    )


async def complete(
    turns: list[Turn], on_text: Any = None, **knobs: Any
) -> tuple[Any, FakeModelServer]:
    """Run one turn against a fresh server; return (ModelResponse or ModelError, server)."""
    with FakeModelServer(turns) as srv:
        try:
            return await client(**knobs).complete(request(srv), on_text=on_text), srv
        except ModelError as err:
            return err, srv


# -- answers --------------------------------------------------------------------------


async def test_streamed_text_reaches_on_text_in_order() -> None:
    got: list[str] = []
    content = "First, list the cells. Then read the data file."
    with FakeModelServer([text(content, chunk_size=6)]) as srv:
        reply = await client().complete(request(srv), on_text=got.append)
    assert got == [content[i : i + 6] for i in range(0, len(content), 6)]  # nothing held back
    assert reply.content == content
    assert reply.tool_calls == []
    assert reply.finish_reason == "stop"
    sent = srv.requests[0].body
    assert sent is not None
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["messages"] == MESSAGES and len(sent["tools"]) == 3
    # Usage is the server's (the fake estimates it deterministically).
    assert reply.usage.prompt_tokens == estimate_tokens([sent["messages"], sent["tools"]])
    assert reply.usage.completion_tokens == estimate_tokens(content)
    assert reply.usage.cost_usd is None  # litellm has no price for openai/fake


async def test_several_tool_calls_in_one_turn_from_fragments() -> None:
    turn = tool_calls(
        [
            ("read_file", {"file_path": "data/sales.csv", "limit": 20}),
            ("glob", {"pattern": "**/*.ipynb"}),
            FakeToolCall("list_cells", "{}", id="call_custom"),
        ],
        content="I'll look around first.",
        fragment_size=3,
    )
    got: list[str] = []
    reply, srv = await complete([turn], on_text=got.append)
    assert reply.tool_calls == [
        ToolCall(id="call_1_0", name="read_file", arguments=turn.calls[0].arguments),
        ToolCall(id="call_1_1", name="glob", arguments='{"pattern": "**/*.ipynb"}'),
        ToolCall(id="call_custom", name="list_cells", arguments="{}"),
    ]
    assert json.loads(reply.tool_calls[0].arguments) == {"file_path": "data/sales.csv", "limit": 20}
    assert reply.content == "I'll look around first."
    assert reply.finish_reason == "tool_calls"
    assert "".join(got) == "I'll look around first." and len(srv.requests) == 1


async def test_malformed_tool_call_json_is_passed_through() -> None:
    raw = '{"cell_id": "a1", "source": "print(1)'
    reply, _ = await complete([malformed_tool_call("edit_cell", raw)])
    assert reply.tool_calls == [ToolCall(id="call_1_0", name="edit_cell", arguments=raw)]


async def test_usage_is_counted_when_the_stream_has_none() -> None:
    with FakeModelServer([text("Counted locally.")], stream_usage=False) as srv:
        reply = await client().complete(request(srv))
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.completion_tokens > 0


async def test_cost_when_litellm_knows_the_model() -> None:
    import litellm

    with FakeModelServer([text("priced")]) as srv:
        reply = await client().complete(request(srv, model="openai/gpt-4o-mini"))
    usage = reply.usage
    expected = sum(
        litellm.cost_per_token(
            model="openai/gpt-4o-mini",
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
    )
    assert usage.cost_usd == pytest.approx(expected) and expected > 0


async def test_from_settings_uses_key_and_api_base() -> None:
    with FakeModelServer([text("configured")]) as srv:
        settings = Settings(model="openai/fake", api_base=srv.base_url, api_key=SecretStr(KEY))
        made = LiteLLMClient.from_settings(settings, timeout=5.0)
        no_base = ModelRequest(model="openai/fake", messages=MESSAGES)
        reply = await made.complete(no_base)
    assert reply.content == "configured"
    assert srv.requests[0].headers["authorization"] == f"Bearer {KEY}"


# -- faults ---------------------------------------------------------------------------


async def test_rate_limit_then_success_is_retried() -> None:
    reply, srv = await complete([http_error(429, retry_after=0), text("second time lucky")])
    assert reply.content == "second time lucky"
    assert len(srv.requests) == 2


async def test_repeated_server_errors_give_up_after_max_retries() -> None:
    err, srv = await complete([http_error(500)] * 4, max_retries=2)
    assert isinstance(err, ModelError)
    assert (err.kind, err.attempts) == ("server", 3)
    assert len(srv.requests) == 3
    assert "The model server at http://127.0.0.1:" in err.sentence
    assert "failed (HTTP 500) for model 'openai/fake' after 3 attempts." in err.sentence


@pytest.mark.parametrize(
    ("status", "kind"), [(400, "bad_request"), (401, "auth"), (403, "auth"), (404, "bad_request")]
)
async def test_client_errors_are_never_retried(status: int, kind: str) -> None:
    err, srv = await complete([http_error(status), text("unused")])
    assert isinstance(err, ModelError)
    assert (err.kind, err.attempts) == (kind, 1)
    assert len(srv.requests) == 1


async def test_stalled_response_times_out_and_is_retried() -> None:
    # The stalls are never released: only the client's timeout can end each attempt.
    err, srv = await complete([stall(), stall()], timeout=0.2, max_retries=1)
    assert isinstance(err, ModelError)
    assert (err.kind, err.attempts) == ("timeout", 2)
    assert len(srv.requests) == 2


async def test_stream_stalling_between_chunks_times_out_without_repeating_text() -> None:
    got: list[str] = []
    turn = stall(then=text("partial answer that never ends", chunk_size=8), after_chunks=2)
    later = text("a retry would repeat the text")
    with FakeModelServer([turn, later]) as srv, pytest.raises(ModelError) as info:
        await client(timeout=0.2).complete(request(srv), on_text=got.append)
    assert (info.value.kind, info.value.attempts) == ("timeout", 1)
    assert got == ["partial "]  # shown once, so not retried
    assert len(srv.requests) == 1


async def test_connection_refused_is_retried_then_reported() -> None:
    with FakeModelServer() as srv:
        dead = request(srv)
    with pytest.raises(ModelError) as info:
        await client(max_retries=1).complete(dead)
    assert (info.value.kind, info.value.attempts) == ("connection", 2)


@pytest.mark.parametrize(
    "turn",
    [garbage(), Garbage("data: {not json\n\n", content_type="text/event-stream")],
    ids=["html", "bad-sse"],
)
async def test_garbage_body_is_a_bad_response(turn: Turn) -> None:
    err, srv = await complete([turn, text("unused")])
    assert isinstance(err, ModelError)
    assert (err.kind, err.attempts) == ("bad_response", 1)
    assert len(srv.requests) == 1


async def test_on_text_errors_propagate_unwrapped() -> None:
    def broken(_: str) -> None:
        raise KeyError("ui gone")

    srv = FakeModelServer([text("hello"), text("unused")])
    with srv, pytest.raises(KeyError, match="ui gone"):
        await client().complete(request(srv), on_text=broken)
    assert len(srv.requests) == 1


# -- cancellation ------------------------------------------------------------------------


@pytest.mark.parametrize("after_chunks", [0, 2], ids=["before-answer", "mid-stream"])
async def test_cancellation_propagates_and_closes_the_stream(after_chunks: int) -> None:
    release = threading.Event()
    turn = stall(release, then=text("streaming along", chunk_size=4), after_chunks=after_chunks)
    got: list[str] = []
    first_text = asyncio.Event()

    def on_text(delta: str) -> None:
        got.append(delta)
        first_text.set()

    with FakeModelServer([turn]) as srv:
        task = asyncio.create_task(client().complete(request(srv), on_text=on_text))
        assert await asyncio.to_thread(turn.reached.wait, 10)
        if after_chunks:  # the first chunk reaches the client before we cancel
            await asyncio.wait_for(first_text.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(srv.disconnected.wait, 10)
    assert got == (["stre"] if after_chunks else [])


# -- the key ------------------------------------------------------------------------------


async def test_api_key_reaches_the_server_but_no_message_log_or_repr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"Incorrect API key provided: {KEY}. You can find your key at ..."
    made = client()
    srv = FakeModelServer([http_error(429, retry_after=0), http_error(401, echo)])
    with srv, pytest.raises(ModelError) as info:
        await made.complete(request(srv))
    err = info.value
    assert (err.kind, err.attempts) == ("auth", 2)
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in srv.requests)
    assert all(KEY not in r.raw.decode() for r in srv.requests)  # never in the body
    assert "Incorrect API key provided: [REDACTED]" in err.details
    assert KEY not in str(err) and KEY not in repr(err) and KEY not in repr(made)
    assert err.__cause__ is None and err.__context__ is None  # no chained litellm text
    assert "retrying" in caplog.text  # our retry was logged ...
    assert KEY not in caplog.text  # ... without the key
    assert SECRET_CELL not in caplog.text  # and no message bodies from litellm/openai


def test_repr_without_a_key() -> None:
    assert "api_key=None" in repr(LiteLLMClient())
    assert "**********" in repr(LiteLLMClient(api_key=SecretStr(KEY)))


def test_knobs_are_validated() -> None:
    with pytest.raises(ValueError):
        LiteLLMClient(timeout=0)
    with pytest.raises(ValueError):
        LiteLLMClient(max_retries=-1)


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    made = LiteLLMClient(backoff_base=1.0, backoff_cap=5.0, retry_after_cap=30.0)
    assert [made._backoff(n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert made._backoff(1, 12.0) == 12.0  # the server's Retry-After wins ...
    assert made._backoff(1, 90.0) == 30.0  # ... up to its cap
    assert made._backoff(3, 0.0) == 4.0  # and never shortens our own backoff


# -- isolation ------------------------------------------------------------------------------


async def test_a_real_provider_is_blocked_by_the_guard() -> None:
    no_base = ModelRequest(model="openai/gpt-4o-mini", messages=MESSAGES)
    with NetworkGuard() as guard, pytest.raises(ModelError) as info:
        await client(max_retries=0).complete(no_base)
    assert info.value.kind == "connection"
    assert "test guard: blocked an attempt to resolve api.openai.com" in str(info.value)
    assert guard.violations and "api.openai.com" in guard.violations[0]
    with pytest.raises(RuntimeError, match=r"api\.openai\.com"):
        guard.check()


def test_importing_llm_does_not_import_litellm() -> None:
    code = (
        "import sys, jupyter_plan.agent.llm\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'litellm'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_tool_call_turn_without_tools_in_request() -> None:
    with FakeModelServer([tool_call("list_cells")]) as srv:
        reply = await client().complete(request(srv, tools=False))
    assert "tools" not in (srv.requests[0].body or {})
    assert reply.tool_calls[0].name == "list_cells"


# -- usage and cost as each provider reports them -------------------------------------------


def request_to(model: str) -> Any:
    return lambda srv: request(srv, model=model)


async def test_usage_of_all_zeros_is_counted() -> None:
    with FakeModelServer([text("Counted locally, not zero.")], zero_usage=True) as srv:
        reply = await client().complete(request(srv))
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


@pytest.mark.parametrize(
    "model", ["anthropic/claude-sonnet-4-20250514", "anthropic/claude-opus-4-1-20250805"]
)
async def test_cost_is_unknown_when_litellm_lists_no_price(model: str) -> None:
    import litellm

    assert litellm.cost_per_token(model=model, prompt_tokens=10, completion_tokens=10) == (0, 0)
    with FakeModelServer([text("priced at zero by litellm")]) as srv:
        base = f"http://127.0.0.1:{srv.port}"
        reply = await client().complete(ModelRequest(model=model, messages=MESSAGES, api_base=base))
    assert srv.requests[0].path == "/v1/messages"
    assert reply.usage.prompt_tokens > 0 and reply.usage.cost_usd is None  # not $0.0000


async def test_the_responses_route_reports_litellm_s_cost_and_warns_nothing() -> None:
    import warnings

    responses = request_to("openai/responses/gpt-4.1")
    with (
        FakeModelServer([text("from the Responses API")]) as srv,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        reply = await client().complete(responses(srv))
    assert srv.requests[0].path == "/v1/responses"
    assert reply.content == "from the Responses API"
    assert reply.usage.cost_usd is not None and reply.usage.cost_usd > 0
    assert [str(w.message)[:60] for w in caught] == []


# -- credentials never pass from the model to the agent -------------------------------------


async def test_a_model_cannot_pass_a_key_on(monkeypatch: pytest.MonkeyPatch) -> None:
    planted = "sk-planted-ANTHROPIC-9f8e7d6c5b4a"
    monkeypatch.setenv("ANTHROPIC_API_KEY", planted)
    leak = tool_calls(
        [("write_file", {"file_path": f"{planted}.md", "content": f"# {planted}"})],
        content=f"The key is {planted}, and again {planted}.",
        fragment_size=5,
    )
    got: list[str] = []
    with FakeModelServer([leak]) as srv:
        reply = await client().complete(request(srv), on_text=got.append)
    assert planted not in "".join(got) and len(got) > 2  # split across chunks: caught anyway
    assert "".join(got) == "The key is [REDACTED], and again [REDACTED]."
    assert reply.content == "".join(got)
    assert json.loads(reply.tool_calls[0].arguments) == {
        "file_path": "[REDACTED].md",
        "content": "# [REDACTED]",
    }


def test_litellm_log_records_carry_no_key(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from jupyter_plan.agent.llm import _litellm

    monkeypatch.setenv("AZURE_API_KEY", "azure-planted-0123456789")
    _litellm()
    caplog.set_level(logging.WARNING, logger="LiteLLM")
    logging.getLogger("LiteLLM").warning("request failed for key %s", "azure-planted-0123456789")
    assert "azure-planted" not in caplog.text and "[REDACTED]" in caplog.text
