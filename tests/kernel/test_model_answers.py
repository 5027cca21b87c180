"""What a cell says when the model does not plan: it answered in text (no plan submitted,
its text shown, how to retry), it cannot call tools (said once, in plain words), or its route
carries one tool call per turn (a note before the run)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jupyter_plan.testing.fake_server import FakeModelServer, http_error, text

from .conftest import Cells, Script, headless_cells

PLAN = "%%plan --approve auto_edit --notebook analysis.ipynb"


@pytest.fixture
async def cells(
    project: Path, server: FakeModelServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Cells]:
    monkeypatch.delenv("JUPYTER_PLAN_INTERACTIVE", raising=False)
    async with headless_cells(project, "analysis.ipynb") as kernel:
        yield kernel


async def test_an_answer_in_text_says_no_plan_was_submitted(cells: Cells, script: Script) -> None:
    script.append(text("The north region has the highest revenue."))
    outputs = await cells.run(f"{PLAN}\nWhich region sells most?")
    shown = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert shown == (
        "**jupyter-plan:** the model answered in text and submitted no plan. To get a plan, click "
        "Retry (or run this cell again), or say *write a plan* in the task. Its answer:\n\n"
        "The north region has the highest revenue."
    )


async def test_a_model_without_tools_is_told_once(
    cells: Cells, script: Script, server: FakeModelServer
) -> None:
    script += [http_error(400, "registry.ollama.ai/library/gemma:2b does not support tools")] * 3
    said = await cells.one_line(f"{PLAN}\nChart revenue")
    assert said == (
        "Model 'openai/fake' does not support tool calling (the provider refused the tools); "
        "plan mode needs a model that does."
    )
    assert len(server.requests) == 1  # not retried


async def test_a_one_call_route_is_noted_before_the_run(
    cells: Cells, script: Script, server: FakeModelServer
) -> None:
    script.append(text("Noted."))
    root = f"http://127.0.0.1:{server.port}"
    outputs = await cells.run(f"{PLAN} --model ollama/llama3.1 --api-base {root}\nChart it")
    notes = [o.text for o in outputs if o.output_type == "stream"]
    assert notes == [
        "jupyter-plan: note: 'ollama/llama3.1' goes through Ollama's /api/generate, which "
        "carries one tool call per model turn (the others are lost); use "
        "'ollama_chat/llama3.1' (Ollama's chat API)\n"
    ]
    assert server.requests[-1].path == "/api/generate"
