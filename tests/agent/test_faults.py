"""Faults during a plan: each ends clearly, and a draft the model wrote is kept."""

from __future__ import annotations

import asyncio
import threading

import pytest
import yaml

from jupyter_plan.agent.client import ModelError
from jupyter_plan.agent.llm import LiteLLMClient
from jupyter_plan.agent.loop import LoopStopped
from jupyter_plan.models import ReviewDecision
from jupyter_plan.testing.fake_server import (
    FakeModelServer,
    Garbage,
    cut,
    http_error,
    malformed_tool_call,
    stall,
    text,
    tool_call,
)
from jupyter_plan.testing.human import ScriptedHuman

from .conftest import API_KEY, Planner, Project
from .test_planner import PLAN_V1

WRITE_DRAFT = tool_call("write_file", {"file_path": "sales-summary.md", "content": PLAN_V1})
SUBMIT = tool_call("exit_plan_mode", {"plan_filename": "sales-summary.md"})
APPROVE = ReviewDecision(action="approve", build_mode="default")


def front_matter(project: Project) -> dict[str, object]:
    text_ = (project.plan_dir / "sales-summary.md").read_text()
    meta = yaml.safe_load(text_.split("---\n", 2)[1])
    assert isinstance(meta, dict)
    return meta


def assert_draft_kept(project: Project) -> None:
    path = project.plan_dir / "sales-summary.md"
    assert front_matter(project)["status"] == "drafting"
    assert path.read_text().endswith(PLAN_V1)


def tool_messages(server: FakeModelServer) -> list[str]:
    body = server.requests[-1].body or {}
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


async def test_429_then_success(plan: Planner) -> None:
    script = [http_error(429, retry_after=0), WRITE_DRAFT, SUBMIT]
    with FakeModelServer(script) as server:
        outcome = await plan(server, ScriptedHuman(reviews=[APPROVE]))
    assert outcome.plan is not None and outcome.plan.build_mode == "default"
    assert len(server.requests) == 3  # the 429, then the two turns


async def test_500_repeated_is_a_clear_error_and_the_draft_is_kept(
    plan: Planner, project: Project
) -> None:
    script = [WRITE_DRAFT, http_error(500), http_error(500)]
    with FakeModelServer(script) as server, pytest.raises(ModelError) as info:
        url = server.base_url
        await plan(server, ScriptedHuman())
    assert info.value.kind == "server" and info.value.attempts == 2
    assert "openai/fake" in str(info.value) and url in str(info.value)
    assert API_KEY not in str(info.value)
    assert_draft_kept(project)


async def test_timeout(plan: Planner, project: Project) -> None:
    script = [WRITE_DRAFT, stall()]  # never released: the client's timeout must fire
    with FakeModelServer(script) as server:
        client = LiteLLMClient(
            api_key=API_KEY, api_base=server.base_url, timeout=0.5, max_retries=0
        )
        with pytest.raises(ModelError) as info:
            await plan(server, ScriptedHuman(), client=client)
    assert info.value.kind == "timeout"
    assert_draft_kept(project)


async def test_malformed_tool_call_json_goes_back_to_the_model(plan: Planner) -> None:
    script = [malformed_tool_call("list_cells", '{"offset": 0,'), WRITE_DRAFT, SUBMIT]
    with FakeModelServer(script) as server:
        outcome = await plan(server, ScriptedHuman(reviews=[APPROVE]))
    assert outcome.plan is not None
    first = tool_messages(server)[0]
    assert first.startswith("Error: arguments for list_cells are not valid JSON")


async def test_unknown_tool_goes_back_to_the_model(plan: Planner) -> None:
    script = [tool_call("drop_database", {}), WRITE_DRAFT, SUBMIT]
    with FakeModelServer(script) as server:
        outcome = await plan(server, ScriptedHuman(reviews=[APPROVE]))
    assert outcome.plan is not None
    assert tool_messages(server)[0].startswith("Error: unknown tool 'drop_database'")


async def test_invalid_arguments_go_back_to_the_model(plan: Planner) -> None:
    script = [tool_call("read_cells", {"cell_ids": "load"}), WRITE_DRAFT, SUBMIT]
    with FakeModelServer(script) as server:
        await plan(server, ScriptedHuman(reviews=[APPROVE]))
    assert tool_messages(server)[0].startswith("Error: invalid arguments for read_cells")


async def test_repeated_bad_calls_end_the_run(plan: Planner, project: Project) -> None:
    script = [WRITE_DRAFT] + [tool_call("nope", {}) for _ in range(6)]
    with FakeModelServer(script) as server, pytest.raises(LoopStopped) as info:
        await plan(server, ScriptedHuman())
    assert "4 failed tool calls in a row" in str(info.value)
    assert "unknown tool 'nope'" in str(info.value)
    assert_draft_kept(project)


async def test_never_exiting_plan_mode_stops_at_max_turns(plan: Planner, project: Project) -> None:
    script = [WRITE_DRAFT] + [tool_call("list_cells", {}) for _ in range(10)]
    with FakeModelServer(script) as server, pytest.raises(LoopStopped) as info:
        await plan(server, ScriptedHuman(), max_turns=4)
    message = str(info.value)
    assert "after 4 model turns without submitting a plan (exit_plan_mode)" in message
    assert "max_turns" in message
    assert len(server.requests) == 4
    assert_draft_kept(project)


async def test_cancellation_mid_stream_keeps_the_draft(plan: Planner, project: Project) -> None:
    release = threading.Event()
    hang = stall(release, then=text("never finished " * 20), after_chunks=2)
    with FakeModelServer([WRITE_DRAFT, hang]) as server:
        task = asyncio.ensure_future(plan(server, ScriptedHuman()))
        await asyncio.to_thread(hang.reached.wait)  # the server is mid-stream, blocked
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(server.disconnected.wait)  # the HTTP stream was closed
        release.set()
    assert_draft_kept(project)


# -- one sentence for each way an answer can be broken ------------------------------------

BROKEN = {
    "html-as-json": (
        Garbage(
            "<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="application/json"
        ),
        "answered with something other than the model's streamed answer: api_base may point "
        "at the wrong server or path.",
    ),
    "html-page": (
        Garbage("<html><body>Welcome to nginx!</body></html>"),
        "answered with a web page, not the model's answer: api_base may point at the wrong server.",
    ),
    "garbage-stream": (
        Garbage("data: {this is not json\n\ndata: [DONE]\n\n", content_type="text/event-stream"),
        "could not be read: it was not valid JSON.",
    ),
    "cut-stream": (
        cut(text("A long answer that the server never finishes", chunk_size=5), after_frames=3),
        "closed in the middle of the model's answer.",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
async def test_a_broken_answer_is_one_sentence_with_details_behind_it(
    name: str, plan: Planner, project: Project
) -> None:
    turn, said = BROKEN[name]
    with FakeModelServer([WRITE_DRAFT, turn, turn]) as server, pytest.raises(ModelError) as info:
        url = server.base_url
        await plan(server, ScriptedHuman())
    err = info.value
    assert err.sentence.endswith(said) and url in err.sentence
    assert len(err.sentence) < 200 and err.details and err.details in str(err)
    assert "litellm" not in err.sentence and "Exception" not in err.sentence
    assert err.attempts == 1  # bad answers are not retried; a cut one had shown text already
    assert_draft_kept(project)
