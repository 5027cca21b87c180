"""The kernel side of the Plans sidebar, against a simulated JupyterLab panel.

Each test opens a panel's comm to a real :class:`CommRegistry`, clicks the sidebar's
buttons as ``{id, op, args}`` requests, and reads the ``state`` events the kernel sends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.bridge.locate import CommRegistry
from jupyter_plan.models import Cell, Plan
from jupyter_plan.notebook.sidebar import PLAN_MIME, Sidebar
from jupyter_plan.notebook.sidebar_push import pushes_done
from jupyter_plan.settings import load_settings
from jupyter_plan.testing.frontend import Connection, SimulatedFrontend
from jupyter_plan.testing.plans import approved_plan
from jupyter_plan.ui.human import WidgetHuman
from jupyter_plan.ui.render import plan_json

PLAN_MD = """# Chart revenue

## Steps
### S1. Load the data
Read sales.csv.
Verify: df has rows.
"""


@dataclass
class FakeSession:
    """What the sidebar reads of a KernelSession: the mode and the runs' widgets."""

    mode: Any = None
    humans: list[Any] = field(default_factory=list)


@dataclass
class Panel:
    sidebar: Sidebar
    session: FakeSession
    connection: Connection
    frontend: SimulatedFrontend
    plan_dir: Path

    def states(self) -> list[dict[str, Any]]:
        return [e["args"] for e in self.frontend.events if e["op"] == "state"]

    async def click(self, op: str, **args: Any) -> dict[str, Any]:
        return await self.connection.request(op, args)

    def human(self, plan: Plan) -> tuple[WidgetHuman, asyncio.Task[Any]]:
        """A run waiting for the person's decision on ``plan`` (as ``%%plan`` does)."""
        human = WidgetHuman(title=plan.title)
        self.session.humans.append(human)
        self.sidebar.watch(human.review_widget)
        waiting = asyncio.ensure_future(human.review(plan))
        return human, waiting


def _frontend(cells: list[Cell] | None = None) -> SimulatedFrontend:
    first = [Cell(id="c1", cell_type="code", source="x = 1")]
    return SimulatedFrontend(cells or first, path="work/nb.ipynb")


@pytest.fixture
def panel(tmp_path: Path) -> Panel:
    return _open(tmp_path)


def _open(tmp_path: Path, frontend: SimulatedFrontend | None = None) -> Panel:
    (tmp_path / "nb.ipynb").write_text("{}")
    plan_dir = load_settings(tmp_path).plan_dir
    registry = CommRegistry(cwd=tmp_path)
    session = FakeSession()
    sidebar = Sidebar(session, registry).attach()  # type: ignore[arg-type]
    frontend = frontend or _frontend()
    connection = Connection(frontend, registry)
    return Panel(sidebar, session, connection, frontend, plan_dir)


async def _settled() -> None:
    """Yield to the loop so it runs the push scheduled with ``call_soon``, then wait for the
    pushes reading the store in a worker thread (no waiting on time)."""
    for _ in range(3):
        await asyncio.sleep(0)
    await pushes_done()
    for _ in range(3):  # the panel takes the events sent from the loop
        await asyncio.sleep(0)


async def test_a_panel_gets_the_notebooks_plans_when_it_connects(panel: Panel) -> None:
    mine = approved_plan(panel.plan_dir, "chart", PLAN_MD)
    panel.connection.open()
    await _settled()
    [ready, state] = panel.frontend.events
    assert ready["op"] == "ready" and state["op"] == "state"
    [shown] = state["args"]["plans"]
    assert shown == plan_json(mine, file=shown["file"])
    assert shown["status"] == "approved" and shown["steps"][0]["id"] == "S1"
    notebook_dir = panel.connection.bridge.os_path.parent  # type: ignore[union-attr]
    assert (notebook_dir / shown["file"]).resolve() == (panel.plan_dir / "chart.md").resolve()
    assert state["args"]["mode"] is None and state["args"]["pending_approval"] is None


async def test_plans_of_other_notebooks_are_not_listed(panel: Panel) -> None:
    approved_plan(panel.plan_dir, "mine", PLAN_MD)
    other = approved_plan(panel.plan_dir, "theirs", PLAN_MD)
    from jupyter_plan.record.store import PlanStore

    PlanStore(panel.plan_dir).save(other.model_copy(update={"notebook_path": "other.ipynb"}))
    panel.connection.open()
    await _settled()
    assert [p["id"] for p in panel.states()[-1]["plans"]] == ["mine"]


async def test_set_mode_sets_the_sessions_mode_and_pushes_it(panel: Panel) -> None:
    panel.connection.open()
    reply = await panel.click("set_mode", mode="auto_edit")
    assert reply == {"id": reply["id"], "ok": True, "result": {"mode": "auto_edit"}}
    assert panel.session.mode is not None and panel.session.mode.value == "auto_edit"
    await _settled()
    assert panel.states()[-1]["mode"] == "auto_edit"


@pytest.mark.parametrize("mode", ["sideways", None, 3])
async def test_a_bad_mode_is_refused_and_changes_nothing(panel: Panel, mode: Any) -> None:
    panel.connection.open()
    reply = await panel.click("set_mode", mode=mode)
    assert reply["ok"] is False
    assert "mode" in reply["error"]["message"]
    if isinstance(mode, str):
        assert repr(mode) in reply["error"]["message"]
    assert panel.session.mode is None


