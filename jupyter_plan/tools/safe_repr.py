"""Describe any object in a bounded string without running the person's code.

Looking at a variable must never change it. So this reads only what cannot run user code:
exact builtin types, the C slots of builtin containers (``list.__len__(x)`` works on a
subclass without calling its override), class dictionaries read statically, and well-known
attributes of pandas and numpy objects. A ``__repr__`` written by the person (or by a
library we do not know) is never called: it could be slow, huge, raise, or mutate state.
Iterators, generators, files and lazy frames are reported by type only: reading one would
consume it, and evaluating a lazy frame could run a whole query.

pandas and numpy are never imported here: an object of theirs can only exist if its module
is already in ``sys.modules``, so we look there.

This is the trust boundary of the kernel tools, kept apart from them (``kernel.py``) so the
list of trusted libraries and the static-reading primitives can be read and audited in one
place; the tools build their summaries from the primitives exported here.
"""

from __future__ import annotations

import enum
import sys
import types
from collections import deque
from collections.abc import Callable
from functools import partial
from itertools import islice
from typing import Any

# Libraries whose reprs we call, for their own types only: side-effect free and bounded.
TRUSTED_REPR_ROOTS = frozenset(
    {"datetime", "decimal", "fractions", "pathlib", "uuid", "ipaddress", "re", "zoneinfo"}
    | {"numpy", "pandas"}
)
# Whole libraries whose objects are lazy: touching their data could run a computation.
LAZY_ROOTS = frozenset({"dask", "pyspark", "ibis", "sqlalchemy", "vaex"})
LAZY_TYPES = frozenset({("polars", "LazyFrame"), ("polars", "Expr")})
FRAME_ROOTS = frozenset({"pandas", "geopandas"})
_LEAVES = (int, float, complex, bool, type(None), range, type(Ellipsis), type(NotImplemented))
_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, partial)
_CONTAINERS: tuple[type[Any], ...] = (list, tuple, dict, set, frozenset, deque)
_BRACKETS: dict[type[Any], str] = {list: "[]", tuple: "()", dict: "{}", deque: "[]"}

# Descriptors of `type` itself: reading through them runs no metaclass code.
MRO = type.__dict__["__mro__"]
CLASS_DICT = type.__dict__["__dict__"]
_MODULE = type.__dict__["__module__"]
_QUALNAME = type.__dict__["__qualname__"]


def static_lookup(cls: type, name: str) -> tuple[type, Any] | None:
    """The class defining ``name`` along the MRO and its raw value; no descriptor is run."""
    for klass in MRO.__get__(cls):
        namespace = CLASS_DICT.__get__(klass)
        if name in namespace:
            return klass, namespace[name]
    return None


def module_root(cls: type) -> str:
    """The top-level package defining ``cls`` (``pandas`` for a DataFrame); no metaclass code."""
    return str(_MODULE.__get__(cls)).split(".")[0]


def type_name(cls: type) -> str:
    """``qualname`` for builtins, else ``module.qualname``; no metaclass code."""
    module, qualname = str(_MODULE.__get__(cls)), str(_QUALNAME.__get__(cls))
    return qualname if module == "builtins" else f"{module}.{qualname}"


def _library_type(cls: type, module: str, attr: str, roots: frozenset[str]) -> bool:
    """Is ``cls`` a ``module.attr`` (e.g. pandas.DataFrame) from a library already loaded?"""
    mod = sys.modules.get(module)
    return mod is not None and module_root(cls) in roots and issubclass(cls, getattr(mod, attr, ()))


def kind_of(obj: Any) -> str:
    """module, class, function, lazy, iterator, dataframe, series, ndarray or value."""
    cls = type(obj)
    if issubclass(cls, types.ModuleType):
        return "module"
    if issubclass(cls, type):
        return "class"
    if issubclass(cls, _CALLABLES):
        return "function"
    if (
        module_root(cls) in LAZY_ROOTS
        or (module_root(cls), str(_QUALNAME.__get__(cls))) in LAZY_TYPES
    ):
        return "lazy"
    if any(static_lookup(cls, n) for n in ("__next__", "__anext__", "__await__")):
        return "iterator"  # generators, files, coroutines, map/zip objects, cursors …
    if _library_type(cls, "pandas", "DataFrame", FRAME_ROOTS):
        return "dataframe"
    if _library_type(cls, "pandas", "Series", FRAME_ROOTS):
        return "series"
    if _library_type(cls, "numpy", "ndarray", frozenset({"numpy"})):
        return "ndarray"
    return "value"


