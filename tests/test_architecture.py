"""The package's shape, as docs/architecture.md describes it: floors without circles.

The import graph is read with ``ast`` (nothing is imported): every ``import`` counts, those
inside functions too, except those under ``if TYPE_CHECKING:`` (annotations only).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jupyter_plan"
DOC = ROOT / "docs" / "architecture.md"
MAX_LINES = 400
MAX_TOP_MODULES = 8


def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (the built bundle excluded)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "labextension" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, name: str, is_package: bool) -> Iterator[str]:
    """Dotted names ``tree`` imports (with ``from m import sub``: ``m.sub`` too)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = _imported(tree, name, path.name == "__init__.py")
        graph[name] = {m for m in found if m in mods and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def floor_of(module: str) -> str:
    """``jupyter_plan.record.store`` -> ``record``; a top-level module is its own floor."""
    return module.split(".")[1] if module.count(".") else "(package)"


def test_no_import_circles_between_modules() -> None:
    assert cycles(import_graph()) == []


def test_no_circles_between_floors() -> None:
    """Dependencies point down: the folders themselves form no circle either."""
    floors: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        mine = floor_of(module)
        floors.setdefault(mine, set()).update(
            floor_of(t) for t in targets if floor_of(t) != mine and t != "jupyter_plan"
        )
    assert cycles(floors) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    """The check above can fail: a two-module circle and a three-module one are found."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(cycles(graph)) == [["a", "b"], ["c", "d", "e"]]


def test_few_modules_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_TOP_MODULES, top


@pytest.mark.parametrize("name", sorted(modules()))
def test_module_under_the_size_limit(name: str) -> None:
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines (limit {MAX_LINES})"


def test_architecture_page_matches_the_tree() -> None:
    """Every folder and module docs/architecture.md names exists, and every folder of the
    package is described there."""
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`(jupyter_plan/[\w/]*\w(?:\.py)?/?)`", text))
    assert named, "docs/architecture.md names no jupyter_plan/ paths"
    missing = sorted(p for p in named if not (ROOT / p.rstrip("/")).exists())
    assert missing == []
    folders = {
        f"jupyter_plan/{p.name}/"
        for p in PACKAGE.iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    }
    assert sorted(folders - named) == []


def test_readme_links_the_architecture_page() -> None:
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# The labextension: the same rules for labextension/src (its test folder excluded).
SRC = ROOT / "labextension" / "src"
_TS_IMPORT = re.compile(
    r"""(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"](\.{1,2}/[^'"]+)['"]"""
)


def ts_modules() -> dict[str, Path]:
    """``cards/plan`` -> file, for every module of the front end (tests excluded)."""
    return {
        p.relative_to(SRC).with_suffix("").as_posix(): p
        for p in sorted([*SRC.rglob("*.ts"), *SRC.rglob("*.tsx")])
        if "__tests__" not in p.parts
    }


def ts_import_graph() -> dict[str, set[str]]:
    mods = ts_modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        here = Path(name).parent
        found = set()
        for spec in _TS_IMPORT.findall(path.read_text(encoding="utf-8")):
            target = (here / spec).as_posix()
            parts: list[str] = []
            for part in target.split("/"):
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            found.add("/".join(parts))
        graph[name] = {m for m in found if m in mods and m != name}
    return graph


def ts_floor(module: str) -> str:
    return module.split("/")[0] if "/" in module else "(src)"


def test_the_front_end_has_no_import_circles() -> None:
    graph = ts_import_graph()
    assert graph["index"], "the import reader found nothing: the check would pass vacuously"
    assert cycles(graph) == []


def test_the_front_ends_folders_point_down() -> None:
    """cards/ and bridge/ use only the shared models below them, never each other or the
    sidebar; the sidebar may use both; only index and commands sit above the folders."""
    allowed = {"bridge": set(), "cards": set(), "sidebar": {"bridge", "cards"}}
    for module, targets in ts_import_graph().items():
        mine = ts_floor(module)
        if mine not in allowed:
            continue
        used = {ts_floor(t) for t in targets} - {mine, "(src)"}
        assert used <= allowed[mine], f"{module} imports from {sorted(used - allowed[mine])}"
        assert not {t for t in targets if t in ("index", "commands")}, module


def test_the_architecture_page_names_each_front_end_folder() -> None:
    text = DOC.read_text(encoding="utf-8")
    folders = {f"labextension/src/{p.name}/" for p in SRC.iterdir() if p.is_dir()}
    folders.discard("labextension/src/__tests__/")
    assert sorted(f for f in folders if f"`{f}`" not in text) == []
    named = set(re.findall(r"`(labextension/src/[\w/.]*\w/?)`", text))
    assert sorted(p for p in named if not (ROOT / p.rstrip("/")).exists()) == []
