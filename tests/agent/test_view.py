"""The notebook as the planner sees it: as it was when the plan was written."""

from __future__ import annotations

from pathlib import Path

from jupyter_plan.agent.view import AgentView, notebook_label
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot

TASK = "Chart revenue by region"
OUT = [{"output_type": "stream", "name": "stdout", "text": "58 rows\n"}]
BUILT = {"jupyter_plan": {"plan_id": "p", "revision": 1, "step_id": "S1"}}


def _cell(cid: str, source: str, *, outputs: bool = True, meta: dict | None = None) -> Cell:
    return Cell(
        id=cid,
        cell_type="code",
        source=source,
        outputs=OUT if outputs else [],
        execution_count=1 if outputs else None,
        metadata=meta or {},
    )


def _saved_notebook(root: Path, active: str | None = "plan") -> NotebookSnapshot:
    """A plan notebook saved after its build: the plan cell, %build and built cells below.
    ``active``: the cell whose execution runs (the kernel knows it from the request)."""
    return NotebookSnapshot(
        path=str(root / "work" / "nb.ipynb"),
        active_cell_id=active,
        cells=[
            _cell("load", "df = load()"),
            _cell("plan", f"%%plan --id p --approve auto_edit\n{TASK}\n"),
            _cell("build", "%build"),
            _cell("b1", "clean = tidy(df)", meta=BUILT),
            _cell("later", "print('after')"),
        ],
    )


async def test_the_planner_sees_the_notebook_as_it_was_when_planned(tmp_path: Path) -> None:
    view = AgentView(MemoryBridge(_saved_notebook(tmp_path)), tmp_path, planning=True)
    seen = await view.get_notebook()
    assert seen.path == "work/nb.ipynb"
    assert [c.id for c in seen.cells] == ["load", "plan", "build", "later"]  # no built cell
    above, *rest = seen.cells
    assert above.outputs == OUT and above.execution_count == 1  # this run's outputs, as is
    assert all(c.outputs == [] and c.execution_count is None for c in rest)


async def test_the_same_view_with_or_without_the_build(tmp_path: Path) -> None:
    saved = _saved_notebook(tmp_path)
    fresh = saved.model_copy(
        update={
            "cells": [
                saved.cells[0],
                _cell("plan", saved.cells[1].source, outputs=False),
                _cell("build", "%build", outputs=False),
                _cell("later", "print('after')", outputs=False),
            ]
        }
    )
    views = [AgentView(MemoryBridge(nb), tmp_path, planning=True) for nb in (saved, fresh)]
    first, second = [await v.get_notebook() for v in views]
    assert first == second  # what the recording saw is what a re-run sees


async def test_without_its_plan_cell_the_notebook_is_shown_as_is(tmp_path: Path) -> None:
    for view in (
        AgentView(MemoryBridge(_saved_notebook(tmp_path, None)), tmp_path, planning=True),
        AgentView(MemoryBridge(_saved_notebook(tmp_path)), tmp_path),  # a build
    ):
        seen = await view.get_notebook()
        assert [c.id for c in seen.cells] == ["load", "plan", "build", "b1", "later"]
        assert seen.active_cell_id is None  # a build has none; an unknown cell is not guessed
        assert seen.cells[3].outputs == OUT
        assert seen.cells[1].outputs == [] and seen.cells[2].outputs == []  # jupyter-plan's


async def test_counts_renumbered_and_empty_cells_left_out(tmp_path: Path) -> None:
    cells = [
        _cell("a", "x = 1").model_copy(update={"execution_count": 7}),
        _cell("gap", "", outputs=False),
        _cell("b", "x").model_copy(update={"execution_count": 9}),
        _cell("ext", "%load_ext jupyter_plan").model_copy(update={"execution_count": 6}),
    ]
    view = AgentView(MemoryBridge(NotebookSnapshot(cells=cells)), tmp_path)
    seen = await view.get_notebook()
    assert [(c.id, c.execution_count) for c in seen.cells] == [("a", 2), ("b", 3), ("ext", 1)]
    assert seen.cells[2].outputs == []  # %load_ext jupyter_plan: its output is ours


def test_notebook_labels_are_project_relative(tmp_path: Path) -> None:
    assert notebook_label(str(tmp_path / "a" / "nb.ipynb"), tmp_path) == "a/nb.ipynb"
    assert notebook_label("/elsewhere/nb.ipynb", tmp_path) == "nb.ipynb"  # never absolute
    assert notebook_label(None, tmp_path) is None
