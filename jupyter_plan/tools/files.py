"""Reading the workspace: files, folders, glob and grep, all confined to the workspace root.

Every path the model gives goes through :func:`confine` (symlinks resolved, ``..``
collapsed); an escape is refused with its message. Walks never follow symlinked folders
and skip symlinked files that point out of the workspace. Heavy file work runs in a thread
so the kernel's event loop (widgets, comms) keeps answering.
"""

from __future__ import annotations

import asyncio
import codecs
import mimetypes
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field

from jupyter_plan.policy.paths import PathEscapeError, confine, is_inside
from jupyter_plan.policy.regex_safety import UnsafeRegex, compile_safe
from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.tools.base import OUTPUT_CAP, Tool, ToolContext, ToolError, cap

SKIP_DIRS = frozenset(
    {".git", "node_modules", ".venv", "__pycache__", ".ipynb_checkpoints"}
    | {".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox"}
)
SNIFF_BYTES = 8192  # how much of a file decides text or binary
LINE_CAP = 2000  # characters of one line shown by read_file
GREP_LINE_CAP = 300
GREP_MAX_BYTES = 2_000_000  # bigger files are skipped by grep_search (read_file pages them)
WALK_MAX_FILES = 100_000  # a walk stops here, saying so


def _confine(path: str, root: Path) -> Path:
    try:
        return confine(path, root)
    except PathEscapeError as exc:
        raise ToolError(str(exc)) from None


def _rel(path: str | Path, root: Path) -> str:
    rel = os.path.relpath(path, os.path.realpath(root))
    return "." if rel == "." else rel.replace(os.sep, "/")


def sniff_encoding(sample: bytes) -> str | None:
    """``utf-8``, ``latin-1`` for legacy text, or None for binary data."""
    if b"\0" in sample:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f\b\x1b")
    return "latin-1" if controls * 100 <= len(sample) else None


