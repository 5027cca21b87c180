"""Which notebook a headless runner is executing, when nobody told the kernel.

``jupyter nbconvert --execute``, ``jupyter execute``, papermill and nbclient start the
kernel with nothing naming the notebook (no ``JPY_SESSION_NAME``, no cell ids), but two
things say which one it is: the command line of the process that started the kernel (the
runner: its arguments name the notebook, relative to its working directory), and the code
being executed (the ``%%plan`` or ``%build`` cell itself), which only that notebook holds.

So: the notebooks named on the runner's command line, in order, then the notebooks in the
kernel's working directory (the notebook's folder under nbconvert and nbclient); the first
that holds a code cell with exactly the running code. A papermill output (its metadata says
it was written from another file) gives way to its input. More than one candidate in the
folder, and none on the command line: nobody can tell, and the caller says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RunnerProcess = tuple[Path, list[str]]  # the runner's working directory and arguments


def parent_process(pid: int | None = None) -> RunnerProcess | None:
    """The working directory and arguments of the process that started this one (Linux's
    ``/proc``; None elsewhere or when unreadable)."""
    pid = os.getppid() if pid is None else pid
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None
    return cwd, [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _cells(path: Path) -> list[dict[str, Any]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    cells = data.get("cells") if isinstance(data, dict) else None
    return cells if isinstance(cells, list) else None


def holds(path: Path, code: str) -> bool:
    """Whether the notebook at ``path`` has a code cell whose source is ``code``."""
    for cell in _cells(path) or []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            text = source if isinstance(source, str) else "".join(source)
            if text == code or text.strip() == code.strip():
                return True
    return False


def _papermill_input(path: Path) -> Path | None:
    """For a papermill output (metadata.papermill.output_path is this file): its input."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        meta = data["metadata"]["papermill"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    out, source = meta.get("output_path"), meta.get("input_path")
    if not isinstance(out, str) or not isinstance(source, str) or Path(out).name != path.name:
        return None
    candidate = (path.parent / source) if not os.path.isabs(source) else Path(source)
    return candidate if candidate.is_file() else None


def _named(runner: RunnerProcess) -> list[Path]:
    cwd, argv = runner
    found = []
    for arg in argv[1:]:
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if value.endswith(".ipynb"):
            path = Path(value) if os.path.isabs(value) else cwd / value
            if path.is_file():
                found.append(path)
    return found


def find_runner_notebook(
    code: str, cwd: Path, runner: RunnerProcess | None
) -> tuple[Path | None, str, list[Path]]:
    """``(path, how, ambiguous)``: the notebook holding ``code`` (see the module doc),
    ``how`` = ``"runner"`` or ``"folder"``; ``ambiguous`` lists the candidates when the
    folder holds several and nothing decides."""
    if runner is not None:
        for path in _named(runner):
            if holds(path, code):
                return (_papermill_input(path) or path), "runner", []
    in_folder = [p for p in _notebooks(cwd) if holds(p, code)]
    inputs = {_papermill_input(p) or p for p in in_folder}
    if len(inputs) == 1:
        return inputs.pop(), "folder", []
    return None, "folder", sorted(inputs)


def _notebooks(folder: Path) -> Iterable[Path]:
    try:
        return sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    except OSError:
        return []
