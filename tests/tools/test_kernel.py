"""Kernel tools: variables listed and inspected without running, consuming or changing them."""

from __future__ import annotations

import collections
import datetime
import inspect
import io
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jupyter_plan.tools import kernel, safe_repr
from jupyter_plan.tools.base import OUTPUT_CAP, ToolContext, ToolError

from .conftest import Call

CALLS: list[str] = []  # every hook of the objects below records itself here


class Loud:
    """Every hook a careless inspector might call records that it was called."""

    def __repr__(self) -> str:
        CALLS.append("Loud.__repr__")
        return "Loud()"

    def __str__(self) -> str:
        CALLS.append("Loud.__str__")
        return "Loud"

    def __len__(self) -> int:
        CALLS.append("Loud.__len__")
        return 3

    def __iter__(self) -> Any:
        CALLS.append("Loud.__iter__")
        return iter([1, 2, 3])

    def __getattr__(self, name: str) -> Any:
        CALLS.append(f"Loud.__getattr__({name})")
        raise AttributeError(name)

    @property
    def shape(self) -> tuple[int, int]:
        CALLS.append("Loud.shape")
        return (1, 1)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() would read this; type() does not
        CALLS.append("Loud.__class__")
        return list


class RaisingRepr:
    def __repr__(self) -> str:
        CALLS.append("RaisingRepr.__repr__")
        raise RuntimeError("repr failed")


class HugeRepr:
    def __repr__(self) -> str:
        CALLS.append("HugeRepr.__repr__")
        return "x" * 5_000_000


class MutatingRepr:
    def __init__(self, victim: list[int]) -> None:
        self.victim = victim
        self.count = 0

    def __repr__(self) -> str:
        self.count += 1
        self.victim.append(self.count)
        return "MutatingRepr()"


class SneakyList(list[int]):
    def __iter__(self) -> Any:
        CALLS.append("SneakyList.__iter__")
        return super().__iter__()

    def __len__(self) -> int:
        CALLS.append("SneakyList.__len__")
        return 0

    def __getitem__(self, i: Any) -> Any:
        CALLS.append("SneakyList.__getitem__")
        return super().__getitem__(i)

    def __repr__(self) -> str:
        CALLS.append("SneakyList.__repr__")
        return "[]"


class SneakyDict(dict[str, int]):
    def items(self) -> Any:
        CALLS.append("SneakyDict.items")
        return super().items()

    def __iter__(self) -> Any:
        CALLS.append("SneakyDict.__iter__")
        return super().__iter__()

    def __len__(self) -> int:
        CALLS.append("SneakyDict.__len__")
        return 0


def numbers() -> Any:
    yield from range(3)


def scale(frame: pd.DataFrame, factor: float = 2.0) -> pd.DataFrame:
    """Multiply every column."""
    return frame * factor


LazyFrame = type("LazyFrame", (), {"__module__": "polars.lazyframe.frame"})
DaskFrame = type("DataFrame", (), {"__module__": "dask.dataframe.core"})


@pytest.fixture
def namespace(tmp_path: Path) -> dict[str, Any]:
    victim: list[int] = []
    handle = open(tmp_path / "f.txt", "w+")  # noqa: SIM115 - closed by the test
    handle.write("line 1\nline 2\n")
    handle.seek(0)
    ns: dict[str, Any] = {
        "sales": pd.DataFrame(
            {
                "region": ["north", "south", None, "east"],
                "revenue": [10.5, 20.0, None, 7.25],
                "units": [1, 2, 3, 4],
                "who": [Loud(), "plain", Loud(), 3],
                "when": pd.to_datetime(["2024-01-01"] * 4),
            }
        ),
        "revenue": pd.Series([1.0, None, 3.0], name="revenue"),
        "loud_series": pd.Series([Loud(), Loud()], index=[Loud(), "b"]),
        "matrix": np.arange(12, dtype=float).reshape(3, 4),
        "flags": np.array([True, False, True]),
        "objects": np.array([Loud(), 1], dtype=object),
        "stamps": np.array(["2024-01-01", "2024-03-01"], dtype="datetime64[D]"),
        "count": 42,
        "ratio": 0.5,
        "name": "hello\nworld",
        "config": {"threshold": 0.5, "columns": ["a", "b"], Loud(): Loud()},
        "items": list(range(1000)),
        "pair": (1, "two"),
        "tags": {"x"},
        "queue": collections.deque([1, 2]),
        "counter": collections.Counter("aab"),
        "day": datetime.date(2024, 1, 2),
        "path": Path("/data/sales.csv"),
        "gen": numbers(),
        "it": iter([1, 2, 3]),
        "mapped": map(str, [1, 2]),
        "handle": handle,
        "lazy": LazyFrame(),
        "dask_df": DaskFrame(),
        "loud": Loud(),
        "raising": RaisingRepr(),
        "huge": HugeRepr(),
        "victim": victim,
        "mutating": MutatingRepr(victim),
        "sneaky_list": SneakyList([1, 2, 3]),
        "sneaky_dict": SneakyDict(a=1),
        "scale": scale,
        "Loud": Loud,
        "np": np,
        "pd": pd,
        "In": ["", "x = 1"],
        "Out": {1: "x"},
        "get_ipython": lambda: None,
        "exit": object(),
        "quit": object(),
        "_": 1,
        "_i1": "x = 1",
        "__builtins__": {},
    }
    CALLS.clear()  # building the frames above let pandas look at the objects
    return ns