def _text_encoding(path: Path, rel: str) -> str:
    """The file's text encoding; a ToolError for folders, special files and binary data."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ToolError(f"no such file: {rel} (glob or list_directory show what exists)") from None
    if stat.S_ISDIR(st.st_mode):
        raise ToolError(f"{rel} is a folder: use list_directory")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        raise ToolError(f"{rel} is not a regular file")
    with open(path, "rb") as f:
        encoding = sniff_encoding(f.read(SNIFF_BYTES))
    if encoding is None:
        kind = mimetypes.guess_type(path.name)[0] or "binary data"
        raise ToolError(f"{rel} is not a text file ({kind}, {st.st_size:,} bytes): not shown")
    return encoding


def _bounded_lines(f: IO[str], limit: int) -> Iterator[tuple[str, bool]]:
    """Lines of at most ``limit`` characters (and whether each was cut), in bounded memory."""
    while line := f.readline(limit + 1):
        cut = len(line) > limit and not line.endswith("\n")
        if cut:
            while (rest := f.readline(65536)) and not rest.endswith("\n"):
                pass
        yield line[:limit].rstrip("\r\n"), cut


# -- read_file ----------------------------------------------------------------------


class ReadFileArgs(BaseModel):
    file_path: str = Field(description="Path of the file, relative to the workspace root.")
    offset: int = Field(0, ge=0, description="Number of lines to skip (to page a long file).")
    limit: int = Field(2000, ge=1, le=5000, description="How many lines to read at most.")


def _read_lines(path: Path, rel: str, offset: int, limit: int) -> str:
    encoding = _text_encoding(path, rel)
    shown: list[str] = []
    size = 0
    count = 0
    more = False
    with open(path, encoding=encoding, errors="replace", newline=None) as f:
        for count, (line, cut) in enumerate(_bounded_lines(f, LINE_CAP), start=1):
            if count <= offset:
                continue
            if len(shown) == limit or size + len(line) > OUTPUT_CAP - 200:  # room for notes
                more = True
                break
            shown.append(line + (" [… line truncated]" if cut else ""))
            size += len(shown[-1]) + 1
    if not shown:
        if count == 0:
            return f"[{rel}: the file is empty]"
        return f"[{rel}: the file has {count} lines; nothing after line {offset}]"
    end = offset + len(shown)
    decoded = ", not UTF-8: decoded as Latin-1" if encoding == "latin-1" else ""
    note = f"[{rel}: lines {offset + 1}-{end}{decoded}]"
    tail = f"\n[more lines follow: read_file with offset={end}]" if more else ""
    return f"{note}\n" + "\n".join(shown) + tail


async def read_file(args: ReadFileArgs, ctx: ToolContext) -> str:
    path = _confine(args.file_path, ctx.workspace_root)
    rel = _rel(path, ctx.workspace_root)
    try:
        return cap(await asyncio.to_thread(_read_lines, path, rel, args.offset, args.limit))
    except OSError as exc:  # permissions, a file vanishing mid-read …
        raise ToolError(f"cannot read {rel}: {exc.strerror or exc}") from None


# -- list_directory -----------------------------------------------------------------


class ListDirectoryArgs(BaseModel):
    dir_path: str = Field(".", description="Folder to list, relative to the workspace root.")


def _size_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:.1f} {unit}"


def _list_dir(path: Path, root: Path) -> str:
    rel = _rel(path, root)
    if not path.is_dir():
        raise ToolError(f"{rel} is not a folder" if path.exists() else f"no such folder: {rel}")
    with os.scandir(path) as it:
        entries = sorted(it, key=lambda e: (not e.is_dir(follow_symlinks=False), e.name))
    lines = [f"{rel}/ ({len(entries)} entries)"]
    for entry in entries[:500]:
        if entry.is_symlink() and not is_inside(entry.path, root):
            lines.append(f"  {entry.name} -> (a link out of the workspace: not readable)")
        elif entry.is_dir():
            skipped = " (skipped by glob and grep_search)" if entry.name in SKIP_DIRS else ""
            lines.append(f"  {entry.name}/{skipped}")
        else:
            size = entry.stat().st_size if entry.is_file() else 0
            lines.append(f"  {entry.name}  {_size_text(size)}")
    if len(entries) > 500:
        lines.append(f"  [{len(entries) - 500} more entries not shown: use glob to narrow]")
    return "\n".join(lines)


async def list_directory(args: ListDirectoryArgs, ctx: ToolContext) -> str:
    path = _confine(args.dir_path, ctx.workspace_root)
    try:
        return cap(await asyncio.to_thread(_list_dir, path, ctx.workspace_root))
    except OSError as exc:
        raise ToolError(f"cannot list {args.dir_path}: {exc.strerror or exc}") from None


# -- walking and glob ---------------------------------------------------------------


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex over '/'-separated relative paths: ``*``, ``?``, ``[..]``,
    ``**`` (any folders) and ``{a,b}``. A pattern without '/' matches at any depth."""
    if len(pattern) > 500 or ".." in pattern.split("/") or pattern.startswith("/"):
        raise ToolError(f"glob pattern {pattern!r} must be relative, without '..' (<500 chars)")
    try:
        return re.compile(("(?:.*/)?" if "/" not in pattern else "") + _translate(pattern), re.S)
    except re.error as exc:
        raise ToolError(f"invalid glob pattern {pattern!r}: {exc}") from None


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        end = pattern.find("]" if c == "[" else "}", i + 2) if c in "[{" else -1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and end != -1:
            inner = re.sub(r"([\\\[]|^\^)", r"\\\1", pattern[i + 1 : end])
            out.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
            i = end
        elif c == "{" and end != -1:
            out.append("(?:" + "|".join(_translate(a) for a in pattern[i + 1 : end].split(",")))
            out.append(")")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def walk_files(start: Path, root: Path, notes: list[str]) -> Iterator[Path]:
    """Files under ``start`` in name order: skipped folders pruned, links out dropped."""
    if start.is_file():
        yield start
        return
    seen = links_out = 0
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_symlink() and not is_inside(path, root):
                links_out += 1
                continue
            seen += 1
            if seen > WALK_MAX_FILES:
                notes.append(f"[stopped after {WALK_MAX_FILES:,} files: narrow dir_path]")
                return
            yield path
    if links_out:
        notes.append(f"[{links_out} links pointing out of the workspace were skipped]")


class GlobArgs(BaseModel):
    pattern: str = Field(
        description="Glob such as '**/*.py', 'data/*.csv' or '*.{csv,parquet}'; a pattern "
        "without '/' matches file names at any depth."
    )
    dir_path: str = Field(".", description="Folder to search in, relative to the workspace.")
    limit: int = Field(200, ge=1, le=1000, description="How many paths to return at most.")


