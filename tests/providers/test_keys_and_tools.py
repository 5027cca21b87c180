"""Keys, and what a route can carry: a local server needs none; a missing key is an auth
problem said once (never retried); a model that cannot call tools is told in plain words,
once; ``ollama/`` carries one call per turn and the person is told to use ``ollama_chat/``."""

from __future__ import annotations

import pytest

from jupyter_plan.agent.client import ModelError, ModelRequest
from jupyter_plan.agent.llm import LiteLLMClient
from jupyter_plan.agent.providers import PLACEHOLDER_KEY, route_notes
from jupyter_plan.testing.fake_server import FakeModelServer, http_error, text, tool_calls

from .conftest import Planner

MESSAGES = [{"role": "user", "content": "Plan it."}]
TOOLS = [
    {
        "type": "function",
        "function": {"name": n, "description": n, "parameters": {"type": "object"}},
    }
    for n in ("list_cells", "glob")
]


def client(**knobs: object) -> LiteLLMClient:
    return LiteLLMClient(timeout=10, max_retries=2, backoff_base=0, backoff_cap=0, **knobs)  # type: ignore[arg-type]


async def ask(model: str, api_base: str | None, made: LiteLLMClient | None = None) -> object:
    request = ModelRequest(model=model, messages=MESSAGES, tools=TOOLS, api_base=api_base)
    try:
        return await (made or client()).complete(request)
    except ModelError as err:
        return err


@pytest.mark.usefixtures("no_keys")
async def test_a_local_server_without_auth_needs_no_key() -> None:
    with FakeModelServer([text("ready")]) as srv:
        reply = await ask("openai/local-model", srv.base_url)
    assert getattr(reply, "content", None) == "ready"
    assert srv.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"


@pytest.mark.usefixtures("no_keys")
async def test_a_configured_key_is_sent_not_the_placeholder() -> None:
    with FakeModelServer([text("ready")]) as srv:
        await ask("openai/local-model", srv.base_url, client(api_key="sk-mine-0123456789"))
    assert srv.requests[0].headers["authorization"] == "Bearer sk-mine-0123456789"


@pytest.mark.usefixtures("no_keys")
@pytest.mark.parametrize(
    ("model", "variable"),
    [
        ("openai/gpt-4.1-mini", "OPENAI_API_KEY"),
        ("anthropic/claude-sonnet-4-5", "ANTHROPIC_API_KEY"),
    ],
)
async def test_a_missing_key_is_an_auth_error_said_once(model: str, variable: str) -> None:
    err = await ask(model, None)  # the provider's own endpoint: the suite's guard is on
    assert isinstance(err, ModelError)
    assert (err.kind, err.attempts) == ("auth", 1)  # not retried: no key will appear
    assert err.sentence.startswith(f"No API key for model {model!r}: set JUPYTER_PLAN_API_KEY")
    assert variable in err.sentence and "\n" not in err.sentence


@pytest.mark.usefixtures("no_keys")
async def test_a_server_that_wants_a_key_refuses_the_placeholder_once() -> None:
    with FakeModelServer([http_error(401, "missing bearer token"), text("unused")]) as srv:
        base = srv.base_url
        err = await ask("openai/local-model", base)
    assert isinstance(err, ModelError) and (err.kind, err.attempts) == ("auth", 1)
    assert len(srv.requests) == 1
    assert err.sentence == (
        f"The provider at {base} refused the API key for model 'openai/local-model' (HTTP 401)."
    )


@pytest.mark.parametrize(
    "refusal",
    [
        http_error(400, "registry.ollama.ai/library/gemma:2b does not support tools"),
        http_error(500, "tool use is not supported for this model"),
    ],
    ids=["400", "500-not-retried"],
)
async def test_a_model_that_cannot_call_tools_is_told_once(refusal: object) -> None:
    with FakeModelServer([refusal, text("unused"), text("unused")]) as srv:
        err = await ask("openai/gemma", srv.base_url, client(api_key="sk-x-0123456789"))
    assert isinstance(err, ModelError) and (err.kind, err.attempts) == ("no_tools", 1)
    assert len(srv.requests) == 1
    assert err.sentence == (
        "Model 'openai/gemma' does not support tool calling (the provider refused the tools); "
        "plan mode needs a model that does."
    )
    assert "does not support tools" in err.details or "not supported" in err.details


async def test_an_unknown_provider_is_one_sentence_before_any_request() -> None:
    with FakeModelServer([text("unused")]) as srv:
        err = await ask("gpt-unknown-thing", srv.base_url)
    assert isinstance(err, ModelError) and err.kind == "bad_request"
    assert err.sentence.startswith("'gpt-unknown-thing' names no model provider litellm knows")
    assert srv.requests == []


async def test_ollama_generate_carries_one_call_per_turn_and_says_so() -> None:
    two = tool_calls([("list_cells", {}), ("glob", {"pattern": "*.csv"})])
    with FakeModelServer([two]) as srv:
        reply = await ask("ollama/llama3.1", f"http://127.0.0.1:{srv.port}")
    assert srv.requests[0].path == "/api/generate"
    assert [c.name for c in getattr(reply, "tool_calls", [])] == ["list_cells"]  # glob is lost
    assert route_notes("ollama/llama3.1") == [
        "'ollama/llama3.1' goes through Ollama's /api/generate, which carries one tool call "
        "per model turn (the others are lost); use 'ollama_chat/llama3.1' (Ollama's chat API)"
    ]
    assert route_notes("ollama_chat/llama3.1") == []
    with FakeModelServer([two]) as srv:
        reply = await ask("ollama_chat/llama3.1", f"http://127.0.0.1:{srv.port}")
    assert [c.name for c in getattr(reply, "tool_calls", [])] == ["list_cells", "glob"]


async def test_a_model_answering_in_text_submits_no_plan(plan: Planner) -> None:
    with FakeModelServer([text("Revenue is highest in the north.")]) as srv:
        outcome = await plan(srv, model="openai/local-model", api_base=srv.base_url)
    assert outcome.plan is None and outcome.answer == "Revenue is highest in the north."
