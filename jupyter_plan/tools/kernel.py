"""Kernel tools: the person's variables listed and inspected without running their code.

``list_variables`` and ``inspect_variable`` choose what to show for each kind of object (a
frame's columns and head, an array's statistics, a function's signature, a container's
sample). How an object is read without calling anything it defines, and which libraries'
reprs are trusted, is ``safe_repr.py``: every value shown here goes through it.
"""

from __future__ import annotations

import difflib
import inspect
import sys
import types
import warnings
from collections.abc import Mapping
from itertools import islice
from typing import Any

from pydantic import BaseModel, Field

from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.tools.base import Tool, ToolContext, ToolError, cap
from jupyter_plan.tools.safe_repr import (
    CLASS_DICT,
    MRO,
    container_base,
    first_items,
    guarded,
    instance_dict,
    kind_of,
    module_root,
    safe_repr,
    static_lookup,
    text_head,
    type_name,
)

NO_NAMESPACE = (
    "There is no kernel namespace in this run (a headless or file-only notebook), so "
    "variables cannot be listed or inspected. Rely on the cells' sources and outputs."
)
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
STATS_MAX = 1_000_000  # array elements summarised exactly; bigger arrays use a prefix sample


def _size(obj: Any, kind: str) -> str:
    if kind == "dataframe":
        return f"{obj.shape[0]} rows x {obj.shape[1]} columns"
    if kind == "series":
        return f"length {obj.shape[0]}, dtype {obj.dtype}"
    if kind == "ndarray":
        return f"shape {obj.shape}, dtype {obj.dtype}"
    base, text = container_base(type(obj)), text_head(obj, 0)
    if base is not None:
        return f"length {base.__len__(obj)}"
    return f"length {text[1]}" if text is not None else ""


def user_variables(ns: Mapping[str, Any], callables: bool) -> list[tuple[str, Any, str]]:
    """(name, value, kind) of the person's variables: no _names, modules or IPython's own."""
    found = []
    for name, value in list(ns.items()):
        if name.startswith("_") or name in IPYTHON_NAMES:
            continue
        kind = kind_of(value)
        if kind == "module" or (kind in ("function", "class") and not callables):
            continue
        found.append((name, value, kind))
    return found


# -- list_variables -----------------------------------------------------------------


class ListVariablesArgs(BaseModel):
    include_callables: bool = Field(
        False, description="Also list functions and classes the person defined."
    )
    offset: int = Field(0, ge=0, description="Skip this many variables (paging).")
    limit: int = Field(100, ge=1, le=500, description="List at most this many variables.")


async def list_variables(args: ListVariablesArgs, ctx: ToolContext) -> str:
    if ctx.namespace is None:
        return NO_NAMESPACE
    found = user_variables(ctx.namespace, args.include_callables)
    if not found:
        return "The kernel has no user variables yet."
    page = found[args.offset : args.offset + args.limit]
    lines = [f"{len(found)} variables (showing {len(page)} from offset {args.offset}):"]
    for name, value, kind in page:
        detail = "" if kind in ("dataframe", "series", "ndarray") else safe_repr(value, 80)
        parts = [type_name(type(value)), _size(value, kind), detail]
        lines.append(f"- {name}: {', '.join(p for p in parts if p)}")
    rest = len(found) - args.offset - len(page)
    if rest > 0:
        lines.append(f"[{rest} more: call list_variables with offset={args.offset + len(page)}]")
    return cap("\n".join(lines))


# -- inspect_variable ---------------------------------------------------------------


class InspectVariableArgs(BaseModel):
    name: str = Field(min_length=1, description="A variable name from list_variables.")
    rows: int = Field(5, ge=1, le=50, description="Rows of a DataFrame/Series head to show.")


def _cell_text(value: Any) -> str:
    return value if type(value) is str else safe_repr(value, 60)


def _plain_dtype(dtype: Any) -> bool:
    """Numbers, booleans and dates: pandas formats them without calling Python objects."""
    return getattr(dtype, "kind", "O") in "biufcmM"