def _glob(args: GlobArgs, start: Path, root: Path) -> str:
    regex = glob_regex(args.pattern)
    notes: list[str] = []
    found: list[str] = []
    for path in walk_files(start, root, notes):
        if regex.fullmatch(_rel(path, start)):
            found.append(_rel(path, root))
            if len(found) > args.limit:
                break
    if not found:
        return "\n".join([f"No files match {args.pattern!r} in {_rel(start, root)}", *notes])
    if len(found) > args.limit:
        notes.insert(0, f"[more than {args.limit} matches: narrow the pattern]")
    return "\n".join(sorted(found[: args.limit]) + notes)


async def glob(args: GlobArgs, ctx: ToolContext) -> str:
    start = _confine(args.dir_path, ctx.workspace_root)
    if not start.is_dir():
        raise ToolError(f"no such folder: {args.dir_path}")
    glob_regex(args.pattern)  # a bad pattern fails here, before any walking
    return cap(await asyncio.to_thread(_glob, args, start, ctx.workspace_root))


# -- grep_search --------------------------------------------------------------------


class GrepSearchArgs(BaseModel):
    pattern: str = Field(min_length=1, description="Python regular expression, per line.")
    dir_path: str = Field(".", description="Folder (or file) to search, relative to the root.")
    include: str | None = Field(
        None, description="Only files matching this glob, e.g. '*.py' or '**/*.{py,ipynb}'."
    )
    ignore_case: bool = Field(False, description="Match regardless of case.")
    max_matches: int = Field(100, ge=1, le=500, description="Stop after this many matches.")


def _grep(args: GrepSearchArgs, regex: re.Pattern[str], start: Path, root: Path) -> str:
    include = glob_regex(args.include) if args.include else None
    notes: list[str] = []
    hits: list[str] = []
    skipped = 0
    for path in walk_files(start, root, notes):
        if include is not None and not include.fullmatch(_rel(path, start)):
            continue
        try:
            if path.stat().st_size > GREP_MAX_BYTES:
                skipped += 1
                continue
            encoding = _text_encoding(path, "")
            with open(path, encoding=encoding, errors="replace") as f:
                for n, (line, _cut) in enumerate(_bounded_lines(f, 100_000), start=1):
                    if regex.search(line):
                        hits.append(f"{_rel(path, root)}:{n}: {line[:GREP_LINE_CAP]}")
                        if len(hits) > args.max_matches:
                            break
        except (ToolError, OSError):  # binary, special or unreadable: not text to search
            continue
        if len(hits) > args.max_matches:
            hits[-1] = f"[stopped at {args.max_matches} matches: narrow the pattern or include]"
            break
    if skipped:
        notes.append(f"[{skipped} files over {GREP_MAX_BYTES:,} bytes skipped: use read_file]")
    if not hits:
        return "\n".join([f"No matches for {args.pattern!r} in {_rel(start, root)}", *notes])
    return "\n".join(hits + notes)


async def grep_search(args: GrepSearchArgs, ctx: ToolContext) -> str:
    try:
        regex = compile_safe(("(?i)" if args.ignore_case else "") + args.pattern)
    except UnsafeRegex as exc:
        raise ToolError(str(exc)) from None
    start = _confine(args.dir_path, ctx.workspace_root)
    if not start.exists():
        raise ToolError(f"no such folder or file: {args.dir_path}")
    return cap(await asyncio.to_thread(_grep, args, regex, start, ctx.workspace_root))


READ_FILE = Tool(
    name="read_file",
    description="Read a text file of the workspace (code, CSV head, config, README). Long "
    "files come in pages: pass offset to continue. Binary files are refused.",
    args=ReadFileArgs,
    kind=TOOL_KINDS["read_file"],
    run=read_file,
)
LIST_DIRECTORY = Tool(
    name="list_directory",
    description="List a workspace folder: subfolders first, then files with their sizes.",
    args=ListDirectoryArgs,
    kind=TOOL_KINDS["list_directory"],
    run=list_directory,
)
GLOB = Tool(
    name="glob",
    description="Find workspace files by name pattern (e.g. '**/*.csv'). Skips .git, "
    "node_modules, .venv and caches. Use it to locate data files and modules before reading.",
    args=GlobArgs,
    kind=TOOL_KINDS["glob"],
    run=glob,
)
GREP_SEARCH = Tool(
    name="grep_search",
    description="Search the contents of workspace text files with a regular expression; "
    "returns path:line: text for each match. Narrow it with include (a glob) and dir_path.",
    args=GrepSearchArgs,
    kind=TOOL_KINDS["grep_search"],
    run=grep_search,
)
TOOLS: tuple[Tool[Any], ...] = (READ_FILE, LIST_DIRECTORY, GLOB, GREP_SEARCH)
