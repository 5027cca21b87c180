"""Two real kernels planning the same plan id at once lose nothing: the first run claims the
id (an OS lock, ``record/lock.py``), the other is told in one line and writes nothing, and
every run that says it succeeded is on disk with its own revision and transcript.

Each kernel's model writes a plan naming its kernel, so whose plan landed where is visible.
The overlap is made certain, not hoped for: kernel A's first model call is held open by the
fake server until kernel B has tried; a second set of races starts both cells together.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.record.store import PlanStore
from jupyter_plan.testing.fake_server import FakeModelServer, Stall, Turn, tool_call

from .conftest import Cells, headless_cells

RUNS = 3
_TAG = re.compile(r"Plan from kernel (\w+)")
_TAG_IN_DOC = re.compile(r"from kernel (\w+)")


def document(tag: str) -> str:
    return f"# Revenue by region from kernel {tag}\n\n## Steps\n### S1. Summarise\nVerify: ok\n"


class Model:
    """Answers each kernel's planning run from what it asks; can hold one run's first call."""

    def __init__(self) -> None:
        self.hold: dict[str, Stall] = {}

    def __call__(self, body: dict[str, Any]) -> Turn | None:
        messages = body.get("messages") or []
        found = _TAG.search(json.dumps(messages))
        plan_id = re.search(r"--id ([\w.-]+)", json.dumps(messages))
        if found is None:
            return None
        tag = found.group(1)
        file = f"{plan_id.group(1) if plan_id else 'x'}.md"
        if not any(m.get("role") == "assistant" for m in messages):
            write = tool_call("write_file", {"file_path": file, "content": document(tag)})
            held = self.hold.pop(tag, None)
            return Stall(held.release, then=write, reached=held.reached) if held else write
        return tool_call("exit_plan_mode", {"plan_filename": file})


@pytest.fixture
async def kernels(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Cells, Cells, Model]]:
    model = Model()
    with FakeModelServer(model) as srv:
        monkeypatch.setenv("JUPYTER_PLAN_API_BASE", srv.base_url)
        monkeypatch.delenv("JUPYTER_PLAN_INTERACTIVE", raising=False)
        (project / ".jupyter_plan" / "settings.json").write_text('{"replay": "never"}')
        async with AsyncExitStack() as stack:
            pair = []
            for name in ("a", "b"):
                cells = headless_cells(project, f"{name}.ipynb")
                pair.append(await stack.enter_async_context(cells))
            yield pair[0], pair[1], model


def plan_cell(tag: str, plan_id: str) -> str:
    notebook = "a.ipynb" if tag.startswith("A") else "b.ipynb"
    return (
        f"%%plan --approve auto_edit --id {plan_id} --notebook {notebook}\n"
        f"Plan from kernel {tag} --id {plan_id}"
    )


def outcome(outputs: list[Any]) -> str:
    """'ok' (the plan is shown), or the one line the person read."""
    if any("application/vnd.jupyter-plan+json" in o.get("data", {}) for o in outputs):
        return "ok"
    said = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert not [o for o in outputs if o.output_type == "error"], outputs  # no traceback
    return said


def conflict(plan_id: str) -> re.Pattern[str]:
    """The refusal (naming the holder, unless it has only just taken the id)."""
    return re.compile(
        rf"UsageError: %%plan --id: plan '{plan_id}' is being planned or built by another run ?"
        r"(?:\(%%plan --id \S+ in process \d+ on [^)]+\))?; nothing was changed: wait until it "
        r"finishes, then run this again \(or use another --id\)\n"
    )


def on_disk(project: Path, plan_id: str) -> tuple[list[str], list[str]]:
    """(the kernel tag of each revision, the transcript files) of a plan."""
    plan = PlanStore(project / ".jupyter_plan" / "plans").load(plan_id)
    tags = [_TAG_IN_DOC.search(r.markdown).group(1) for r in plan.revisions]  # type: ignore[union-attr]
    folder = project / ".jupyter_plan" / "plans" / plan_id
    return tags, sorted(p.name for p in folder.glob("transcript.r*.json"))


async def held_race(a: Cells, b: Cells, model: Model, plan_id: str, tag: str) -> list[str]:
    """A's run holds the id (its model call is held open) while B tries; then A finishes."""
    release, reached = threading.Event(), threading.Event()
    model.hold[f"A{tag}"] = Stall(release, reached=reached)
    first = asyncio.ensure_future(a.run(plan_cell(f"A{tag}", plan_id)))
    assert await asyncio.to_thread(reached.wait, 120)
    second = outcome(await b.run(plan_cell(f"B{tag}", plan_id)))
    release.set()
    return [outcome(await first), second]


async def test_the_same_new_id_from_two_kernels(
    kernels: tuple[Cells, Cells, Model], project: Path
) -> None:
    a, b, model = kernels
    for run in range(RUNS):
        plan_id = f"shared-new-{run}"
        said = await held_race(a, b, model, plan_id, str(run))
        assert said[0] == "ok" and conflict(plan_id).fullmatch(said[1]), said
        assert on_disk(project, plan_id) == ([f"A{run}"], ["transcript.r1.json"])


async def test_the_same_existing_id_from_two_kernels(
    kernels: tuple[Cells, Cells, Model], project: Path
) -> None:
    a, b, model = kernels
    assert outcome(await a.run(plan_cell("Afirst", "shared-plan"))) == "ok"
    for run in range(RUNS):
        said = await held_race(a, b, model, "shared-plan", str(run))
        assert said[0] == "ok" and conflict("shared-plan").fullmatch(said[1]), said
    tags, transcripts = on_disk(project, "shared-plan")
    assert tags == ["Afirst", "A0", "A1", "A2"]
    assert transcripts == [f"transcript.r{n}.json" for n in (1, 2, 3, 4)]


async def test_unarranged_races_lose_nothing(
    kernels: tuple[Cells, Cells, Model], project: Path
) -> None:
    """Both cells at once, whoever wins: a success is always on disk, a refusal one line."""
    a, b, _ = kernels
    assert outcome(await a.run(plan_cell("Aseed", "raced-existing"))) == "ok"
    expected = ["Aseed"]
    for run in range(RUNS):
        for plan_id in (f"raced-new-{run}", "raced-existing"):
            said = await asyncio.gather(
                a.run(plan_cell(f"A{run}", plan_id)), b.run(plan_cell(f"B{run}", plan_id))
            )
            results = dict(zip((f"A{run}", f"B{run}"), map(outcome, said), strict=True))
            won = [tag for tag, result in results.items() if result == "ok"]
            assert won, results
            for result in results.values():
                assert result == "ok" or conflict(plan_id).fullmatch(result), result
            tags, transcripts = on_disk(project, plan_id)
            if plan_id == "raced-existing":
                expected += sorted(won, key=tags.index)
                assert tags == expected
            else:
                assert sorted(tags) == sorted(won)
            assert len(transcripts) == len(tags)
