"""``jupyter-plan run``: execute a plan notebook headless, built cells included.

A headless ``%build`` edits the notebook through its file (``bridge/file.py``): it inserts
cells into the ``.ipynb`` on disk and runs them in the kernel, writing their outputs there.
``jupyter nbconvert --execute`` and papermill keep their own copy of the notebook in memory,
so their result lacks the built cells (and ``--inplace`` overwrites them).

This runner executes the notebook with nbclient one cell at a time. After a cell that
changed the file on disk, it merges: the file's cells, in the file's order, where a cell
already executed in this run keeps this run's outputs (matched by cell id), a cell new in
the file (built) counts as executed (the build ran it and wrote its outputs) and a cell not
run yet is run next. The kernel finds the notebook through ``JPY_SESSION_NAME``, as under
jupyter-server, so cells need no ``--notebook`` flag.

Before a ``%%plan`` or ``%build`` cell the file is brought up to date with this run (the
outputs so far): the file bridge reads the notebook from disk, and the planner must see the
outputs of this run, not those of the run that last saved the file, or a re-run would not
see what the recording saw.

The executed notebook goes to ``--output`` (default ``<name>.executed.ipynb`` beside it);
the source file is put back byte for byte afterwards, so a run leaves it as it was and the
next run sees the same notebook (and so replays the same transcripts).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.file import load_notebook
from jupyter_plan.record.atomic import write_atomic


@dataclass
class RunResult:
    output: Path
    html: Path | None
    error: str | None = None  # the failing cell's error (a replay drift included)
    built: list[str] = field(default_factory=list)  # ids of cells a build added


_PLAN_CELL = re.compile(r"^\s*%{1,2}(plan|build)\b", re.MULTILINE)


def default_output(source: Path) -> Path:
    return source.with_name(f"{source.stem}.executed.ipynb")


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def merge(memory: Any, disk: Any, done: set[str]) -> list[str]:
    """Put the file's cells into ``memory`` (see the module doc); the ids of new cells."""
    mine = {c["id"]: c for c in memory.cells}
    cells, new = [], []
    for theirs in disk.cells:
        ours = mine.get(theirs["id"])
        same = ours is not None and (ours.cell_type, ours.source) == (
            theirs.cell_type,
            theirs.source,
        )
        if ours is not None and same:
            ours.metadata = theirs.get("metadata", ours.metadata)
            cells.append(ours)
        else:  # new (built), or edited by the build: the file's version
            cells.append(theirs)
            if ours is None:
                new.append(theirs["id"])
                done.add(theirs["id"])
    memory.cells = cells
    memory.nbformat_minor = max(int(memory.get("nbformat_minor", 0)), disk.nbformat_minor)
    return new


def _remap_displays(client: Any, before: list[str], after: list[str]) -> None:
    """nbclient tracks display ids by cell index: follow the cells to their new places."""
    where = {cell_id: i for i, cell_id in enumerate(after)}
    remapped: dict[str, Any] = {}
    for display_id, cells in client._display_id_map.items():
        moved = {where[before[i]]: outs for i, outs in cells.items() if before[i] in where}
        remapped[display_id] = moved
    client._display_id_map = remapped


async def _execute(
    client: Any, source: Path, env: dict[str, str], prelude: str | None
) -> RunResult:
    from nbclient.exceptions import CellExecutionError

    nb = client.nb
    done: set[str] = set()
    built: list[str] = []
    error: str | None = None
    async with client.async_setup_kernel(env=env):
        info = await client.async_wait_for_reply(await _maybe(client.kc.kernel_info()))
        if info is not None and "language_info" in info["content"]:
            nb.metadata["language_info"] = info["content"]["language_info"]
        if prelude:  # silent: no outputs, no history, the execution count unchanged
            msg_id = await _maybe(client.kc.execute(prelude, silent=True, store_history=False))
            reply = await client.async_wait_for_reply(msg_id)
            if reply is None or reply["content"].get("status") != "ok":
                content = reply["content"] if reply else {}
                raise RuntimeError(f"the prelude failed: {content.get('evalue', content)}")
        while error is None:
            index = next((i for i, c in enumerate(nb.cells) if c["id"] not in done), None)
            if index is None:
                break
            cell = nb.cells[index]
            done.add(cell["id"])
            if cell.cell_type == "code" and _PLAN_CELL.search(cell.source):
                _sync(nb, source)
            before = _digest(source)
            try:
                await client.async_execute_cell(cell, index)
            except CellExecutionError as exc:
                error = f"cell {index + 1} (id {cell['id']}) failed:\n{exc}"
            if _digest(source) != before:  # a %build edited the file: take its cells
                ids = [c["id"] for c in nb.cells]
                built += merge(nb, load_notebook(source), done)
                _remap_displays(client, ids, [c["id"] for c in nb.cells])
        client.set_widgets_metadata()
    return RunResult(output=Path(), html=None, error=error, built=built)


def _sync(nb: Any, source: Path) -> None:
    """Write this run's notebook so far to ``source`` (restored when the run ends)."""
    import nbformat

    text = nbformat.writes(nb)
    text = text if text.endswith("\n") else text + "\n"
    if source.read_text(encoding="utf-8") != text:
        write_atomic(source, text)


async def _maybe(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


def run_notebook(
    source: Path,
    output: Path | None = None,
    *,
    html: bool = False,
    timeout: int = 600,
    kernel_name: str | None = None,
    env: dict[str, str] | None = None,
    prelude: str | None = None,
) -> RunResult:
    """Execute ``source`` top to bottom, write the executed notebook (and HTML); never raise
    for a failing cell: the result carries the error. ``env`` is the kernel's environment
    (default: this process's); ``prelude`` is code run silently first (recording scripts)."""
    import nbformat
    from nbclient import NotebookClient

    source = source.resolve()
    output = (output or default_output(source)).resolve()
    original = source.read_bytes()
    nb = load_notebook(source)
    kernel = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    kernel_env = {**(os.environ if env is None else env), "JPY_SESSION_NAME": str(source)}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(source.parent)}},
    )
    try:
        result = asyncio.run(_execute(client, source, kernel_env, prelude))
    finally:
        if output != source and source.read_bytes() != original:
            write_atomic(source, original)  # the run leaves the notebook as it found it
    output.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    write_atomic(output, text if text.endswith("\n") else text + "\n")
    result.output = output
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        result.html = output.with_suffix(".html")
        write_atomic(result.html, body)
    return result


def main(notebook: str, output: str | None, html: bool, timeout: int) -> int:
    """The ``jupyter-plan run`` command: 0 when every cell ran, 1 otherwise."""
    import sys

    source = Path(notebook)
    if not source.is_file():
        print(f"jupyter-plan run: no such notebook: {notebook}", file=sys.stderr)
        return 2
    result = run_notebook(source, Path(output) if output else None, html=html, timeout=timeout)
    built = f" ({len(result.built)} built cells)" if result.built else ""
    print(f"jupyter-plan run: executed notebook{built}: {result.output}")
    if result.html is not None:
        print(f"jupyter-plan run: HTML: {result.html}")
    if result.error is not None:
        print(f"jupyter-plan run: {result.error}", file=sys.stderr)
        return 1
    return 0
