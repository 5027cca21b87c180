"""Sidebar pushes at scale: the store is read off the kernel's loop, and a panel announcing
``plans_delta`` gets only the plans that changed after its first ``state``."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from jupyter_plan.notebook import sidebar_push
from jupyter_plan.record import index as indexing
from jupyter_plan.record.store import PlanStore
from jupyter_plan.testing.frontend import SimulatedFrontend
from jupyter_plan.testing.plans import approved_plan
from tests.notebook.test_sidebar import PLAN_MD, Panel, _open, _settled


def _panel(tmp_path: Path, *capabilities: str) -> Panel:
    caps = ("edit", "run", "checkpoint", *capabilities)
    return _open(tmp_path, SimulatedFrontend([], path="work/nb.ipynb", capabilities=caps))


async def test_a_delta_panel_gets_one_changed_plan_and_removed_ids(tmp_path: Path) -> None:
    panel = _panel(tmp_path, "plans_delta")
    approved_plan(panel.plan_dir, "a", PLAN_MD)
    approved_plan(panel.plan_dir, "b", PLAN_MD)
    panel.connection.open()
    await _settled()
    assert [p["id"] for p in panel.states()[-1]["plans"]] == ["a", "b"]

    store = PlanStore(panel.plan_dir)
    store.save(store.load("a").model_copy(update={"goal": "Chart it by week"}))
    panel.sidebar.changed()
    await _settled()
    delta = panel.frontend.events[-1]
    assert delta["op"] == "plans"
    assert [p["id"] for p in delta["args"]["changed"]] == ["a"]
    assert delta["args"]["changed"][0]["goal"] == "Chart it by week"
    assert delta["args"]["removed"] == [] and delta["args"]["mode"] is None

    (panel.plan_dir / "b.md").unlink()
    panel.sidebar.changed()
    await _settled()
    assert panel.frontend.events[-1]["args"] == {**delta["args"], "changed": [], "removed": ["b"]}
    assert len(panel.states()) == 1  # one full state, then deltas


async def test_a_panel_without_the_capability_gets_whole_states(tmp_path: Path) -> None:
    panel = _panel(tmp_path)
    approved_plan(panel.plan_dir, "a", PLAN_MD)
    panel.connection.open()
    await _settled()
    panel.sidebar.changed()
    await _settled()
    assert [e["op"] for e in panel.frontend.events] == ["ready", "state", "state"]


async def test_the_store_is_read_while_the_loop_runs_other_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = _panel(tmp_path)
    approved_plan(panel.plan_dir, "a", PLAN_MD)
    reading, release = threading.Event(), threading.Event()
    real = indexing.PlanIndex.outlines

    def slow(self: indexing.PlanIndex) -> list[indexing.Outline]:
        reading.set()
        release.wait()
        return real(self)

    monkeypatch.setattr(indexing.PlanIndex, "outlines", slow)
    panel.connection.open()
    await asyncio.get_running_loop().run_in_executor(None, reading.wait)
    # The store read is blocked in its thread, and this coroutine (standing for an execute
    # request) runs on the loop meanwhile; read on the loop, open() would never return.
    assert await asyncio.sleep(0, "answered") == "answered"
    assert panel.states() == []
    release.set()
    await _settled()
    assert [p["id"] for p in panel.states()[-1]["plans"]] == ["a"]


async def test_a_delta_panel_gets_the_newest_plans_first_then_the_rest_in_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sidebar_push, "FIRST_PAGE", 2)
    monkeypatch.setattr(sidebar_push, "PAGE", 2)
    panel = _panel(tmp_path, "plans_delta")
    for name in "abcde":
        approved_plan(panel.plan_dir, name, PLAN_MD)
    newest = [o.id for o in indexing.index_of(panel.plan_dir).outlines()]
    panel.connection.open()
    await _settled()

    state, *pages = [e["args"] for e in panel.frontend.events if e["op"] in ("state", "plans")]
    assert sorted(p["id"] for p in state["plans"]) == sorted(newest[:2])
    assert state["loading"] == 3
    assert [sorted(p["id"] for p in page["changed"]) for page in pages] == [
        sorted(newest[2:4]),
        sorted(newest[4:]),
    ]
    assert [page["loading"] for page in pages] == [1, 0]
    assert all(page["removed"] == [] for page in pages)

    (panel.plan_dir / f"{newest[0]}.md").unlink()  # after the pages, deltas as before
    panel.sidebar.changed()
    await _settled()
    last = panel.frontend.events[-1]["args"]
    assert last["removed"] == [newest[0]] and last["changed"] == [] and "loading" not in last
