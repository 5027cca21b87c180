"""Reading the notebook: an outline, cells by id, and a regex search over sources and outputs.

Cells are always named by id (the bridge's address), with their position only as a hint.
Outputs reach the model as text: images and HTML become placeholders, errors keep their
name, value and the tail of the traceback, and terminal colour codes are stripped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from pydantic import BaseModel, Field

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.models import Cell, NotebookSnapshot
from jupyter_plan.policy.regex_safety import UnsafeRegex, compile_safe
from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.tools.base import Tool, ToolContext, ToolError, cap

# CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-byte escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TEXT_MIMES = ("text/plain", "text/markdown", "text/latex", "application/json")
_SOURCE_CAP = 10_000  # characters of one cell's source in read_cells
_TRACEBACK_LINES = 12
_LINE_CAP = 200  # characters of one matching line in search_cells


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _joined(value: Any) -> str:
    """nbformat stores multi-line strings either whole or as a list of lines."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _first_line(text: str, limit: int = 100) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _placeholder(mime: str, value: Any) -> str:
    size = len(_joined(value))
    if mime.startswith("image/"):
        raw = size * 3 // 4  # base64
        amount = f"{raw:,} bytes" if raw < 1024 else f"~{raw / 1024:.0f} KB"
        return f"[{mime} image, {amount}: not shown]"
    if mime == "application/vnd.jupyter.widget-view+json":
        return "[interactive widget: not shown]"
    return f"[{mime} output, {size} characters: not shown]"


def _data_text(data: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The best text rendering of a MIME bundle, and placeholders for what has no text."""
    text = next((strip_ansi(_joined(data[m])) for m in _TEXT_MIMES if m in data), None)
    others = [m for m in data if m not in _TEXT_MIMES]
    if text is not None:
        return text, [f"(also {', '.join(others)})"] if others else []
    return None, [_placeholder(m, data[m]) for m in others]


def output_text(output: dict[str, Any]) -> str:
    """One output as the model reads it (untruncated; the caller caps it)."""
    kind = output.get("output_type")
    if kind == "stream":
        return strip_ansi(_joined(output.get("text", "")))
    if kind == "error":
        ename, evalue = output.get("ename", "Error"), strip_ansi(str(output.get("evalue", "")))
        lines = strip_ansi("\n".join(_joined(t) for t in output.get("traceback", []))).splitlines()
        tail = "\n".join(lines[-_TRACEBACK_LINES:])
        return f"{ename}: {evalue}\nTraceback (last {_TRACEBACK_LINES} lines):\n{tail}"
    if kind in ("execute_result", "display_data"):
        text, notes = _data_text(output.get("data", {}))
        return "\n".join([text, *notes] if text is not None else notes)
    return f"[{kind} output]"


def output_summary(outputs: list[dict[str, Any]]) -> str:
    """One line for the outline: the first output's gist (errors first), and how many more."""
    if not outputs:
        return ""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    first = errors[0] if errors else outputs[0]
    if first.get("output_type") == "error":
        gist = f"error {first.get('ename', 'Error')}: {strip_ansi(str(first.get('evalue', '')))}"
    else:
        gist = _first_line(output_text(first), 80) or "(empty output)"
    more = f" (+{len(outputs) - 1} more)" if len(outputs) > 1 else ""
    return f"{_first_line(gist, 100)}{more}"


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
        line = f"{_header(cell, i, nb)}: {_first_line(cell.source) or '(empty)'}"
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
        text = "\n".join(output_text(o) for o in cell.outputs)
        parts.append("--- outputs ---")
        parts.append(cap(text, args.max_output_chars) if cell.outputs else "(no outputs)")
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
