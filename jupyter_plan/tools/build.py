"""Build tools: edit and run cells, tick off steps, write files, run shell commands.

Every call is decided by the policy before it runs (the agent loop does that). Cells are
addressed by id; each cell the build inserts or edits carries ``metadata.jupyter_plan``.
"""

from __future__ import annotations

import asyncio
import difflib
import os
from typing import Any, Literal, cast

from pydantic import BaseModel, Field

from jupyter_plan.bridge.base import BridgeError, EditableBridge
from jupyter_plan.models import NewCell
from jupyter_plan.outputs import format_outputs
from jupyter_plan.policy.paths import PathEscapeError, confine
from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.tools.base import BuildState, Tool, ToolContext, ToolError, cap

SHELL_TIMEOUT = 120.0
MAX_FILE_CHARS = 1_000_000


def _bridge(ctx: ToolContext) -> EditableBridge:
    return cast(EditableBridge, ctx.bridge)


def _build(ctx: ToolContext) -> BuildState:
    if ctx.build is None:
        raise ToolError("build tools are only available during %build")
    return ctx.build


async def _source_of(ctx: ToolContext, cell_id: str) -> str:
    cell = (await ctx.bridge.get_notebook()).cell(cell_id)
    if cell is None:
        raise ToolError(f"no cell with id {cell_id!r}; list_cells shows the current ids")
    return cell.source


# -- cells --------------------------------------------------------------------------


class InsertCellArgs(BaseModel):
    source: str = Field(description="The cell's full source.")
    cell_type: Literal["code", "markdown"] = Field("code", description="code or markdown")
    after: str | None = Field(None, description="Insert after this cell id.")
    before: str | None = Field(None, description="Insert before this cell id (if no 'after').")
    step_id: str = Field(description="The plan step this cell belongs to, e.g. 'S1'.")


async def insert_cell(args: InsertCellArgs, ctx: ToolContext) -> str:
    state = _build(ctx)
    cell = NewCell(cell_type=args.cell_type, source=args.source)
    cell.metadata["jupyter_plan"] = state.tag(args.step_id)
    try:
        (new_id,) = await _bridge(ctx).insert_cells([cell], after=args.after, before=args.before)
    except BridgeError as exc:
        raise ToolError(str(exc)) from None
    state.touched.append(new_id)
    return f"Inserted {args.cell_type} cell {new_id!r}. Run it with run_cell to check it."


async def _preview_insert(args: InsertCellArgs, ctx: ToolContext) -> tuple[str, str]:
    return args.source, "code"


class EditCellArgs(BaseModel):
    cell_id: str = Field(description="The cell to change.")
    source: str = Field(description="The cell's complete new source.")
    step_id: str = Field(description="The plan step this edit belongs to, e.g. 'S2'.")


async def edit_cell(args: EditCellArgs, ctx: ToolContext) -> str:
    state = _build(ctx)
    bridge = _bridge(ctx)
    try:
        await bridge.replace_cell(args.cell_id, args.source)
        await bridge.set_cell_metadata(args.cell_id, "jupyter_plan", state.tag(args.step_id))
    except BridgeError as exc:
        raise ToolError(str(exc)) from None
    state.touched.append(args.cell_id)
    return f"Cell {args.cell_id!r} now holds the new source. Run it to check it."


async def _preview_edit(args: EditCellArgs, ctx: ToolContext) -> tuple[str, str]:
    old = await _source_of(ctx, args.cell_id)
    diff = difflib.unified_diff(  # lines without their ends: a source without a final
        old.splitlines(),  # newline must not join its last line to the next diff line
        args.source.splitlines(),
        fromfile=f"{args.cell_id} (now)",
        tofile=f"{args.cell_id} (proposed)",
        lineterm="",
    )
    return "\n".join(diff) or "(no change)", "diff"


class DeleteCellArgs(BaseModel):
    cell_ids: list[str] = Field(min_length=1, description="The cells to delete.")


async def delete_cell(args: DeleteCellArgs, ctx: ToolContext) -> str:
    _build(ctx)
    try:
        await _bridge(ctx).delete_cells(args.cell_ids)
    except BridgeError as exc:
        raise ToolError(str(exc)) from None
    return f"Deleted {len(args.cell_ids)} cell(s)."


async def _preview_delete(args: DeleteCellArgs, ctx: ToolContext) -> tuple[str, str]:
    parts = [f"# {cid}\n{await _source_of(ctx, cid)}" for cid in args.cell_ids]
    return "\n\n".join(parts), "code"


class RunCellArgs(BaseModel):
    cell_id: str = Field(description="The cell to run; its outputs and errors come back.")


