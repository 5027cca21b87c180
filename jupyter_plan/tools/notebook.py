"""Reading the notebook: an outline, cells by id, and a regex search over sources and outputs.

Cells are always named by id (the bridge's address), with their position only as a hint.
Outputs are rendered by ``jupyter_plan.outputs`` in the outline's format, only less cut:
placeholders for images and HTML, errors as name, value and traceback tail, no colour codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from pydantic import BaseModel, Field

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.models import Cell, NotebookSnapshot
from jupyter_plan.outputs import first_line, format_outputs, output_summary, output_text
from jupyter_plan.policy.regex_safety import UnsafeRegex, compile_safe
from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.tools.base import Tool, ToolContext, ToolError, cap

_SOURCE_CAP = 10_000  # characters of one cell's source in read_cells
_LINE_CAP = 200  # characters of one matching line in search_cells
_FIRST_LINE = 100  # characters of a cell's first line in list_cells


async def _notebook(ctx: ToolContext) -> NotebookSnapshot:
    try:
        return await ctx.bridge.get_notebook()
    except BridgeError as exc:
        raise ToolError(f"the notebook cannot be read: {exc}") from None


def _header(cell: Cell, index: int, snapshot: NotebookSnapshot) -> str:
    count = f" [{cell.execution_count}]" if cell.execution_count is not None else ""
    mark = " (this %%plan cell)" if cell.id == snapshot.active_cell_id else ""
    return f"#{index + 1} id={cell.id} {cell.cell_type}{count}{mark}"


# -- list_cells ---------------------------------------------------------------------


class ListCellsArgs(BaseModel):
    offset: int = Field(0, ge=0, description="Index of the first cell to list (0-based).")
    limit: int = Field(100, ge=1, le=500, description="How many cells to list at most.")


async def list_cells(args: ListCellsArgs, ctx: ToolContext) -> str:
    nb = await _notebook(ctx)
    total = len(nb.cells)
    shown = nb.cells[args.offset : args.offset + args.limit]
    name = nb.path or "(unsaved notebook)"
    if not shown:
        return f"Notebook {name}: {total} cells; none at offset {args.offset}."
    end = args.offset + len(shown)
    lines = [f"Notebook {name}: {total} cells (showing #{args.offset + 1} to #{end})"]
    for i, cell in enumerate(shown, start=args.offset):
        line = f"{_header(cell, i, nb)}: {first_line(cell.source, _FIRST_LINE) or '(empty)'}"
        summary = output_summary(cell.outputs)
        lines.append(f"{line}  → {summary}" if summary else line)
    if end < total:
        lines.append(f"[{total - end} more cells: call list_cells with offset={end}]")
    return cap("\n".join(lines))


# -- read_cells ---------------------------------------------------------------------


class ReadCellsArgs(BaseModel):
    cell_ids: list[str] = Field(
        min_length=1, max_length=50, description="Ids of the cells to read (from list_cells)."
    )
    include_outputs: bool = Field(True, description="Also show each code cell's outputs.")
    max_output_chars: int = Field(
        2000, ge=100, le=20_000, description="Characters of outputs shown per cell."
    )


def _render_cell(cell: Cell, index: int, nb: NotebookSnapshot, args: ReadCellsArgs) -> str:
    parts = [f"--- {_header(cell, index, nb)} ---", cap(cell.source, _SOURCE_CAP) or "(empty)"]
    if args.include_outputs and cell.cell_type == "code":
        text = "\n".join(format_outputs(cell.outputs))  # the outline's format, uncut
        parts.append("--- outputs ---")
        parts.append(cap(text, args.max_output_chars) if text else "(no outputs)")
    return "\n".join(parts)


async def read_cells(args: ReadCellsArgs, ctx: ToolContext) -> str:
    nb = await _notebook(ctx)
    index = {c.id: i for i, c in enumerate(nb.cells)}
    wanted = list(dict.fromkeys(args.cell_ids))  # keep order, drop repeats
    unknown = [cid for cid in wanted if cid not in index]
    if len(unknown) == len(wanted):
        raise ToolError(f"no cell has the id(s) {', '.join(unknown)}; list_cells shows the ids")
    blocks = [
        _render_cell(nb.cells[index[cid]], index[cid], nb, args) for cid in wanted if cid in index
    ]
    if unknown:
        blocks.append(f"[unknown cell ids, skipped: {', '.join(unknown)}]")
    return cap("\n\n".join(blocks))


# -- search_cells -------------------------------------------------------------------


class SearchCellsArgs(BaseModel):
    pattern: str = Field(
        min_length=1, description="Python regular expression, searched line by line."
    )
    ignore_case: bool = Field(False, description="Match regardless of case.")
    include_outputs: bool = Field(True, description="Also search the cells' text outputs.")
    max_matches: int = Field(100, ge=1, le=500, description="Stop after this many matches.")


def _matches(nb: NotebookSnapshot, regex: re.Pattern[str], outputs: bool) -> Iterator[str]:
    for i, cell in enumerate(nb.cells):
        texts = [("source", cell.source)]
        if outputs:
            texts += [("output", output_text(o)) for o in cell.outputs]
        for where, text in texts:
            for n, line in enumerate(text.splitlines(), start=1):
                if regex.search(line):
                    shown = line if len(line) <= _LINE_CAP else line[:_LINE_CAP] + "…"
                    yield f"#{i + 1} id={cell.id} {where} line {n}: {shown}"


async def search_cells(args: SearchCellsArgs, ctx: ToolContext) -> str:
    try:
        regex = compile_safe(("(?i)" if args.ignore_case else "") + args.pattern)
    except UnsafeRegex as exc:
        raise ToolError(str(exc)) from None
    nb = await _notebook(ctx)
    hits = list(islice(_matches(nb, regex, args.include_outputs), args.max_matches + 1))
    if not hits:
        return f"No matches for {args.pattern!r} in {len(nb.cells)} cells."
    if len(hits) > args.max_matches:
        hits[-1] = f"[stopped at {args.max_matches} matches: narrow the pattern]"
    return cap("\n".join(hits))


LIST_CELLS = Tool(
    name="list_cells",
    description=(
        "Outline of the notebook: each cell's id, type, execution count, first line and a "
        "one-line summary of its output. Start here; page with offset/limit in big notebooks."
    ),
    args=ListCellsArgs,
    kind=TOOL_KINDS["list_cells"],
    run=list_cells,
)
READ_CELLS = Tool(
    name="read_cells",
    description=(
        "Full source and (truncated) outputs of cells, by id. Images and HTML are shown as "
        "placeholders; errors show their name, message and traceback tail."
    ),
    args=ReadCellsArgs,
    kind=TOOL_KINDS["read_cells"],
    run=read_cells,
)
SEARCH_CELLS = Tool(
    name="search_cells",
    description=(
        "Find a regular expression in cell sources (and text outputs): every matching line "
        "with its cell id and line number. Use it to locate where a variable or column is used."
    ),
    args=SearchCellsArgs,
    kind=TOOL_KINDS["search_cells"],
    run=search_cells,
)
TOOLS: tuple[Tool[Any], ...] = (LIST_CELLS, READ_CELLS, SEARCH_CELLS)