def _frame_text(frame: Any) -> str:
    """A small frame as text; other cells are formatted by us, so no user ``__str__`` runs."""
    frame = frame.copy(deep=True)  # our copy: reformatting never reaches theirs
    for i in range(frame.shape[1]):
        if not _plain_dtype(frame.dtypes.iloc[i]):
            frame.isetitem(i, [_cell_text(v) for v in frame.iloc[:, i]])
    if not _plain_dtype(frame.index.dtype):
        frame.index = [_cell_text(v) for v in frame.index]
    frame.columns = [_cell_text(c) for c in frame.columns]
    return str(frame.to_string(max_colwidth=40, line_width=120))


def _inspect_frame(frame: Any, rows: int) -> list[str]:
    lines = [
        f"pandas DataFrame: {_size(frame, 'dataframe')}, "
        f"{int(frame.memory_usage(deep=False).sum()):,} bytes (shallow)",
        "columns (dtype, nulls):",
    ]
    nulls = frame.isna().sum()
    for i, (label, dtype) in enumerate(list(frame.dtypes.items())[:60]):
        lines.append(f"  {_cell_text(label)}: {dtype}, {int(nulls.iloc[i])} null")
    if frame.shape[1] > 60:
        lines.append(f"  … {frame.shape[1] - 60} more columns")
    lines += [f"head({rows}):", _frame_text(frame.iloc[:rows, :20])]
    numeric = frame.select_dtypes("number").iloc[:, :12]
    if numeric.shape[1] and frame.size <= 5_000_000:
        lines += ["numeric summary:", _frame_text(numeric.describe().T)]
    return lines


def _inspect_series(series: Any, rows: int) -> list[str]:
    return [
        f"pandas Series {_cell_text(series.name)}: length {series.shape[0]}, dtype "
        f"{series.dtype}, {int(series.isna().sum())} null, "
        f"{int(series.memory_usage(deep=False)):,} bytes (shallow)",
        f"head({rows}):",
        _frame_text(series.iloc[:rows].to_frame()),
    ]


def _inspect_ndarray(array: Any) -> list[str]:
    np = sys.modules["numpy"]
    kind = array.dtype.kind
    lines = [
        f"numpy {type(array).__name__}: shape {array.shape}, dtype {array.dtype}, "
        f"{array.size:,} elements, {array.nbytes:,} bytes"
    ]
    if array.size and kind in "biufmM":
        sample = array if array.size <= STATS_MAX else array.flat[:STATS_MAX]
        which = "" if array.size <= STATS_MAX else f" (of the first {STATS_MAX:,} elements)"
        if kind == "b":
            stats = f"true: {int(np.count_nonzero(sample)):,}"
        elif kind in "mM":
            stats = f"min: {np.min(sample)}, max: {np.max(sample)}"
        else:
            stats = f"min: {np.nanmin(sample)}, max: {np.nanmax(sample)}"
            stats += f", mean: {np.nanmean(sample)}"
            stats += f", NaN: {int(np.isnan(sample).sum()):,}" if kind == "f" else ""
        lines.append(stats + which)
    if kind == "O":
        lines.append(f"first items: {safe_repr(list(array.flat[:10]), 1000)}")
    else:
        lines.append(np.array2string(array, threshold=60, edgeitems=3, max_line_width=100))
    return lines


def _inspect_callable(obj: Any, kind: str) -> list[str]:
    lines = [f"{kind}: {safe_repr(obj)}"]
    doc = None
    if type(obj) is types.FunctionType:
        # Python 3.14 evaluates annotations lazily: ask for them as strings, run nothing.
        fmt = getattr(sys.modules.get("annotationlib"), "Format", None)
        extra = {"annotation_format": fmt.STRING} if fmt is not None else {}
        sig = guarded(lambda: str(inspect.signature(obj, follow_wrapped=False, **extra)), kind)
        lines.append(f"signature: {obj.__name__}{sig}")
        doc = obj.__doc__
    elif kind == "class":
        doc = (static_lookup(obj, "__doc__") or (None, None))[1]
        names = [n for n in CLASS_DICT.__get__(obj) if type(n) is str and n[:1] != "_"][:40]
        lines.append(f"public members: {', '.join(names) or '(none)'}")
    if isinstance(doc, str) and doc.strip():
        lines.append(f"doc: {doc.strip()[:500]}")
    return lines


