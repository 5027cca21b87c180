"""The edit_cell approval's diff: removed and added lines stay separate and exact, whether or
not the sources end with a newline (issue 11, finding 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot
from jupyter_plan.tools.base import ToolContext
from jupyter_plan.tools.build import EditCellArgs, _preview_edit


@pytest.mark.parametrize("end", ["", "\n"])
async def test_the_diff_keeps_each_line_apart(tmp_path: Path, end: str) -> None:
    old = "by_customer = df.groupby('customer').sum()\nby_customer.round(3)" + end
    cell = Cell(id="c1", cell_type="code", source=old)
    ctx = ToolContext(
        bridge=MemoryBridge(NotebookSnapshot(cells=[cell])),
        workspace_root=tmp_path,
        plan_dir=tmp_path / "plans",
        human=None,  # type: ignore[arg-type]
    )
    new = "summary = df.describe()" + end
    diff, kind = await _preview_edit(EditCellArgs(cell_id="c1", source=new, step_id="S1"), ctx)
    assert kind == "diff"
    assert diff.splitlines() == [
        "--- c1 (now)",
        "+++ c1 (proposed)",
        "@@ -1,2 +1 @@",
        "-by_customer = df.groupby('customer').sum()",
        "-by_customer.round(3)",
        "+summary = df.describe()",
    ]
