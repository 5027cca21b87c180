"""Load policy TOML files (the Gemini CLI ``[[rule]]`` format) into validated rules.

A broken file stops the engine: every problem is a :class:`PolicyProblem` naming the file,
the line (where it can be found) and the field; nothing is ever skipped silently. Each
table is validated in :mod:`fields` (rules) or :mod:`checkers` (``[[safety_checker]]``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from jupyter_plan.policy.checkers import SafetyChecker, parse_checker
from jupyter_plan.policy.fields import parse_rule
from jupyter_plan.policy.types import Rule, Tier

_TABLES = ("rule", "safety_checker")


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f" field '{self.field}':" if self.field else ""
        return f"{where}:{what} {self.message}"


class PolicyError(ValueError):
    """One or more policy files are malformed; the engine refuses to start."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"invalid policy ({len(self.problems)} problem(s)):\n{lines}")


@dataclass(frozen=True, slots=True)
class PolicyFile:
    path: str
    tier: Tier
    text: str | None = None  # given for package data; read from ``path`` otherwise


def builtin_files() -> list[PolicyFile]:
    """The shipped policy: package data, readable by users as examples."""
    folder = resources.files("jupyter_plan.policy") / "builtin"
    found = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    return [PolicyFile(f"<builtin>/{p.name}", Tier.BUILTIN, p.read_text("utf-8")) for p in found]


def toml_files_in(path: str | os.PathLike[str]) -> list[str]:
    """A file is itself; a folder gives its ``*.toml`` files in name order; missing gives none."""
    p = Path(path)
    if p.is_dir():
        return [str(f) for f in sorted(p.glob("*.toml"))]
    return [str(p)] if p.exists() else []


def discover(
    project_root: str | os.PathLike[str] | None,
    user_dir: str | os.PathLike[str] | None,
    admin_dir: str | os.PathLike[str] | None,
    extra_user: Iterable[str | os.PathLike[str]] = (),
) -> list[PolicyFile]:
    """Built-in, workspace, user and admin policy files, lowest tier first."""
    files = builtin_files()
    if project_root is not None:
        folder = Path(project_root) / ".jupyter_plan" / "policies"
        files += [PolicyFile(f, Tier.WORKSPACE) for f in toml_files_in(folder)]
    if user_dir is not None:
        files += [PolicyFile(f, Tier.USER) for f in toml_files_in(Path(user_dir) / "policies")]
    for extra in extra_user:
        if not Path(extra).exists():
            problem = PolicyProblem(os.fspath(extra), None, None, "policy path does not exist")
            raise PolicyError([problem])
        files += [PolicyFile(f, Tier.USER) for f in toml_files_in(extra)]
    if admin_dir is not None:
        files += [PolicyFile(f, Tier.ADMIN) for f in toml_files_in(admin_dir)]
    return files


def load_rules(files: Iterable[PolicyFile]) -> list[Rule]:
    """Every rule of every file, or a :class:`PolicyError` listing every problem found."""
    return load_policy(files).rules


@dataclass
class LoadedPolicy:
    rules: list[Rule] = field(default_factory=list)
    checkers: list[SafetyChecker] = field(default_factory=list)
    problems: list[PolicyProblem] = field(default_factory=list)


def load_policy(files: Iterable[PolicyFile]) -> LoadedPolicy:
    """Rules and safety checkers of every file, or a :class:`PolicyError` listing every
    problem found. Rules are numbered in load order (Gemini CLI's tie-break)."""
    loaded = LoadedPolicy()
    for f in files:
        _parse(f, loaded)
    if loaded.problems:
        raise PolicyError(loaded.problems)
    return loaded


def parse_file(f: PolicyFile) -> tuple[list[Rule], list[PolicyProblem]]:
    """One file's rules and problems (``jupyter-plan policy validate``)."""
    loaded = LoadedPolicy()
    _parse(f, loaded)
    return loaded.rules, loaded.problems


def _parse(f: PolicyFile, into: LoadedPolicy) -> None:
    try:
        text = f.text if f.text is not None else Path(f.path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        into.problems.append(PolicyProblem(f.path, None, None, f"cannot read: {exc}"))
        return
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(exc)
        into.problems.append(PolicyProblem(f.path, line, None, f"not valid TOML: {exc}"))
        return
    lines = text.splitlines()  # once per file: each table's locator shares them
    for key in data:
        if key not in _TABLES:
            into.problems.append(
                PolicyProblem(
                    f.path,
                    _top_level_line(lines, key),
                    key,
                    "unknown top-level key; only [[rule]] and [[safety_checker]] tables",
                )
            )
    for key in _TABLES:
        tables = data.get(key, [])
        if not isinstance(tables, list):
            into.problems.append(PolicyProblem(f.path, None, key, f"use [[{key}]] (tables)"))
            continue
        starts = _headers(lines, key)
        for i, table in enumerate(tables):
            locate = _Locator(lines, starts, i)

            def report(fld: str | None, message: str, locate: _Locator = locate) -> None:
                into.problems.append(PolicyProblem(f.path, locate(fld), fld, message))

            where = {"source": f.path, "tier": f.tier, "line": locate(None), "report": report}
            if key == "rule":
                rule = parse_rule(table, order=len(into.rules), **where)  # type: ignore[arg-type]
                if rule is not None:
                    into.rules.append(rule)
            else:
                checker = parse_checker(table, **where)  # type: ignore[arg-type]
                if checker is not None:
                    into.checkers.append(checker)


def _headers(lines: list[str], key: str) -> list[int]:
    header = re.compile(rf"^\s*\[\[\s*{key}\s*\]\]")
    return [n for n, line in enumerate(lines, 1) if header.match(line)]


def _top_level_line(lines: list[str], key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[+\s*)?{re.escape(key)}\b")
    return next((n for n, line in enumerate(lines, 1) if pattern.match(line)), None)


class _Locator:
    """Finds the line of a field inside one table (tomllib gives no positions)."""

    def __init__(self, lines: list[str], starts: list[int], index: int) -> None:
        self.lines = lines
        self.start = starts[index] if index < len(starts) else None
        self.end = starts[index + 1] if index + 1 < len(starts) else None

    def __call__(self, fld: str | None) -> int | None:
        if self.start is None or fld is None:
            return self.start
        stop = min((self.end - 1) if self.end else len(self.lines), len(self.lines))
        for n in range(self.start, stop + 1):
            line = self.lines[n - 1].lstrip()
            if line.startswith(fld) and line[len(fld) :].lstrip()[:1] in ("=", "."):
                return n
            if line.startswith("[") and line.rstrip().endswith(f".{fld}]"):
                return n  # a sub-table such as [safety_checker.checker]
        return self.start


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    lineno = getattr(exc, "lineno", None)  # Python 3.14 adds it
    if isinstance(lineno, int):
        return lineno
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None