def _inspect_object(obj: Any) -> list[str]:
    cls = type(obj)
    bases = ", ".join(type_name(b) for b in MRO.__get__(cls)[1:-1])
    lines = [f"type: {type_name(cls)}" + (f" (bases: {bases})" if bases else "")]
    doc = (static_lookup(cls, "__doc__") or (None, None))[1]
    if isinstance(doc, str) and doc.strip() and module_root(cls) != "builtins":
        lines.append(f"doc: {doc.strip().splitlines()[0][:200]}")
    lines.append(f"value: {safe_repr(obj, 2000)}")
    attrs = instance_dict(obj)
    if attrs:
        lines.append(f"attributes ({len(attrs)}):")
        lines += [f"  {_cell_text(k)} = {safe_repr(v, 150)}" for k, v in islice(attrs.items(), 40)]
    return lines


def describe(obj: Any, rows: int = 5) -> list[str]:
    """Lines describing ``obj`` for :func:`inspect_variable`, by kind."""
    kind, cls = kind_of(obj), type(obj)
    if kind == "dataframe":
        return _inspect_frame(obj, rows)
    if kind == "series":
        return _inspect_series(obj, rows)
    if kind == "ndarray":
        return _inspect_ndarray(obj)
    if kind in ("lazy", "iterator"):
        why = "that could run a computation" if kind == "lazy" else "that would consume it"
        return [f"type: {type_name(cls)}: {kind}, not evaluated ({why})"]
    if kind in ("function", "class", "module"):
        return _inspect_callable(obj, kind)
    text = text_head(obj, 2000)
    if text is not None:
        head, size = text
        more = f"\n[… {size - 2000} more]" if size > 2000 else ""
        shown = head if isinstance(head, str) else repr(head)
        return [f"type: {type_name(cls)}, length {size}", f"head:\n{shown}{more}"]
    base = container_base(cls)
    if base is None:
        return _inspect_object(obj)
    size = base.__len__(obj)
    items = first_items(obj, base, 20)
    pairs = base is dict
    samples = [f"{safe_repr(i[0], 80)}: {safe_repr(i[1], 300)}" if pairs else safe_repr(i, 300)
               for i in items]  # fmt: skip
    head = "first items:" if size else "(empty)"
    return [f"type: {type_name(cls)}, length {size}", head, *(f"  {t}" for t in samples)]


async def inspect_variable(args: InspectVariableArgs, ctx: ToolContext) -> str:
    ns = ctx.namespace
    if ns is None:
        return NO_NAMESPACE
    if args.name not in ns:
        names = [n for n in ns if not n.startswith("_") and n not in IPYTHON_NAMES]
        close = difflib.get_close_matches(args.name, names, n=5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see list_variables"
        raise ToolError(f"no variable named {args.name!r} in the kernel{hint}")
    obj = ns[args.name]
    try:
        with warnings.catch_warnings():  # all-NaN columns and the like: not the cell's business
            warnings.simplefilter("ignore")
            lines = describe(obj, args.rows)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # a library quirk while summarising: say so, keep going
        why = safe_repr(str(exc), 200)
        lines = [f"type: {type_name(type(obj))}", f"(no summary: {type(exc).__name__}: {why})"]
    return cap("\n".join([f"{args.name}:", *lines]))


LIST_VARIABLES = Tool(
    name="list_variables",
    description=(
        "The person's variables in the running kernel: name, type, size or shape and a short "
        "value. Use it to learn which data frames, arrays and settings exist before planning."
    ),
    args=ListVariablesArgs,
    kind=TOOL_KINDS["list_variables"],
    run=list_variables,
)
INSPECT_VARIABLE = Tool(
    name="inspect_variable",
    description=(
        "Details of one kernel variable: for a DataFrame its columns, dtypes, null counts, "
        "head and numeric summary; for an array its shape, dtype and statistics; for "
        "containers and other objects a sample. Nothing is evaluated or changed."
    ),
    args=InspectVariableArgs,
    kind=TOOL_KINDS["inspect_variable"],
    run=inspect_variable,
)
TOOLS: tuple[Tool[Any], ...] = (LIST_VARIABLES, INSPECT_VARIABLE)
