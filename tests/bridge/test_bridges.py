"""Every EditableBridge operation, the same checks over memory, file and comm bridges."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.bridge.base import BridgeError, CellNotFound, EditableBridge
from jupyter_plan.models import NewCell

from .conftest import Harness, make_harness

NBFORMAT_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def ids(h: Harness) -> list[str]:
    return [c.id for c in h.stored().cells]


def sources(h: Harness) -> list[str]:
    return [c.source for c in h.stored().cells]


async def test_get_notebook_reports_every_cell(harness: Harness) -> None:
    nb = await harness.bridge.get_notebook()
    assert [(c.id, c.cell_type, c.source) for c in nb.cells] == [
        ("a", "code", "x = 20"),
        ("b", "markdown", "# Notes"),
        ("c", "code", "print(x + 1)"),
    ]
    assert nb.cell("b") is not None and nb.cell("b").metadata == {"tags": ["keep"]}  # type: ignore[union-attr]
    assert nb.cell("c").outputs[0]["text"] == "old\n"  # type: ignore[union-attr]


async def test_get_notebook_is_a_copy(harness: Harness) -> None:
    nb = await harness.bridge.get_notebook()
    nb.cells[0].source = "changed by a reader"
    assert sources(harness)[0] == "x = 20"


@pytest.mark.parametrize(
    ("where", "order"),
    [
        ({}, ["a", "b", "c", "N1", "N2"]),
        ({"after": "a"}, ["a", "N1", "N2", "b", "c"]),
        ({"before": "a"}, ["N1", "N2", "a", "b", "c"]),
        ({"after": "c"}, ["a", "b", "c", "N1", "N2"]),
        ({"before": "c"}, ["a", "b", "N1", "N2", "c"]),
        ({"after": "b", "before": "a"}, ["a", "b", "N1", "N2", "c"]),  # after wins
    ],
)
async def test_insert_cells(harness: Harness, where: dict[str, str], order: list[str]) -> None:
    new = [
        NewCell(source="y = x * 2", metadata={"jupyter_plan": {"step_id": "S1"}}),
        NewCell(cell_type="markdown", source="## Result"),
    ]
    made = await harness.bridge.insert_cells(new, **where)
    assert len(made) == 2 and len(set(made) | {"a", "b", "c"}) == 5
    assert all(NBFORMAT_ID.match(i) for i in made)
    names = {made[0]: "N1", made[1]: "N2"}
    assert [names.get(i, i) for i in ids(harness)] == order
    stored = harness.stored()
    first, second = stored.cell(made[0]), stored.cell(made[1])
    assert first is not None and second is not None
    assert (first.cell_type, first.source, first.metadata) == (
        "code",
        "y = x * 2",
        {"jupyter_plan": {"step_id": "S1"}},
    )
    assert (second.cell_type, second.source, first.outputs) == ("markdown", "## Result", [])


async def test_inserted_ids_are_fresh_every_time(harness: Harness) -> None:
    seen = {"a", "b", "c"}
    for _ in range(5):
        (new,) = await harness.bridge.insert_cells([NewCell(source="pass")])
        assert new not in seen
        seen.add(new)
    assert len(ids(harness)) == 8


async def test_replace_cell_changes_only_its_source(harness: Harness) -> None:
    before = harness.stored()
    await harness.bridge.replace_cell("c", "print(x + 2)")
    after = harness.stored()
    assert sources(harness) == ["x = 20", "# Notes", "print(x + 2)"]
    changed = after.cell("c")
    assert changed is not None and changed.outputs == before.cell("c").outputs  # type: ignore[union-attr]
    assert after.cells[:2] == before.cells[:2]


async def test_delete_cells(harness: Harness) -> None:
    await harness.bridge.delete_cells(["a", "c"])
    assert ids(harness) == ["b"]


async def test_set_cell_metadata(harness: Harness) -> None:
    tag = {"plan_id": "p1", "revision": 2, "step_id": "S3"}
    await harness.bridge.set_cell_metadata("b", "jupyter_plan", tag)
    cell = harness.stored().cell("b")
    assert cell is not None and cell.metadata == {"tags": ["keep"], "jupyter_plan": tag}
    assert harness.stored().cell("a").metadata == {}  # type: ignore[union-attr]


async def test_run_cells_stores_outputs_and_counts(harness: Harness) -> None:
    runs = await harness.bridge.run_cells(["a", "b", "c"])
    assert [(r.cell_id, r.status) for r in runs] == [("a", "ok"), ("b", "ok"), ("c", "ok")]
    assert runs[1].execution_count is None and runs[1].outputs == []  # markdown: rendered
    assert runs[2].outputs == [{"output_type": "stream", "name": "stdout", "text": "21\n"}]
    assert runs[0].execution_count is not None
    assert runs[2].execution_count == runs[0].execution_count + 1  # type: ignore[operator]
    stored = harness.stored().cell("c")
    assert stored is not None
    assert stored.outputs == runs[2].outputs and stored.execution_count == runs[2].execution_count


async def test_run_stops_at_the_first_error(harness: Harness) -> None:
    (bad,) = await harness.bridge.insert_cells([NewCell(source="1 / 0")], after="a")
    before_c = harness.stored().cell("c")
    runs = await harness.bridge.run_cells(["a", bad, "c"])
    assert [r.status for r in runs] == ["ok", "error", "aborted"]
    assert runs[1].error == "ZeroDivisionError: division by zero"
    error = runs[1].outputs[-1]
    assert (error["output_type"], error["ename"]) == ("error", "ZeroDivisionError")
    assert isinstance(error["traceback"], list) and error["traceback"]
    assert harness.stored().cell("c") == before_c  # never ran
    assert harness.stored().cell(bad).outputs == runs[1].outputs  # type: ignore[union-attr]


async def test_checkpoint_and_restore_are_exact(harness: Harness) -> None:
    start = harness.raw()
    token = await harness.bridge.checkpoint()
    (new,) = await harness.bridge.insert_cells([NewCell(source="z = 1")], before="a")
    await harness.bridge.replace_cell("a", "x = 0")
    await harness.bridge.set_cell_metadata("b", "k", [1, 2])
    await harness.bridge.run_cells([new, "c"])
    await harness.bridge.delete_cells(["b"])
    assert harness.raw() != start
    await harness.bridge.restore_checkpoint(token)
    assert harness.raw() == start
    await harness.bridge.delete_cells(["a"])
    await harness.bridge.restore_checkpoint(token)  # a token can be used again
    assert harness.raw() == start


async def test_restore_an_unknown_checkpoint(harness: Harness) -> None:
    start = harness.raw()
    with pytest.raises(BridgeError, match="checkpoint"):
        await harness.bridge.restore_checkpoint("0123456789abcdef")
    assert harness.raw() == start


Op = Callable[[EditableBridge], Awaitable[Any]]
MISSING_ID_OPS: list[tuple[str, Op]] = [
    ("replace", lambda b: b.replace_cell("gone", "boom")),
    ("delete", lambda b: b.delete_cells(["a", "gone"])),
    ("metadata", lambda b: b.set_cell_metadata("gone", "k", 1)),
    ("run", lambda b: b.run_cells(["a", "gone"])),
    ("insert-after", lambda b: b.insert_cells([NewCell(source="boom")], after="gone")),
    ("insert-before", lambda b: b.insert_cells([NewCell(source="boom")], before="gone")),
]


@pytest.mark.parametrize(("name", "op"), MISSING_ID_OPS, ids=[n for n, _ in MISSING_ID_OPS])
async def test_unknown_cell_ids_change_nothing(
    harness: Harness, shell: Any, name: str, op: Op
) -> None:
    start, count = harness.raw(), shell.execution_count
    with pytest.raises(CellNotFound) as caught:
        await op(harness.bridge)
    assert caught.value.cell_id == "gone"
    assert "gone" in str(caught.value)
    assert harness.raw() == start
    assert shell.execution_count == count  # "a" was not run either


@pytest.mark.parametrize("kind", ["memory", "file"])
async def test_running_without_an_executor_is_a_clear_error(tmp_path: Path, kind: str) -> None:
    h = await make_harness(kind, tmp_path, None)
    start = h.raw()
    with pytest.raises(BridgeError, match="without an executor"):
        await h.bridge.run_cells(["a"])
    assert h.raw() == start
    assert [r.status for r in await h.bridge.run_cells(["b"])] == ["ok"]  # markdown needs none
