"""The panel's ops for pages and hand edits, as the kernel answers them over the comm."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot, PlanStatus
from jupyter_plan.notebook.pages_ops import OPS, PageOps
from jupyter_plan.record.store import PlanStore
from jupyter_plan.testing.plans import approved_plan
from jupyter_plan.ui.render import PLAN_MIME

from ..agent.test_planner import PLAN_V1


class Panel(MemoryBridge):
    """A notebook panel: a memory bridge that knows where its notebook is."""

    def __init__(self, os_path: Path) -> None:
        cell = Cell(
            id="plan-cell",
            cell_type="code",
            source="%%plan\nRevenue by region",
            outputs=[{"output_type": "display_data", "data": {PLAN_MIME: {"id": "rev"}}}],
        )
        super().__init__(
            NotebookSnapshot(
                path="a.ipynb", cells=[cell, cell.model_copy(update={"id": "end", "outputs": []})]
            )
        )
        self.os_path = os_path
        self.ran: list[str] = []

    async def run_cells(self, cell_ids: list[str], **_: Any) -> Any:
        self.ran += cell_ids
        return []


class Session:
    def runs(self, plan_id: str | None = None) -> list[Any]:
        return []


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PageOps, Panel, Path]:
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    approved_plan(root / ".jupyter_plan" / "plans", "rev", PLAN_V1)
    changed: list[int] = []
    ops = PageOps(Session(), lambda: changed.append(1))  # type: ignore[arg-type]
    return ops, Panel(root / "a.ipynb"), root


def test_every_op_is_registered(setup: tuple[PageOps, Panel, Path]) -> None:
    ops, _, _ = setup
    seen: dict[str, Any] = {}

    class Registry:
        def on(self, op: str, handler: Any) -> None:
            seen[op] = handler

    ops.attach(Registry())
    assert set(seen) == set(OPS)


def test_pages_new_read_save_list(setup: tuple[PageOps, Panel, Path]) -> None:
    ops, panel, _ = setup
    assert ops.op_pages(panel, {})["pages"] == []
    made = ops.op_page_new(panel, {"name": "guide"})
    assert "# Guide" in made["text"]
    ops.op_page_save(panel, {"name": "guide", "text": "# Guide\n\nEUR cents.\n"})
    assert ops.op_page_read(panel, {"name": "guide"})["text"] == "# Guide\n\nEUR cents.\n"
    assert ops.op_pages(panel, {})["pages"] == [{"name": "guide", "title": "Guide", "chars": 20}]
    with pytest.raises(BridgeError, match="exists already"):
        ops.op_page_new(panel, {"name": "guide"})
    with pytest.raises(BridgeError, match="invalid page name"):
        ops.op_page_save(panel, {"name": "../x", "text": ""})


def test_saving_the_plan_file(setup: tuple[PageOps, Panel, Path]) -> None:
    ops, panel, root = setup
    text = ops.op_plan_file_read(panel, {"plan_id": "rev"})["text"]
    assert ops.op_plan_file_save(panel, {"plan_id": "rev", "text": text})["revision"] is None
    bad = text.replace("### S2.", "### S5.")
    answer = ops.op_plan_file_save(panel, {"plan_id": "rev", "text": bad})
    assert "step 5 is out of order" in answer["error"]
    assert bad.splitlines()[answer["line"] - 1].startswith("### S5.")
    assert (root / ".jupyter_plan" / "plans" / "rev.md").read_text() == bad  # kept
    good = text.replace("Fill missing `amount` with 0 in", "Drop rows without `amount` in")
    answer = ops.op_plan_file_save(panel, {"plan_id": "rev", "text": good})
    assert answer == {"saved": True, "revision": 2, "edited_by": "person"}
    plan = PlanStore(root / ".jupyter_plan" / "plans").load("rev")
    assert plan.status is PlanStatus.AWAITING_REVIEW
    approved = ops.op_approve_stored(panel, {"plan_id": "rev", "build_mode": "default"})
    assert approved == {"status": "approved", "revision": 2}


async def test_turn_into_a_page_starts_a_plan_referencing_it(
    setup: tuple[PageOps, Panel, Path],
) -> None:
    ops, panel, root = setup
    answer = await ops.op_page_from_plan(panel, {"plan_id": "rev"})
    assert answer["page"] == "revenue-by-region"
    ids = [c.id for c in panel.snapshot.cells]
    assert ids.index(answer["cell_id"]) == ids.index("plan-cell") + 1
    cell = panel.snapshot.cell(answer["cell_id"])
    assert cell is not None and cell.source.startswith("%%plan --page revenue-by-region\n")
    await asyncio.sleep(0)  # the run is started, not awaited (the new plan waits for review)
    assert panel.ran == [answer["cell_id"]]
    assert (root / ".jupyter_plan" / "pages" / "revenue-by-region.md").is_file()
