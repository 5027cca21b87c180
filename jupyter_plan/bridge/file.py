"""A notebook in its ``.ipynb`` file, read and edited with nbformat (headless runs).

The notebook is parsed once and kept in memory (``bridge/notebook_file.py``: a changed
file is read again, or refused when edits of ours are unsaved); every edit is written back
atomically (``record.atomic.write_atomic``), at once, or — inside
:func:`writes_at_safe_points`, a build — at each step's end and when the build ends,
fails or is interrupted. A reader never sees half a notebook, and whatever the edit does
not touch — notebook metadata, other cells, their outputs, the nbformat minor version —
is kept. One exception: cells need ids to be addressed, so a file older than
nbformat 4.5 (no ids) is upgraded to 4.5 at its first edit, keeping the ids
``get_notebook`` reported (``cell-0``, ``cell-1``, …); JupyterLab does the same on save.

Inserted cells get ids derived from their content and plan step (:func:`built_cell_id`),
not random ones: a build replayed inserts cells with the same ids, here, in a headless
runner's copy and in JupyterLab, so the tool results it sends the model (and so the
recorded requests) are the same.

Checkpoints are the file's exact bytes, kept in memory and, when ``checkpoint_dir`` is
given, also written there as ``<token>.ipynb`` so an undo survives a kernel restart.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.base import BridgeError, CellNotFound
from jupyter_plan.bridge.execute import Executor
from jupyter_plan.bridge.memory import (
    aborted,
    insert_index,
    new_cell_id,
    new_token,
    no_executor,
    require,
)
from jupyter_plan.bridge.notebook_file import Node, NotebookFile, read_plain, to_node
from jupyter_plan.models import Cell, CellRun, NewCell, NotebookSnapshot
from jupyter_plan.record.atomic import write_atomic

_TOKEN = re.compile(r"[0-9a-f]{16}")


def snapshot_from_nbformat(nb: Any, path: str | None = None) -> NotebookSnapshot:
    """Cells of an nbformat notebook; a cell without an id is ``cell-<index>``."""
    cells = []
    for i, c in enumerate(nb.cells):
        cell_id = c.get("id") or f"cell-{i}"
        cells.append(
            Cell(
                id=cell_id,
                cell_type=c.cell_type,
                source=c.source if isinstance(c.source, str) else "".join(c.source),
                outputs=[dict(o) for o in c.get("outputs", [])],
                execution_count=c.get("execution_count"),
                metadata=dict(c.get("metadata", {})),
            )
        )
    return NotebookSnapshot(path=path, cells=cells)


def stable_cell_id(taken: set[str], *parts: str) -> str:
    """8 hex digits (like nbformat's ids) from ``parts``, unique among ``taken``."""
    seed = "\x00".join(parts)
    for salt in range(1000):
        cell_id = hashlib.sha256(f"{seed}\x00{salt}".encode()).hexdigest()[:8]
        if cell_id not in taken:
            return cell_id
    return new_cell_id(taken)  # pragma: no cover - 1000 collisions in a row


def built_cell_id(taken: set[str], new: NewCell) -> str:
    """The id of a cell a build inserts: from its type, source and ``jupyter_plan`` tag (the
    plan, revision and step), so the same build gives it the same id in every runner and
    frontend, wherever it lands; a clash (the same cell twice) takes the next salt."""
    tag = json.dumps(new.metadata.get("jupyter_plan"), sort_keys=True, default=str)
    return stable_cell_id(taken, new.cell_type, new.source, tag)


def fill_ids(nb: Any) -> None:
    """Give id-less cells the ids :func:`snapshot_from_nbformat` reports for them.

    nbformat itself would invent random ids on every read, so an agent could never
    address a cell of such a file twice.
    """
    taken = {c["id"] for c in nb.cells if c.get("id")}
    for i, cell in enumerate(nb.cells):
        if not cell.get("id"):
            cell_id = f"cell-{i}" if f"cell-{i}" not in taken else new_cell_id(taken)
            cell["id"] = cell_id
            taken.add(cell_id)


def load_notebook(path: Path) -> Any:
    """An nbformat v4 notebook from ``path``, every cell with an id (see :func:`fill_ids`)."""
    import nbformat

    try:
        text = path.read_bytes().decode("utf-8")
        nb = nbformat.reader.reads(text)  # no validation: it would invent random ids
        if not isinstance(nb.get("nbformat"), int) or not isinstance(nb.get("cells"), list):
            raise ValueError("not a notebook (no nbformat version or no cells)")
        if nb.nbformat != 4:
            nb = nbformat.convert(nb, 4)
        fill_ids(nb)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BridgeError(f"cannot read notebook {path}: {exc}") from None
    return nb


def read_for_edit(path: Path) -> tuple[Any, str | None]:
    """:func:`load_notebook`, without importing nbformat for an nbformat 4 file (the usual
    case; ``bridge/notebook_file.py`` reads it the same way); and the file's text when it
    was read so (None otherwise)."""
    try:
        text = path.read_bytes().decode("utf-8")
        nb = read_plain(text)
    except (OSError, UnicodeDecodeError, ValueError):
        nb = None  # load_notebook says what is wrong
    if nb is None:
        return load_notebook(path), None
    fill_ids(nb)
    return nb, text


def _new_cell(new: NewCell, cell_id: str) -> Any:
    """A cell as ``nbformat.v4.new_*_cell`` makes it."""
    cell = Node(id=cell_id, cell_type=new.cell_type, metadata=to_node(new.metadata))
    cell["source"] = new.source
    if new.cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


class FileBridge:
    def __init__(
        self,
        path: str | os.PathLike[str],
        executor: Executor | None = None,
        *,
        checkpoint_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.executor = executor
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self._checkpoints: dict[str, bytes] = {}
        self._file = NotebookFile(self.path, read_for_edit)
        self._held = False

    # -- the file -------------------------------------------------------------------

    def _load(self) -> Any:
        return self._file.notebook()

    def _save(self, nb: Any, *cell_ids: str) -> None:
        """``cell_ids`` changed (none: the cell list did); written now unless held."""
        self._file.changed(*cell_ids)
        if not self._held:
            self._file.save()

    def hold_writes(self, held: bool) -> None:
        """Keep edits in memory (True) until :meth:`flush`; see :func:`writes_at_safe_points`."""
        self._held = held

    def flush(self, *, step: bool = False) -> None:
        """Write the edits kept in memory, atomically (nothing to write: nothing done); at a
        ``step``'s end only when a write is due (``NotebookFile.due``: at most 1/10 of a
        build's time goes to rewriting a big notebook)."""
        if not step or self._file.due():
            self._file.save()

    @staticmethod
    def _ids(nb: Any) -> list[str]:
        return [c["id"] for c in nb.cells]

    @staticmethod
    def _cell(nb: Any, cell_id: str) -> Any:
        for cell in nb.cells:
            if cell["id"] == cell_id:
                return cell
        raise CellNotFound(cell_id)

    async def get_notebook(self) -> NotebookSnapshot:
        return snapshot_from_nbformat(self._load(), str(self.path))

    # -- edits ----------------------------------------------------------------------

    async def insert_cells(
        self, cells: list[NewCell], *, after: str | None = None, before: str | None = None
    ) -> list[str]:
        nb = self._load()
        ids = self._ids(nb)
        at = insert_index(ids, after, before)
        taken = set(ids)
        made: list[Any] = []
        for new in cells:
            cell_id = built_cell_id(taken, new)
            taken.add(cell_id)
            made.append(_new_cell(new, cell_id))
        if made:
            nb.cells[at:at] = made
            self._save(nb, *(c["id"] for c in made))
        return [c["id"] for c in made]

    async def replace_cell(self, cell_id: str, source: str) -> None:
        nb = self._load()
        self._cell(nb, cell_id)["source"] = source
        self._save(nb, cell_id)

    async def delete_cells(self, cell_ids: list[str]) -> None:
        nb = self._load()
        require(self._ids(nb), cell_ids)
        gone = set(cell_ids)
        nb.cells = [c for c in nb.cells if c["id"] not in gone]
        self._save(nb, *gone)

    async def set_cell_metadata(self, cell_id: str, key: str, value: Any) -> None:
        nb = self._load()
        cell = self._cell(nb, cell_id)
        cell.setdefault("metadata", Node())[key] = to_node(value)
        self._save(nb, cell_id)

    # -- running --------------------------------------------------------------------

    async def run_cells(self, cell_ids: list[str]) -> list[CellRun]:
        nb = self._load()
        require(self._ids(nb), cell_ids)
        kinds = {c["id"]: c["cell_type"] for c in nb.cells}
        if self.executor is None and any(kinds[c] == "code" for c in cell_ids):
            raise no_executor("file")
        runs: list[CellRun] = []
        for i, cell_id in enumerate(cell_ids):
            nb = self._load()  # from memory; read again if the previous cell changed the file
            try:
                cell = self._cell(nb, cell_id)
            except CellNotFound:
                return runs + aborted(cell_ids[i:])  # deleted by a cell run before it
            if cell["cell_type"] != "code":
                runs.append(CellRun(cell_id=cell_id, status="ok"))
                continue
            assert self.executor is not None
            run = (await self.executor.execute(cell["source"], cell_id=cell_id)).as_run(cell_id)
            runs.append(run)
            nb = self._load()
            try:
                cell = self._cell(nb, cell_id)
            except CellNotFound:
                pass  # the cell deleted itself: nothing to store
            else:
                cell["outputs"] = [to_node(o) for o in run.outputs]
                cell["execution_count"] = run.execution_count
                self._save(nb, cell_id)
            if run.status == "error":
                return runs + aborted(cell_ids[i + 1 :])
        return runs

    # -- checkpoints ----------------------------------------------------------------

    async def checkpoint(self) -> str:
        try:
            data = self._file.dumps().encode() if self._file.dirty else self.path.read_bytes()
        except OSError as exc:
            raise BridgeError(f"cannot checkpoint notebook {self.path}: {exc}") from None
        token = new_token()
        self._checkpoints[token] = data
        if self.checkpoint_dir is not None:
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(self.checkpoint_dir / f"{token}.ipynb", data)
        return token

    async def restore_checkpoint(self, token: str) -> None:
        data = self._checkpoints.get(token)
        if data is None and self.checkpoint_dir is not None and _TOKEN.fullmatch(token):
            try:
                data = (self.checkpoint_dir / f"{token}.ipynb").read_bytes()
            except FileNotFoundError:
                data = None
        if data is None:
            raise BridgeError(f"no checkpoint {token!r} for notebook {self.path}")
        try:
            write_atomic(self.path, data)
        except OSError as exc:
            raise BridgeError(f"cannot restore notebook {self.path}: {exc}") from None
        self._file.forget()


@contextlib.contextmanager
def writes_at_safe_points(bridge: object, build: Any) -> Iterator[None]:
    """Inside the block, a file bridge keeps a build's edits in memory and writes them at
    the safe points: each ``build.on_step`` call (a step ticked off) when a write is due,
    and on leaving the block — at the end, on an error, on an interrupt (a cancellation,
    ``KeyboardInterrupt``).
    Any other bridge (JupyterLab's comm, a runner's copy) is left as it is."""
    hold = getattr(bridge, "hold_writes", None)
    flush = getattr(bridge, "flush", None)
    if not callable(hold) or not callable(flush):
        yield
        return
    ticked = build.on_step

    def on_step(step: Any) -> None:
        flush(step=True)
        if ticked is not None:
            ticked(step)

    build.on_step = on_step
    hold(True)
    try:
        yield
    except BaseException as exc:
        try:
            flush()
        except BridgeError as error:  # the build's own failure stays the one raised
            exc.add_note(str(error))
        raise
    else:
        flush()
    finally:
        hold(False)
        build.on_step = ticked