@pytest.fixture
def kctx(ctx: ToolContext, namespace: dict[str, Any]) -> ToolContext:
    ctx.namespace = namespace
    return ctx


class Unchanged:
    """A careful record of the namespace: names, identities and every observable state."""

    def __init__(self, ns: dict[str, Any]) -> None:
        self.ns = ns
        self.names = list(ns)
        self.ids = {k: id(v) for k, v in ns.items()}
        self.sales = ns["sales"].copy(deep=True)
        self.revenue = ns["revenue"].copy(deep=True)
        self.matrix = ns["matrix"].copy()
        self.plain = {k: list(ns[k]) if k in ("items", "sneaky_list") else ns[k]
                      for k in ("count", "ratio", "name", "pair", "items")}  # fmt: skip
        self.config = dict(ns["config"])

    def check(self) -> None:
        ns = self.ns
        assert CALLS == []  # no hook of the person's objects ran
        assert list(ns) == self.names
        assert {k: id(v) for k, v in ns.items()} == self.ids
        assert ns["sales"].equals(self.sales) and ns["revenue"].equals(self.revenue)
        assert list(ns["sales"].columns) == list(self.sales.columns)
        assert np.array_equal(ns["matrix"], self.matrix)
        assert {k: ns[k] for k in self.plain} == self.plain
        assert dict(ns["config"]) == self.config
        assert inspect.getgeneratorstate(ns["gen"]) == inspect.GEN_CREATED
        assert ns["handle"].tell() == 0
        assert ns["victim"] == [] and ns["mutating"].count == 0
        assert list.__len__(ns["sneaky_list"]) == 3 and dict.__len__(ns["sneaky_dict"]) == 1

    def check_iterators_unconsumed(self) -> None:
        """Last: reading them consumes them."""
        assert next(self.ns["it"]) == 1 and next(self.ns["mapped"]) == "1"
        assert next(self.ns["gen"]) == 0 and self.ns["handle"].readline() == "line 1\n"


async def test_no_tool_call_changes_the_namespace(
    call: Call, kctx: ToolContext, namespace: dict[str, Any]
) -> None:
    before = Unchanged(namespace)
    await call("list_variables")
    before.check()
    await call("list_variables", include_callables=True)
    before.check()
    for name in list(namespace):
        await call("inspect_variable", name=name)
        before.check()
    before.check_iterators_unconsumed()
    namespace["handle"].close()


async def test_list_variables(call: Call, kctx: ToolContext) -> None:
    out = await call("list_variables")
    listed = {line[2:].split(":")[0] for line in out.splitlines()[1:]}
    assert {"sales", "gen", "loud", "huge", "items"} <= listed
    hidden = {"np", "pd", "In", "Out", "get_ipython", "exit", "quit", "_", "_i1", "scale", "Loud"}
    assert not listed & hidden
    lines = {line[2:].split(":")[0]: line for line in out.splitlines()[1:]}
    assert lines["sales"] == "- sales: pandas.DataFrame, 4 rows x 5 columns"
    assert lines["matrix"] == "- matrix: numpy.ndarray, shape (3, 4), dtype float64"
    assert lines["revenue"] == "- revenue: pandas.Series, length 3, dtype float64"
    assert lines["items"].startswith("- items: list, length 1000, [0, 1, 2, 3, 4, 5, 6, 7, … 992")
    assert lines["count"] == "- count: int, 42"
    assert lines["gen"] == "- gen: generator, <generator: iterator, not evaluated>"
    assert lines["lazy"].endswith("<polars.lazyframe.frame.LazyFrame: lazy, not evaluated>")
    assert lines["loud"] == f"- loud: {__name__}.Loud, <{__name__}.Loud object>"
    assert lines["huge"] == f"- huge: {__name__}.HugeRepr, <{__name__}.HugeRepr object>"
    assert lines["sneaky_list"] == (
        f"- sneaky_list: {__name__}.SneakyList, length 3, {__name__}.SneakyList([1, 2, 3])"
    )
    with_callables = await call("list_variables", include_callables=True)
    assert "- scale: function, <function scale>" in with_callables
    assert f"- Loud: type, <class {__name__}.Loud>" in with_callables
    assert "- np:" not in with_callables


