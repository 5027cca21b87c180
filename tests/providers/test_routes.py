"""Every model configuration the README shows, planned end to end through real litellm against
a local fake speaking that provider's own wire format: streaming, several tool calls in one
turn, usage where and as the service sends it, and the key each provider expects."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import pytest

from jupyter_plan.agent.providers import PLACEHOLDER_KEY, route_notes
from jupyter_plan.models import PlanStatus
from jupyter_plan.testing.fake_server import FakeModelServer, RecordedRequest, tool_call, tool_calls
from jupyter_plan.testing.plans import REVENUE_PLAN

from .conftest import Planner, Project

KEY = "sk-route-test-0123456789abcdef"


@dataclass(frozen=True)
class Route:
    model: str
    key_env: str | None  # where the person puts the key (None: a server that needs none)
    base: str  # what follows http://127.0.0.1:<port> in api_base
    path: str  # where litellm posts
    priced: bool  # litellm knows the price
    keyless: str | None = None  # the key sent when the person has none (the SDK needs one)

    def sent_key(self, request: RecordedRequest) -> str | None:
        headers = request.headers
        for name in ("x-api-key", "x-goog-api-key"):
            if name in headers:
                return headers[name]
        auth = headers.get("authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None


ROUTES = [
    Route("openai/gpt-4.1-mini", "OPENAI_API_KEY", "/v1", "/v1/chat/completions", True),
    Route("anthropic/claude-sonnet-4-5", "ANTHROPIC_API_KEY", "", "/v1/messages", True),
    Route("gemini/gemini-2.5-flash", "GEMINI_API_KEY", "", "streamGenerateContent", True),
    Route("gemini/gemini-3-pro-preview", "GEMINI_API_KEY", "", "streamGenerateContent", False),
    Route("ollama_chat/llama3.1", None, "", "/api/chat", False),
    Route("openai/qwen2.5-coder", None, "/v1", "/v1/chat/completions", False, PLACEHOLDER_KEY),
    Route(
        "hosted_vllm/Qwen/Qwen2.5-7B", None, "/v1", "/v1/chat/completions", False, "fake-api-key"
    ),
    Route("litellm_proxy/team-gpt", "JUPYTER_PLAN_API_KEY", "", "/chat/completions", False),
    Route("openai/responses/gpt-4.1", "OPENAI_API_KEY", "/v1", "/v1/responses", True),
]


def script() -> list[object]:
    """Two calls in the first turn (a read, the plan document), then the submission."""
    first = tool_calls(
        [
            ("list_cells", {}),
            ("write_file", {"file_path": "revenue.md", "content": REVENUE_PLAN}),
        ],
        content="I will look at the cells and write the plan.",
        fragment_size=9,
    )
    return [first, tool_call("exit_plan_mode", {"plan_filename": "revenue.md"})]


@pytest.mark.parametrize("route", ROUTES, ids=[r.model for r in ROUTES])
async def test_a_plan_end_to_end(
    route: Route, plan: Planner, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    if route.key_env:
        monkeypatch.setenv(route.key_env, KEY)
    with FakeModelServer(script()) as srv, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        base = f"http://127.0.0.1:{srv.port}{route.base}"
        outcome = await plan(srv, model=route.model, api_base=base)
    assert outcome.plan is not None
    assert (outcome.plan.status, outcome.plan.revision) == (PlanStatus.APPROVED, 1)
    assert [s.title for s in outcome.plan.steps] == ["Summarise by region"]
    first, second = srv.requests
    assert route.path in first.path and first.path == second.path
    assert (first.body or {}).get("stream", True) is not False or "stream" in first.path
    # Both calls of the first turn ran: their results went back with the second request.
    sent = json.dumps(second.body)
    assert "revenue.md (6 lines)" in sent and "id=load" in sent
    assert route.sent_key(first) == (KEY if route.key_env else route.keyless)
    usage = outcome.plan.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert (usage.cost_usd is not None and usage.cost_usd > 0) is route.priced
    assert not [w for w in caught if "serializer" in str(w.message)]  # nothing into the cell
    assert route_notes(route.model) == []
