"""An ``.ipynb`` held in memory for a headless build: read once, written at safe points.

Reading and writing the whole file at every edit cost ≈170 ms per edit at 1,000 cells
(22 MB): parsing the JSON, nbformat's validation, and serialising every output again. Here
the parsed notebook stays in memory; an edit marks the cells it changed, and a write
serialises only those cells again (each cell's JSON is kept, indented as nbformat writes
it: the bytes are exactly ``nbformat.writes``'s) and goes through ``record.atomic``.

A step's end is a safe point, but a write is the whole file (join, encode, the credential
scan, fsync: ≈90 ms at 25 MB), and writing at each of ten steps cost a 3 s build a third of
its time. So a step's end writes only when :meth:`NotebookFile.due`: always while writes are
cheap (under :data:`CHEAP` s, any notebook of a few MB), else once the time since the last
write is :data:`SHARE` times what that write cost, so writing takes at most 1/SHARE of a
build whatever the notebook's size. The build's end, an error and an interrupt always write.

Another writer is noticed, never overwritten: the file's inode, size and mtime are kept
from our last read or write, and checked (one ``stat``) before every use and every write.
Changed on disk with nothing of ours unsaved: it is read again (a person's edit between two
tool calls is seen). Changed with edits of ours unsaved: :class:`NotebookChanged`, and our
version is written beside the file (``<name>.jupyter-plan-conflict.ipynb``): nothing lost.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.record.atomic import Stamp, file_stamp, write_atomic

CHEAP, SHARE = 0.02, 10  # a write under 20 ms always; else at most 1/10 of the time


class NotebookChanged(BridgeError):
    """The file changed on disk while edits of ours were not yet written."""


def conflict_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.jupyter-plan-conflict{path.suffix}")


class Node(dict[str, Any]):
    """A dict read like an attribute too (``nb.cells``), as nbformat's ``NotebookNode``:
    importing nbformat costs a second or more (its validator's URI grammars), and the first
    plan in a kernel would wait for it."""

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value


def to_node(value: Any) -> Any:
    """``value`` with every dict a :class:`Node` (nbformat's ``from_dict``)."""
    if isinstance(value, dict):
        return Node((k, to_node(v)) for k, v in value.items())
    if isinstance(value, list | tuple):  # most items are strings (lines): no call for them
        return [to_node(v) if isinstance(v, dict | list | tuple) else v for v in value]
    return value


def _json_mime(key: str) -> bool:
    return key == "application/json" or (key.startswith("application/") and key.endswith("+json"))


def read_plain(text: str) -> Any:
    """An nbformat 4 notebook from its file's text, as ``nbformat.reader.reads`` gives it
    (multi-line strings joined, transient metadata dropped), with no nbformat import;
    None for anything else (older formats: the caller uses nbformat)."""
    nb: Any = json.loads(text, object_pairs_hook=Node)  # every dict a Node, as parsed
    if not isinstance(nb, dict) or nb.get("nbformat") != 4:
        return None
    if not isinstance(nb.get("cells"), list) or not isinstance(nb.get("metadata"), dict):
        return None
    for key in ("orig_nbformat", "orig_nbformat_minor", "signature"):
        nb["metadata"].pop(key, None)
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            return None
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        for bundle in (cell.get("attachments") or {}).values():
            _join_bundle(bundle)
        if cell.get("cell_type") == "code":
            for out in cell.get("outputs", []):
                kind = out.get("output_type", "")
                if kind in ("execute_result", "display_data"):
                    _join_bundle(out.get("data", {}))
                elif kind and isinstance(out.get("text", ""), list):
                    out["text"] = "".join(out["text"])
        metadata = cell.get("metadata")
        if isinstance(metadata, dict):
            metadata.pop("trusted", None)
    return nb


def joined_output(out: Any) -> Any:
    """A copy of an output as read from a file, its multi-line strings joined as
    ``nbformat.reads`` joins them (180 one-line strings per 22 KB output made every deep copy
    of a 1,000-cell notebook cost ~0.3 s; one string is copied by reference)."""
    if not isinstance(out, dict):
        return out
    out = dict(out)
    kind = out.get("output_type", "")
    if kind in ("execute_result", "display_data") and isinstance(out.get("data"), dict):
        out["data"] = dict(out["data"])
        _join_bundle(out["data"])
    elif kind and isinstance(out.get("text"), list):
        out["text"] = "".join(out["text"])
    return out


def _join_bundle(data: dict[str, Any]) -> None:
    for key, value in list(data.items()):
        text = isinstance(value, list) and all(isinstance(line, str) for line in value)
        if text and not _json_mime(key):
            data[key] = "".join(value)


def _split_bundle(data: dict[str, Any]) -> None:
    for key, value in list(data.items()):
        if isinstance(value, str) and (key.startswith("text/") or key in _SPLIT_MIMES):
            data[key] = value.splitlines(True)


_SPLIT_MIMES = ("application/javascript", "image/svg+xml")


def _bytes_as_ascii(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> str:
    return json.dumps(
        value,
        indent=1,
        sort_keys=True,
        separators=(",", ": "),
        ensure_ascii=False,
        default=_bytes_as_ascii,
    )


def cell_json(cell: Any) -> str:
    """One cell as it appears in the file ``nbformat.writes`` writes (lines split, transient
    metadata dropped), indented to its depth in the ``cells`` list."""
    cell = copy.deepcopy(cell)
    if isinstance(cell.get("source"), str):
        cell["source"] = cell["source"].splitlines(True)
    for bundle in (cell.get("attachments") or {}).values():
        _split_bundle(bundle)
    if cell.get("cell_type") == "code":
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("execute_result", "display_data"):
                _split_bundle(out.get("data", {}))
            elif out.get("output_type") == "stream" and isinstance(out.get("text"), str):
                out["text"] = out["text"].splitlines(True)
    cell.get("metadata", {}).pop("trusted", None)
    # A JSON string never holds a raw newline: every newline here is indentation.
    return _dumps(cell).replace("\n", "\n  ")


_HEAD, _BETWEEN, _TAIL = '{\n "cells": [\n  {\n', "\n  },\n  {\n", "\n  }\n ],\n"


def file_cells(text: str, nb: Any) -> dict[str, str]:
    """Each cell's JSON as the file holds it, when the file is laid out as nbformat writes
    it (cells at indent 2: no line of a cell's own JSON is indented less), so the first write
    need not serialise the cells it did not change. A cell given an id on reading, or with
    transient metadata, is left out: it is serialised again."""
    end = text.find(_TAIL)
    if not text.startswith(_HEAD) or end < 0:
        return {}
    pieces = text[len(_HEAD) : end].split(_BETWEEN)
    if len(pieces) != len(nb.cells):
        return {}
    kept = {}
    for cell, piece in zip(nb.cells, pieces, strict=True):
        own_id = '\n   "id": ' + json.dumps(cell["id"], ensure_ascii=False) + ","
        if own_id in "\n" + piece and '"trusted"' not in piece:
            kept[cell["id"]] = "{\n" + piece + "\n  }"
    return kept


class NotebookFile:
    """The notebook at ``path``, parsed once by ``load`` (which also returns the file's text
    when it read it as plain JSON, else None); see the module doc."""

    def __init__(self, path: Path, load: Callable[[Path], tuple[Any, str | None]]) -> None:
        self.path, self._load = path, load
        self.dirty = False  # edits not yet on disk
        self._nb: Any = None
        self._seen: Stamp | None = None
        self._cells: dict[str, str] = {}  # cell id -> its JSON, for cells unchanged since
        self._written = (0.0, 0.0)  # the last write: when it ended (monotonic), its cost

    def notebook(self) -> Any:
        """The notebook, from memory unless the file changed (see the module doc)."""
        now = file_stamp(self.path)
        if self._nb is not None and now == self._seen:
            return self._nb
        if self._nb is not None and self.dirty:
            raise self._conflict()
        self._nb, text = self._load(self.path)
        self._seen = now
        self._cells = file_cells(text, self._nb) if text is not None else {}
        return self._nb

    def changed(self, *cell_ids: str) -> None:
        """Edits were made in memory (to these cells, or to the cell list)."""
        for cell_id in cell_ids:
            self._cells.pop(cell_id, None)
        self.dirty = True

    def dumps(self) -> str:
        """The file's text for the notebook in memory (``nbformat.writes``'s bytes)."""
        nb = self.notebook() if self._nb is None else self._nb
        nb.nbformat_minor = max(int(nb.get("nbformat_minor", 0)), 5)  # ids need 4.5
        head = {k: v for k, v in nb.items() if k != "cells"}
        head["metadata"] = {
            k: v
            for k, v in nb.get("metadata", {}).items()
            if k not in ("orig_nbformat", "orig_nbformat_minor", "signature")
        }
        if not nb.cells:
            text = _dumps({**head, "cells": []})
        else:
            mark = f"jupyter-plan-cells-{secrets.token_hex(8)}"
            text = _dumps({**head, "cells": [mark]})
            parts = []
            for cell in nb.cells:
                part = self._cells.get(cell["id"])
                if part is None:
                    part = self._cells[cell["id"]] = cell_json(cell)
                parts.append(part)
            text = text.replace(json.dumps(mark), ",\n  ".join(parts), 1)
        return text if text.endswith("\n") else text + "\n"

    def save(self) -> None:
        """Write the edits atomically, unless another writer changed the file first."""
        if not self.dirty:
            return
        if file_stamp(self.path) != self._seen:
            raise self._conflict()
        started = time.monotonic()
        try:
            write_atomic(self.path, self.dumps())
        except OSError as exc:
            raise BridgeError(f"cannot write notebook {self.path}: {exc}") from None
        self._seen = file_stamp(self.path)
        self.dirty = False
        ended = time.monotonic()
        self._written = (ended, ended - started)

    def due(self) -> bool:
        """Whether a step's end should write (see the module doc): unsaved edits, and writes
        cheap or the last one long enough ago."""
        ended, cost = self._written
        return self.dirty and (cost < CHEAP or time.monotonic() - ended >= SHARE * cost)

    def forget(self) -> None:
        """The file was replaced on purpose (an undo): read it again at the next use."""
        self._nb, self._seen, self.dirty = None, None, False
        self._cells.clear()

    def _conflict(self) -> NotebookChanged:
        aside = conflict_path(self.path)
        kept = ""
        try:
            write_atomic(aside, self.dumps())
            kept = f"; the build's version is kept in {aside}"
        except OSError as exc:
            kept = f"; the build's version could not be kept ({exc})"
        return NotebookChanged(
            f"notebook {self.path} was changed on disk by another program while the build "
            f"edited it: not overwritten{kept}. Close the notebook elsewhere and build again."
        )
