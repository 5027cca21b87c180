"""Built cells back into a runner's notebook.

Under a headless runner a build edits the kernel's copy of the notebook and sends what it
changed as an output of the ``%build`` cell (``bridge/detached.py``, MIME type
:data:`~jupyter_plan.bridge.detached.CELLS_MIME`). :func:`expand_built_cells` turns that
output into cells of the runner's own notebook, right after the cell ran: inserted cells at
their place (with the outputs and ids they got in the kernel), edits applied, deleted cells
removed; the ``%build`` cell keeps its other outputs. The cells it adds have already run:
a runner must not run them again. :func:`expand_notebook` does it for a notebook already
executed by a runner that does not know about it (``nbclient.NotebookClient(nb).execute()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_plan.bridge.detached import CELLS_MIME


def _payloads(cell: Any) -> list[dict[str, Any]]:
    found = []
    for output in cell.get("outputs", []) or []:
        data = output.get("data") if output.get("output_type") == "display_data" else None
        if isinstance(data, dict) and isinstance(data.get(CELLS_MIME), dict):
            found.append(output)
    return found


def expand_built_cells(nb: Any, index: int) -> list[Any]:
    """Apply the built-cells outputs of ``nb.cells[index]``; returns the cells inserted."""
    import nbformat

    cell = nb.cells[index]
    payloads = _payloads(cell)
    if not payloads:
        return []
    cell["outputs"] = [o for o in cell["outputs"] if all(o is not p for p in payloads)]
    inserted: list[Any] = []
    for output in payloads:
        changes = output["data"][CELLS_MIME]
        by_id = {c.get("id"): c for c in nb.cells}
        for data in changes.get("edited", []):
            if (target := by_id.get(data.get("id"))) is not None:
                for key in ("source", "metadata", "outputs", "execution_count"):
                    if key in data:
                        target[key] = nbformat.from_dict(data[key])
        gone = set(changes.get("deleted", []))
        nb.cells = [c for c in nb.cells if c.get("id") not in gone or c is cell]
        last: dict[Any, Any] = {}  # anchor -> the cell inserted after it last
        for entry in changes.get("inserted", []):
            new = nbformat.from_dict(entry["cell"])
            if any(c.get("id") == new.get("id") for c in nb.cells):
                continue  # already there
            anchor = last.get(entry.get("after")) or _find(nb, entry.get("after")) or cell
            nb.cells.insert(_index(nb, anchor) + 1, new)
            last[entry.get("after")] = new
            inserted.append(new)
    nb.nbformat_minor = max(int(nb.get("nbformat_minor", 0)), 5)  # cells carry ids
    return inserted


def _find(nb: Any, cell_id: Any) -> Any:
    return next((c for c in nb.cells if cell_id is not None and c.get("id") == cell_id), None)


def _index(nb: Any, cell: Any) -> int:
    return next(i for i, c in enumerate(nb.cells) if c is cell)


def expand_notebook(nb: Any) -> list[Any]:
    """Expand every cell's built-cells output in an executed notebook; the cells added."""
    added: list[Any] = []
    index = 0
    while index < len(nb.cells):
        cell = nb.cells[index]
        added += expand_built_cells(nb, index)
        index = _index(nb, cell) + 1
    return added


def execute_expanding(
    nb: Any,
    execute: Callable[[Any, int], Any],
    client: Any | None = None,
    on_inserted: Callable[[Any, int], None] | None = None,
) -> list[Any]:
    """Run ``execute(cell, index)`` on every cell in notebook order, expanding each cell's
    built cells right after it runs; cells so added count as run. ``client``: an nbclient
    ``NotebookClient`` whose display-id map follows the cells to their new places.
    Exceptions from ``execute`` propagate (after the cell's built cells are expanded)."""
    done: set[int] = set()
    added: list[Any] = []
    while True:
        index = next((i for i, c in enumerate(nb.cells) if id(c) not in done), None)
        if index is None:
            return added
        cell = nb.cells[index]
        done.add(id(cell))
        try:
            execute(cell, index)
        finally:
            before = list(nb.cells)
            new = expand_built_cells(nb, _index(nb, cell))
            if new:
                done.update(id(c) for c in new)
                added += new
                if client is not None:
                    _remap_displays(client, before, list(nb.cells))
                for made in new:
                    if on_inserted is not None:
                        on_inserted(made, _index(nb, made))


def _remap_displays(client: Any, before: list[Any], after: list[Any]) -> None:
    """nbclient tracks display ids by cell index: follow the cells to their new places."""
    where = {id(c): i for i, c in enumerate(after)}
    remapped: dict[str, Any] = {}
    for display_id, cells in getattr(client, "_display_id_map", {}).items():
        remapped[display_id] = {
            where[id(before[i])]: outs
            for i, outs in cells.items()
            if i < len(before) and id(before[i]) in where
        }
    client._display_id_map = remapped
