"""Notebook tools: the outline, cells by id, and search — over a MemoryBridge."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot
from jupyter_plan.tools.base import OUTPUT_CAP, ToolContext, ToolError

from .conftest import Call

RED = "\x1b[0;31m"
RESET = "\x1b[0m"
PNG = base64.b64encode(b"\x89PNG" + b"\0" * 4000).decode()


def _error(ename: str, evalue: str, frames: int = 30) -> dict[str, Any]:
    tb = [f"{RED}File x.py, line {i}{RESET}\n  frame {i}" for i in range(frames)]
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": tb}


CELLS = [
    Cell(id="md1", cell_type="markdown", source="# Sales analysis\n\nLoad and clean."),
    Cell(
        id="load",
        cell_type="code",
        source="import pandas as pd\nsales = pd.read_csv('sales.csv')\nsales.head()",
        execution_count=1,
        outputs=[
            {"output_type": "stream", "name": "stdout", "text": [f"{RED}loaded{RESET} 120 rows\n"]},
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "data": {"text/plain": "   region  revenue\n0  north  10", "text/html": "<table/>"},
                "metadata": {},
            },
        ],
    ),
    Cell(
        id="plot",
        cell_type="code",
        source="sales.plot()",
        execution_count=2,
        outputs=[{"output_type": "display_data", "data": {"image/png": PNG}, "metadata": {}}],
    ),
    Cell(
        id="broken",
        cell_type="code",
        source="sales['revnue'].sum()",
        execution_count=3,
        outputs=[_error("KeyError", f"{RED}'revnue'{RESET}")],
    ),
    Cell(
        id="html",
        cell_type="code",
        source="display(HTML('<b>x</b>'))",
        outputs=[{"output_type": "display_data", "data": {"text/html": "<b>x</b>"}}],
    ),
    Cell(id="empty", cell_type="code", source=""),
    Cell(id="plan", cell_type="code", source="%%plan\nchart revenue by region"),
]


@pytest.fixture
def nb_ctx(ctx: ToolContext) -> ToolContext:
    snapshot = NotebookSnapshot(path="sales.ipynb", cells=CELLS, active_cell_id="plan")
    ctx.bridge = MemoryBridge(snapshot)
    return ctx


async def test_list_cells_outline(call: Call, nb_ctx: ToolContext) -> None:
    out = await call("list_cells")
    lines = out.splitlines()
    assert lines[0] == "Notebook sales.ipynb: 7 cells (showing #1 to #7)"
    assert lines[1] == "#1 id=md1 markdown: # Sales analysis"
    assert lines[2] == (
        "#2 id=load code [1]: import pandas as pd"
        "  → stdout: loaded 120 rows; out: [text/html, 8 B] region  revenue"
    )
    assert lines[3].endswith("→ out: [image/png]")
    assert lines[4].endswith("→ error: KeyError: 'revnue'")
    assert lines[5].endswith("→ out: [text/html, 8 B]")
    assert lines[6] == "#6 id=empty code: (empty)"
    assert lines[7] == "#7 id=plan code (this %%plan cell): %%plan"
    assert "\x1b" not in out


async def test_list_cells_pages_a_big_notebook(call: Call, ctx: ToolContext) -> None:
    cells = [Cell(id=f"c{i}", cell_type="code", source=f"x{i} = {i}") for i in range(250)]
    ctx.bridge = MemoryBridge(NotebookSnapshot(cells=cells))
    first = await call("list_cells", limit=100)
    assert first.splitlines()[0] == "Notebook (unsaved notebook): 250 cells (showing #1 to #100)"
    assert first.splitlines()[-1] == "[150 more cells: call list_cells with offset=100]"
    last = await call("list_cells", offset=200, limit=100)
    assert "#201 id=c200" in last and "#250 id=c249" in last and "more cells" not in last
    assert "none at offset 300" in await call("list_cells", offset=300)


async def test_read_cells_sources_and_outputs(call: Call, nb_ctx: ToolContext) -> None:
    out = await call("read_cells", cell_ids=["load", "broken", "plot", "md1"])
    assert out.index("id=load") < out.index("id=broken") < out.index("id=plot")  # asked order
    assert "sales = pd.read_csv('sales.csv')" in out
    assert "stdout: loaded 120 rows" in out and "\x1b" not in out
    assert "out: [text/html, 8 B]\n       region  revenue" in out
    assert "error: KeyError: 'revnue'" in out
    assert "frame 29" in out and "frame 10" not in out  # only the traceback's tail
    assert "out: [image/png]" in out and PNG[:50] not in out
    assert "--- outputs ---" not in out.split("id=md1")[1]  # markdown has no outputs


async def test_read_cells_reports_unknown_ids(call: Call, nb_ctx: ToolContext) -> None:
    out = await call("read_cells", cell_ids=["nope", "load", "load", "gone"])
    assert out.count("id=load") == 1
    assert out.endswith("[unknown cell ids, skipped: nope, gone]")
    with pytest.raises(ToolError, match="no cell has the id"):
        await call("read_cells", cell_ids=["nope"])


async def test_read_cells_caps_outputs_and_sources(call: Call, ctx: ToolContext) -> None:
    noisy = Cell(
        id="noisy",
        cell_type="code",
        source="y = 1\n" * 5000,
        outputs=[{"output_type": "stream", "name": "stdout", "text": "z" * 50_000}],
    )
    ctx.bridge = MemoryBridge(NotebookSnapshot(cells=[noisy]))
    out = await call("read_cells", cell_ids=["noisy"], max_output_chars=500)
    assert "more characters truncated" in out
    assert len(out) < OUTPUT_CAP + 200
    without = await call("read_cells", cell_ids=["noisy"], include_outputs=False)
    assert "zzz" not in without


SEARCHES = [
    ({"pattern": r"read_csv"}, ["#2 id=load source line 2: sales = pd.read_csv('sales.csv')"]),
    ({"pattern": r"revnue"}, ["id=broken source line 1", "id=broken output line 1"]),
    ({"pattern": r"revnue", "include_outputs": False}, ["id=broken source line 1"]),
    ({"pattern": r"LOADED", "ignore_case": True}, ["id=load output line 1: loaded 120 rows"]),
    ({"pattern": r"^%%plan"}, ["#7 id=plan source line 1: %%plan"]),
]


@pytest.mark.parametrize(("args", "expected"), SEARCHES)
async def test_search_cells(
    call: Call, nb_ctx: ToolContext, args: dict[str, Any], expected: list[str]
) -> None:
    out = await call("search_cells", **args)
    assert len(out.splitlines()) == len(expected)
    for line, want in zip(out.splitlines(), expected, strict=True):
        assert want in line


async def test_search_cells_no_match_and_cap(call: Call, ctx: ToolContext) -> None:
    cells = [Cell(id=f"c{i}", cell_type="code", source="df = 1\n" * 10) for i in range(20)]
    ctx.bridge = MemoryBridge(NotebookSnapshot(cells=cells))
    out = await call("search_cells", pattern="df", max_matches=15)
    assert len(out.splitlines()) == 16
    assert out.splitlines()[-1] == "[stopped at 15 matches: narrow the pattern]"
    assert (await call("search_cells", pattern="absent")).startswith("No matches")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("(a+)+$", "backtrack catastrophically"), ("(unclosed", "invalid regular expression")],
)
async def test_search_cells_refuses_bad_regexes(
    call: Call, nb_ctx: ToolContext, pattern: str, message: str
) -> None:
    with pytest.raises(ToolError, match=message):
        await call("search_cells", pattern=pattern)


class BrokenBridge:
    async def get_notebook(self) -> NotebookSnapshot:
        raise BridgeError("the frontend went away")


@pytest.mark.parametrize(
    ("tool", "args"),
    [("list_cells", {}), ("read_cells", {"cell_ids": ["a"]}), ("search_cells", {"pattern": "a"})],
)
async def test_an_unreadable_notebook_is_told_to_the_model(
    call: Call, ctx: ToolContext, tool: str, args: dict[str, Any]
) -> None:
    ctx.bridge = BrokenBridge()
    with pytest.raises(ToolError, match="the notebook cannot be read: the frontend went away"):
        await call(tool, **args)