async def test_list_variables_pages(call: Call, ctx: ToolContext) -> None:
    ctx.namespace = {f"v{i:04}": i for i in range(1200)}
    out = await call("list_variables", limit=500)
    assert out.splitlines()[0] == "1200 variables (showing 500 from offset 0):"
    assert out.splitlines()[-1] == "[700 more: call list_variables with offset=500]"
    assert "- v1199: int, 1199" in await call("list_variables", offset=1100, limit=500)
    ctx.namespace = {"_hidden": 1}
    assert await call("list_variables") == "The kernel has no user variables yet."


async def test_no_namespace(call: Call, ctx: ToolContext) -> None:
    assert ctx.namespace is None
    assert "no kernel namespace in this run" in await call("list_variables")
    assert "no kernel namespace in this run" in await call("inspect_variable", name="x")


INSPECTIONS = [
    (
        "sales",
        [
            "pandas DataFrame: 4 rows x 5 columns",
            "  region: object, 1 null",  # pandas 3 may say str
            "  revenue: float64, 1 null",
            "  when: datetime64",
            "head(5):",
            f"<{__name__}.Loud object>",
            "numeric summary:",
        ],
    ),
    ("revenue", ["pandas Series revenue: length 3, dtype float64, 1 null", "head(5):"]),
    ("loud_series", ["pandas Series None: length 2, dtype object", f"<{__name__}.Loud object>"]),
    ("matrix", ["shape (3, 4), dtype float64, 12 elements, 96 bytes", "min: 0.0, max: 11.0"]),
    ("flags", ["true: 2"]),
    ("stamps", ["min: 2024-01-01, max: 2024-03-01"]),
    ("objects", [f"first items: [<{__name__}.Loud object>, 1]"]),
    ("name", ["type: str, length 11", "head:\nhello\nworld"]),
    ("config", ["type: dict, length 3", "'threshold': 0.5", f"<{__name__}.Loud object>: <"]),
    ("items", ["type: list, length 1000", "  19"]),
    ("tags", ["type: set, length 1", "  'x'"]),
    ("counter", ["type: collections.Counter, length 2", "  'a': 2"]),
    ("day", ["type: datetime.date", "value: datetime.date(2024, 1, 2)"]),
    ("path", ["value: PosixPath('/data/sales.csv')"]),
    ("gen", ["type: generator: iterator, not evaluated (that would consume it)"]),
    ("handle", ["_io.TextIOWrapper: iterator, not evaluated"]),
    ("lazy", ["lazy, not evaluated"]),
    ("dask_df", ["type: dask.dataframe.core.DataFrame: lazy, not evaluated"]),
    ("raising", [f"value: <{__name__}.RaisingRepr object>"]),
    ("mutating", ["attributes (2):", "  victim = []", "  count = 0"]),
    ("scale", ["signature: scale(frame: 'pd.DataFrame', factor: 'float' = 2.0)", "doc: Multiply"]),
    ("Loud", ["class: <class", "public members: shape"]),
    ("np", ["module: <module numpy>"]),
]


@pytest.mark.parametrize(("name", "expected"), INSPECTIONS)
async def test_inspect_variable(
    call: Call, kctx: ToolContext, name: str, expected: list[str]
) -> None:
    out = await call("inspect_variable", name=name)
    assert out.startswith(f"{name}:\n")
    for part in expected:
        if part == "  region: object, 1 null" and "region: str" in out:
            continue  # pandas 3 infers a string dtype
        assert part in out, (part, out)
    assert "items" not in name or "  20" not in out  # the sample is capped at 20 items