def guarded(call: Callable[[], str], what: str) -> str:
    """Run a trusted formatter; any error (but an interrupt or exit) becomes a note."""
    try:
        return call()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return f"<{what}: repr raised {type(exc).__name__}>"


def container_base(cls: type) -> type[Any] | None:
    """The builtin container ``cls`` derives from (list, tuple, dict, set …), if any."""
    return next((b for b in _CONTAINERS if issubclass(cls, b)), None)


def first_items(obj: Any, base: type[Any], n: int) -> list[Any]:
    """The first ``n`` items through the base type's C slots: overrides are never called."""
    if base in (list, tuple):
        return list(base.__getitem__(obj, slice(0, n)))
    if base is dict:
        return list(islice(dict.items(obj), n))
    return list(islice(base.__iter__(obj), n))


def instance_dict(obj: Any) -> dict[str, Any] | None:
    """The plain instance ``__dict__``, read through the standard slot (no ``__getattr__``)."""
    slot = static_lookup(type(obj), "__dict__")
    if slot is None or type(slot[1]) is not types.GetSetDescriptorType:
        return None
    attrs = slot[1].__get__(obj)
    return attrs if type(attrs) is dict else None


def text_head(obj: Any, n: int) -> tuple[str | bytes | bytearray, int] | None:
    """The first ``n`` characters (or bytes) of a str/bytes (subclass) and its length."""
    base: type[Any] | None = next(
        (b for b in (str, bytes, bytearray) if issubclass(type(obj), b)), None
    )
    if base is None:
        return None
    return base(base.__getitem__(obj, slice(0, n))), base.__len__(obj)


def _repr(obj: Any, depth: int, width: int) -> str:
    cls = type(obj)
    if cls in _LEAVES:
        big = cls is int and obj.bit_length() > 1000  # repr would be slow, or raise
        return f"<int of {obj.bit_length()} bits>" if big else repr(obj)
    text = text_head(obj, width)
    if text is not None:
        return repr(text[0]) if text[1] <= width else f"{text[0]!r}… ({text[1]} long)"
    kind = kind_of(obj)
    if kind in ("dataframe", "series", "ndarray"):
        return f"<{type_name(cls)} shape={obj.shape}>"
    if kind in ("lazy", "iterator"):
        return f"<{type_name(cls)}: {kind}, not evaluated>"
    if cls in (types.FunctionType, types.BuiltinFunctionType):
        return f"<function {obj.__qualname__}>"
    if kind == "class":
        return f"<class {type_name(obj)}>"
    if kind == "module":  # a lazy module's own __getattribute__ would import it: bypass it
        return f"<module {types.ModuleType.__getattribute__(obj, '__name__')}>"
    if issubclass(cls, enum.Enum):
        return f"{type_name(cls)}.{(instance_dict(obj) or {}).get('_name_', '?')}"
    base = container_base(cls)
    if base is not None:
        size = base.__len__(obj)
        if depth <= 0:
            return f"<{type_name(cls)} of {size} items>"
        items = first_items(obj, base, 8)
        parts = (
            [f"{_repr(k, depth - 1, width)}: {_repr(v, depth - 1, width)}" for k, v in items]
            if base is dict
            else [_repr(v, depth - 1, width) for v in items]
        )
        parts += [f"… {size - 8} more"] if size > 8 else []
        brackets = _BRACKETS.get(base, "{}")
        body = f"{brackets[0]}{', '.join(parts)}{brackets[1]}"
        if base is set and not size:
            return "set()"
        plain = cls is base and base not in (frozenset, deque)
        return body if plain else f"{type_name(cls)}({body})"
    # A library's repr only for the library's own types: a subclass defined elsewhere may
    # override the hooks that repr relies on.
    found = static_lookup(cls, "__repr__")
    if (
        found
        and found[0] is not object
        and {module_root(cls), module_root(found[0])} <= TRUSTED_REPR_ROOTS
    ):
        return guarded(lambda: repr(obj), type_name(cls))
    return f"<{type_name(cls)} object>"


def safe_repr(obj: Any, limit: int = 200) -> str:
    """A bounded description of ``obj`` that runs none of the person's code."""
    text = _repr(obj, depth=3, width=max(20, limit))
    return text if len(text) <= limit else text[: limit - 1] + "…"