async def run_cell(args: RunCellArgs, ctx: ToolContext) -> str:
    _build(ctx)
    try:
        (run,) = await _bridge(ctx).run_cells([args.cell_id])
    except BridgeError as exc:
        raise ToolError(str(exc)) from None
    shown = "\n".join(format_outputs(run.outputs)) or "(no output)"
    # No execution count: it depends on what ran before in the kernel, not on this cell, and
    # a replay under another runner (Run All after earlier runs) must see the same result.
    head = f"Cell {args.cell_id!r} ran: {run.status}"
    if run.error:
        head += f" — {run.error}"
    return cap(f"{head}\n{shown}", 6_000)


async def _preview_run(args: RunCellArgs, ctx: ToolContext) -> tuple[str, str]:
    return await _source_of(ctx, args.cell_id), "code"


# -- steps ----------------------------------------------------------------------------


class UpdateStepArgs(BaseModel):
    step_id: str = Field(description="The plan step, e.g. 'S1'.")
    status: Literal["in_progress", "done", "failed", "skipped"]
    note: str | None = Field(None, description="What was done, or why it failed / was skipped.")


async def update_step(args: UpdateStepArgs, ctx: ToolContext) -> str:
    step = _build(ctx).set_step(args.step_id, args.status, args.note)
    return f"Step {step.id} ({step.title}) is {step.status}."


# -- workspace files and shell --------------------------------------------------------


class WriteFileArgs(BaseModel):
    file_path: str = Field(description="Path inside the project, relative to its root.")
    content: str = Field(description="The file's complete new content.")


async def write_file(args: WriteFileArgs, ctx: ToolContext) -> str:
    _build(ctx)
    if len(args.content) > MAX_FILE_CHARS:
        raise ToolError(f"content too long ({len(args.content):,} characters)")
    try:
        path = confine(args.file_path, ctx.workspace_root)
    except PathEscapeError as exc:
        raise ToolError(str(exc)) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(write_atomic, path, args.content)
    except OSError as exc:
        raise ToolError(f"cannot write {args.file_path!r}: {exc.strerror or exc}") from None
    return f"Wrote {len(args.content):,} characters to {args.file_path}."


async def _preview_write(args: WriteFileArgs, ctx: ToolContext) -> tuple[str, str]:
    return args.content[:4000], "code"


class ShellArgs(BaseModel):
    command: str = Field(description="A bash command, run in the project root.")
    timeout: float = Field(60.0, gt=0, le=SHELL_TIMEOUT, description="Seconds before it is killed.")


async def run_shell_command(args: ShellArgs, ctx: ToolContext) -> str:
    # Also a plan-mode tool: hidden there unless a rule naming `plan` allows some command.
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        args.command,
        cwd=ctx.workspace_root,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if "KEY" not in k and "TOKEN" not in k},
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), args.timeout)
    except (TimeoutError, asyncio.CancelledError):
        proc.kill()
        await proc.wait()
        raise ToolError(f"killed after {args.timeout:g} s: {args.command!r}") from None
    text = out.decode("utf-8", errors="replace")
    return cap(f"exit status {proc.returncode}\n{text}", 6_000)


async def _preview_shell(args: ShellArgs, ctx: ToolContext) -> tuple[str, str]:
    return args.command, "command"


def _tool(
    name: str, description: str, args: type[BaseModel], run: Any, preview: Any = None
) -> Tool[Any]:
    return Tool(name, description, args, TOOL_KINDS[name], run, preview)


TOOLS: tuple[Tool[Any], ...] = (
    _tool(
        "insert_cell",
        "Insert a new cell (after or before a cell id; at the end if neither). Tag it with the "
        "plan step it implements.",
        InsertCellArgs,
        insert_cell,
        _preview_insert,
    ),
    _tool(
        "edit_cell",
        "Replace a cell's source (give the complete new source).",
        EditCellArgs,
        edit_cell,
        _preview_edit,
    ),
    _tool("delete_cell", "Delete cells by id.", DeleteCellArgs, delete_cell, _preview_delete),
    _tool(
        "run_cell",
        "Run a cell and get its outputs and errors when it finishes.",
        RunCellArgs,
        run_cell,
        _preview_run,
    ),
    _tool(
        "update_step",
        "Mark a plan step in_progress, done, failed or skipped, with a short note.",
        UpdateStepArgs,
        update_step,
    ),
    _tool(
        "write_file",
        "Write a file inside the project (not the notebook: edit cells for that).",
        WriteFileArgs,
        write_file,
        _preview_write,
    ),
    _tool(
        "run_shell_command",
        "Run a bash command in the project root; returns its exit status and output.",
        ShellArgs,
        run_shell_command,
        _preview_shell,
    ),
)