async def test_inspect_unknown_name_suggests(call: Call, kctx: ToolContext) -> None:
    with pytest.raises(ToolError, match=r"no variable named 'sale'.*did you mean .*sales"):
        await call("inspect_variable", name="sale")
    with pytest.raises(ToolError, match="see list_variables"):
        await call("inspect_variable", name="zzzzzz")


async def test_inspect_output_is_capped(call: Call, ctx: ToolContext) -> None:
    wide = pd.DataFrame({f"column_{i}": range(3) for i in range(300)})
    ctx.namespace = {"text": "x" * 100_000, "wide": wide, "nested": [[["deep"] * 50] * 50] * 50}
    text = await call("inspect_variable", name="text")
    assert "[… 98000 more]" in text and len(text) < 2200
    out = await call("inspect_variable", name="wide")
    assert "… 240 more columns" in out and len(out) <= OUTPUT_CAP + 100
    assert len(await call("inspect_variable", name="nested")) <= OUTPUT_CAP + 100


async def test_big_arrays_use_a_sample(
    call: Call, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernel, "STATS_MAX", 10)
    ctx.namespace = {"a": np.arange(100, dtype=float), "n": np.array([1.0, np.nan])}
    out = await call("inspect_variable", name="a")
    assert "min: 0.0, max: 9.0, mean: 4.5, NaN: 0 (of the first 10 elements)" in out
    assert "NaN: 1" in await call("inspect_variable", name="n")


def test_trusted_reprs_are_guarded_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trusted library's repr runs, but an error or a huge result cannot escape."""
    monkeypatch.setattr(safe_repr, "TRUSTED_REPR_ROOTS", frozenset({__name__.split(".")[0]}))

    class Stop(BaseException):
        pass

    class StopRepr:
        def __repr__(self) -> str:
            raise Stop

    class Interrupting:
        def __repr__(self) -> str:
            raise KeyboardInterrupt

    assert (
        safe_repr.safe_repr(RaisingRepr()) == f"<{__name__}.RaisingRepr: repr raised RuntimeError>"
    )
    assert "repr raised Stop" in safe_repr.safe_repr(StopRepr())
    assert len(safe_repr.safe_repr(HugeRepr(), 100)) == 100
    with pytest.raises(KeyboardInterrupt):
        safe_repr.safe_repr(Interrupting())


SAFE_REPRS = [
    pytest.param(10**5000, "<int of 16610 bits>", id="big-int"),  # pytest cannot print it
    pytest.param("y" * 300, "'" + "y" * 20, id="long-str"),
    pytest.param(b"\x00" * 3, "b'\\x00\\x00\\x00'", id="bytes"),
    pytest.param(set(), "set()", id="empty-set"),
    pytest.param(frozenset({1}), "frozenset({1})", id="frozenset"),
    pytest.param({"a": [1, {"b": (2,)}]}, "{'a': [1, {'b': <tuple of 1 items>}]}", id="nested"),
    pytest.param(types.SimpleNamespace(a=1), "<types.SimpleNamespace object>", id="object"),
    pytest.param(len, "<function len>", id="builtin"),
    pytest.param(sys, "<module sys>", id="module"),
]


@pytest.mark.parametrize(("value", "text"), SAFE_REPRS)
def test_safe_repr(value: Any, text: str) -> None:
    assert safe_repr.safe_repr(value, 40).startswith(text)


def test_pandas_and_numpy_are_not_imported() -> None:
    """Detection goes by sys.modules: a kernel without pandas never pays to import it."""
    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from jupyter_plan.tools import kernel\n"
        "from jupyter_plan.tools.base import ToolContext\n"
        "ctx = ToolContext(None, Path('.'), Path('.'), None, namespace={'x': [1], 'y': 'z'})\n"
        "asyncio.run(kernel.list_variables(kernel.ListVariablesArgs(), ctx))\n"
        "asyncio.run(kernel.inspect_variable(kernel.InspectVariableArgs(name='x'), ctx))\n"
        "assert 'pandas' not in sys.modules and 'numpy' not in sys.modules, 'imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_io_objects_are_iterators() -> None:
    CALLS.clear()
    assert safe_repr.kind_of(io.StringIO("x")) == "iterator"
    assert safe_repr.kind_of(Loud()) == "value"  # its __class__ property is never read
    assert CALLS == []
