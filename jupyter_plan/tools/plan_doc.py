"""The only writes of plan mode: the plan document, in the Gemini CLI ``write_file`` and
``replace`` shapes.

This is the second, independent check (the policy engine is the first): the path is
confined to the plan directory and must be a Markdown file. Writes are atomic (a temporary
file in the same folder, then ``os.replace``), so a reader never sees half a plan and a
failed write leaves the old one intact. ``os.replace`` never follows a link at the target.

A planning run writes only its own plan's document: every other plan's document (an
approved plan's text is what a later build reads), and every plan's folder (revisions,
transcripts, the saved metadata) are read-only to it, checked on the real path, so a link
cannot point around the rule. A malformed path (a NUL byte, a name too long) is a refused
call, never an exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from jupyter_plan.models import PlanStatus
from jupyter_plan.policy.paths import PathEscapeError, confine
from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.record.store import PlanStore, PlanStoreError
from jupyter_plan.tools.base import Tool, ToolContext, ToolError

MAX_PLAN_CHARS = 200_000  # a plan is read by a busy person; this is far beyond any good one


def plan_path(file_path: str, plan_dir: Path, plan_id: str | None = None) -> Path:
    """The real path of a plan document this run may write, or a ToolError saying why not.

    ``plan_id`` is the plan being made: its document is writable, no other plan's is. A
    new Markdown file beside the plans (not any plan's) is writable too: the planner takes
    a document the model named otherwise as the plan.
    """
    try:
        path = confine(file_path, plan_dir)
        if path.suffix.lower() != ".md":
            raise ToolError(f"only Markdown plan documents (.md) can be written, not {file_path!r}")
        if path.is_dir():
            raise ToolError(f"{file_path!r} is a folder, not a plan document")
        _own_plan_only(path, file_path, plan_dir, plan_id)
    except PathEscapeError as exc:
        raise ToolError(str(exc)) from None
    except OSError as exc:  # ENAMETOOLONG, ELOOP...: refused, never a crashed run
        raise ToolError(f"refused path {file_path!r}: {exc.strerror or exc}") from None
    return path


def _own_plan_only(path: Path, file_path: str, plan_dir: Path, plan_id: str | None) -> None:
    root = Path(confine(".", plan_dir))
    relative = path.relative_to(root)
    own = f"{plan_id}.md" if plan_id else "your plan document"
    if len(relative.parts) > 1:
        raise ToolError(
            f"{file_path!r} is inside {relative.parts[0]}/: plans' folders (revisions, "
            f"transcripts) are read-only while planning; write {own}"
        )
    if plan_id is not None and path.stem == plan_id:
        return
    store = PlanStore(plan_dir)
    if not (root / path.stem).is_dir() and not (path.exists() and _has_front_matter(path)):
        return  # not a plan: a new document the model named itself
    if plan_id is None and _drafting(store, path.stem):
        return  # no plan id given (a bare tool call): only a draft may be rewritten
    raise ToolError(
        f"{file_path!r} is another plan's document, read-only while planning; write {own}"
    )


def _has_front_matter(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4).startswith(b"---")


def _drafting(store: PlanStore, plan_id: str) -> bool:
    try:
        return store.load(plan_id).status is PlanStatus.DRAFTING
    except (PlanStoreError, ValueError):
        return False


def _write(path: Path, text: str, file_path: str) -> None:
    if len(text) > MAX_PLAN_CHARS:
        raise ToolError(f"the plan is too long ({len(text):,} characters): keep it concise")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    except OSError as exc:
        raise ToolError(f"cannot write {file_path!r}: {exc.strerror or exc}") from None


def _read(path: Path, file_path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolError(f"cannot read {file_path!r}: {exc}") from None


# -- write_file ---------------------------------------------------------------------


class WriteFileArgs(BaseModel):
    file_path: str = Field(description="The plan document (.md), relative to the plan directory.")
    content: str = Field(description="The whole new content of the file.")


async def write_file(args: WriteFileArgs, ctx: ToolContext) -> str:
    path = plan_path(args.file_path, ctx.plan_dir, ctx.plan_id)
    existed = path.exists()
    _write(path, args.content, args.file_path)
    verb = "Overwrote" if existed else "Created"
    return f"{verb} {path.name} ({len(args.content.splitlines())} lines)."


# -- replace ------------------------------------------------------------------------


class ReplaceArgs(BaseModel):
    file_path: str = Field(description="The plan document (.md), relative to the plan directory.")
    old_string: str = Field(
        description="The exact text to replace, including whitespace and enough context to "
        "be unique. Empty to create a new file with new_string."
    )
    new_string: str = Field(description="The text to put in its place.")
    expected_replacements: int = Field(
        1, ge=1, description="How many occurrences of old_string to replace (all must match)."
    )


async def replace(args: ReplaceArgs, ctx: ToolContext) -> str:
    path = plan_path(args.file_path, ctx.plan_dir, ctx.plan_id)
    if not args.old_string:
        if path.exists():
            raise ToolError(f"{args.file_path!r} exists: give the old_string to replace")
        _write(path, args.new_string, args.file_path)
        return f"Created {path.name}."
    if not path.exists():
        raise ToolError(f"no plan document {args.file_path!r}: create it with write_file")
    if args.old_string == args.new_string:
        raise ToolError("old_string and new_string are the same: nothing to change")
    text = _read(path, args.file_path)
    found = text.count(args.old_string)
    if found == 0:
        raise ToolError(
            f"old_string was not found in {args.file_path!r}: read the file and copy the text "
            "exactly, including whitespace and line breaks"
        )
    if found != args.expected_replacements:
        raise ToolError(
            f"old_string occurs {found} times in {args.file_path!r}, expected "
            f"{args.expected_replacements}: add context to make it unique, or set "
            "expected_replacements"
        )
    _write(path, text.replace(args.old_string, args.new_string), args.file_path)
    s = "s" if found > 1 else ""
    return f"Replaced {found} occurrence{s} in {path.name}."


WRITE_FILE = Tool(
    name="write_file",
    description=(
        "Create or overwrite your plan document (a .md file in the plan directory) with the "
        "whole content. Nothing else can be written while planning."
    ),
    args=WriteFileArgs,
    kind=TOOL_KINDS["write_file"],
    run=write_file,
)
REPLACE = Tool(
    name="replace",
    description=(
        "Edit your plan document in place: replace the exact old_string with new_string "
        "(expected_replacements occurrences). Prefer it to write_file for small changes."
    ),
    args=ReplaceArgs,
    kind=TOOL_KINDS["replace"],
    run=replace,
)
TOOLS: tuple[Tool[Any], ...] = (WRITE_FILE, REPLACE)