async def test_approve_in_the_sidebar_settles_the_widgets_decision(panel: Panel) -> None:
    panel.connection.open()
    plan = approved_plan(panel.plan_dir, "chart", PLAN_MD)
    human, waiting = panel.human(plan)
    await _settled()
    assert panel.states()[-1]["pending_approval"] == "chart"

    reply = await panel.click("approve", plan_id="chart", build_mode="default")
    assert reply["ok"] is True, reply
    decision = await waiting
    assert (decision.action, decision.build_mode) == ("approve", "default")
    assert human.review_widget.awaiting is False  # the widget's buttons locked too
    await _settled()
    assert panel.states()[-1]["pending_approval"] is None

    again = await panel.click("approve", plan_id="chart", build_mode="default")
    assert again["ok"] is False
    assert "'chart' is not awaiting a decision" in again["error"]["message"]


async def test_iterate_needs_feedback_then_sends_it(panel: Panel) -> None:
    panel.connection.open()
    _, waiting = panel.human(approved_plan(panel.plan_dir, "chart", PLAN_MD))
    empty = await panel.click("iterate", plan_id="chart", feedback="  ")
    assert empty["ok"] is False and "feedback" in empty["error"]["message"]
    assert not waiting.done()
    reply = await panel.click("iterate", plan_id="chart", feedback="use a bar chart")
    assert reply["ok"] is True
    decision = await waiting
    assert (decision.action, decision.feedback) == ("iterate", "use a bar chart")


async def test_reject_and_unknown_plans(panel: Panel) -> None:
    panel.connection.open()
    _, waiting = panel.human(approved_plan(panel.plan_dir, "chart", PLAN_MD))
    wrong = await panel.click("reject", plan_id="nope")
    assert wrong["ok"] is False and "'nope'" in wrong["error"]["message"]
    missing = await panel.click("approve")
    assert missing["ok"] is False and "plan_id" in missing["error"]["message"]
    assert not waiting.done()
    assert (await panel.click("reject", plan_id="chart"))["ok"] is True
    assert (await waiting).action == "reject"


async def test_a_bad_build_mode_is_refused(panel: Panel) -> None:
    panel.connection.open()
    _, waiting = panel.human(approved_plan(panel.plan_dir, "chart", PLAN_MD))
    reply = await panel.click("approve", plan_id="chart", build_mode="yolo")
    assert reply["ok"] is False and "'yolo'" in reply["error"]["message"]
    assert not waiting.done()
    waiting.cancel()


async def test_build_inserts_a_build_cell_below_the_plan_and_runs_it(tmp_path: Path) -> None:
    output = {"output_type": "display_data", "data": {PLAN_MIME: {"id": "chart"}}, "metadata": {}}
    cells = [
        Cell(id="c1", cell_type="code", source="x = 1"),
        Cell(id="plan", cell_type="code", source="%%plan\nChart revenue", outputs=[output]),
        Cell(id="c3", cell_type="code", source="y = 2"),
    ]
    frontend = _frontend(cells)
    frontend.hold("run_cells")  # the run answers later; the Build click must not wait for it
    panel = _open(tmp_path, frontend)
    panel.connection.open()
    reply = await panel.click("build", plan_id="chart")
    assert reply["ok"] is True, reply
    new_id = reply["result"]["cell_id"]
    assert [c.id for c in frontend.cells] == ["c1", "plan", new_id, "c3"]
    assert frontend.cells[2].source == "%build chart"
    run = await panel.connection.received("run_cells")
    assert run["args"] == {"cell_ids": [new_id]}
    await panel.connection.release()


async def test_build_of_a_plan_not_in_the_notebook_appends_the_cell(panel: Panel) -> None:
    panel.connection.open()
    reply = await panel.click("build", plan_id="chart")
    assert reply["ok"] is True
    assert [c.source for c in panel.frontend.cells] == ["x = 1", "%build chart"]


async def test_changes_in_one_loop_turn_send_one_state(panel: Panel) -> None:
    panel.connection.open()
    await _settled()
    before = len(panel.states())
    for _ in range(5):
        panel.sidebar.changed()
    await _settled()
    assert len(panel.states()) == before + 1


async def test_a_broken_settings_file_still_shows_the_live_plans(tmp_path: Path) -> None:
    panel = _open(tmp_path)
    (tmp_path / ".jupyter_plan").mkdir(exist_ok=True)
    (tmp_path / ".jupyter_plan" / "settings.json").write_text("{not json")
    panel.connection.open()
    plan = Plan(id="draft", title="Draft", goal="Draft")
    panel.human(plan)
    await _settled()
    state = panel.states()[-1]
    assert [p["id"] for p in state["plans"]] == ["draft"]
    assert state["plans"][0]["file"] is None
    assert state["pending_approval"] == "draft"


async def test_a_closed_panel_gets_nothing_and_breaks_nothing(panel: Panel) -> None:
    panel.connection.open()
    await panel.connection.close_from_frontend()
    assert panel.sidebar.push() == 0
