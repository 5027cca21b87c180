"""Load policy TOML files (the Gemini CLI ``[[rule]]`` format) into validated rules.

A broken file stops the engine: every problem is a :class:`PolicyProblem` naming the file,
the line (where it can be found) and the field; nothing is ever skipped silently.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jupyter_plan.policy.regex_safety import UnsafeRegex, compile_safe
from jupyter_plan.policy.types import SHELL_TOOL, Decision, Mode, Rule, Tier

FIELDS = (
    "toolName",
    "mcpName",
    "subagent",
    "toolAnnotations",
    "argsPattern",
    "commandPrefix",
    "commandRegex",
    "decision",
    "priority",
    "modes",
    "interactive",
    "denyMessage",
    "allowRedirection",
)
_MODE_ALIASES = {"default", "autoEdit", "auto_edit", "plan", "yolo"}
_TOP_LEVEL = {"rule"}


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
    rules: list[Rule] = []
    problems: list[PolicyProblem] = []
    for f in files:
        file_rules, file_problems = parse_file(f)
        rules += file_rules
        problems += file_problems
    if problems:
        raise PolicyError(problems)
    return rules


def parse_file(f: PolicyFile) -> tuple[list[Rule], list[PolicyProblem]]:
    try:
        text = f.text if f.text is not None else Path(f.path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [PolicyProblem(f.path, None, None, f"cannot read: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(exc)
        return [], [PolicyProblem(f.path, line, None, f"not valid TOML: {exc}")]
    problems = [
        PolicyProblem(f.path, None, key, "unknown top-level key; only [[rule]] tables are allowed")
        for key in data
        if key not in _TOP_LEVEL
    ]
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        problems.append(PolicyProblem(f.path, None, "rule", "use [[rule]] (an array of tables)"))
        return [], problems
    lines = _rule_lines(text)
    rules: list[Rule] = []
    for i, table in enumerate(tables):
        start = lines[i] if i < len(lines) else None
        end = lines[i + 1] if i + 1 < len(lines) else None
        locate = _Locator(text, start, end)
        rule, rule_problems = _parse_rule(table, f, locate)
        problems += rule_problems
        if rule is not None:
            rules.append(rule)
    return rules, problems


class _Locator:
    """Finds the line of a field inside one ``[[rule]]`` block (tomllib gives no positions)."""

    def __init__(self, text: str, start: int | None, end: int | None) -> None:
        self.lines = text.splitlines()
        self.start, self.end = start, end

    def __call__(self, field: str | None) -> int | None:
        if self.start is None or field is None:
            return self.start
        stop = (self.end - 1) if self.end else len(self.lines)
        pattern = re.compile(rf"^\s*{re.escape(field)}\s*=")
        for n in range(self.start, stop + 1):
            if n - 1 < len(self.lines) and pattern.match(self.lines[n - 1]):
                return n
        return self.start


def _rule_lines(text: str) -> list[int]:
    header = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    lineno = getattr(exc, "lineno", None)  # Python 3.14 adds it
    if isinstance(lineno, int):
        return lineno
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def _parse_rule(
    table: Any, f: PolicyFile, locate: _Locator
) -> tuple[Rule | None, list[PolicyProblem]]:
    problems: list[PolicyProblem] = []

    def bad(field: str | None, message: str) -> None:
        problems.append(PolicyProblem(f.path, locate(field), field, message))

    if not isinstance(table, dict):
        bad(None, "a rule must be a table")
        return None, problems
    for key in table:
        if key not in FIELDS:
            bad(key, f"unknown field; known fields: {', '.join(FIELDS)}")

    tools = list(_strings(table, "toolName", bad, allow_list=True) or [])
    mcp = _strings(table, "mcpName", bad)
    prefixes = list(_strings(table, "commandPrefix", bad, allow_list=True) or [])
    command_regex = _regex(table, "commandRegex", bad)
    args_pattern = _regex(table, "argsPattern", bad)
    if prefixes or command_regex:
        if "commandPrefix" in table and "commandRegex" in table:
            bad("commandRegex", "use commandPrefix or commandRegex, not both")
        if "toolName" in table and tools != [SHELL_TOOL]:
            field = "commandPrefix" if prefixes else "commandRegex"
            bad(field, f"only applies to {SHELL_TOOL!r}, but toolName is {table['toolName']!r}")
        tools = [SHELL_TOOL]
    if mcp:
        server = mcp[0]
        tools = [f"mcp_{server}_{t}" if server != "*" else f"mcp_*_{t}" for t in tools or ["*"]]
    patterns = tuple(tools) or ("*",)

    decision = _decision(table, bad)
    priority = _priority(table, bad)
    modes = _modes(table, bad)
    interactive = _bool(table, "interactive", bad)
    allow_redir = _bool(table, "allowRedirection", bad)
    deny_message = _strings(table, "denyMessage", bad)
    subagent = _strings(table, "subagent", bad)
    annotations = table.get("toolAnnotations", {})
    if not isinstance(annotations, dict):
        bad("toolAnnotations", "must be a table, e.g. { readOnlyHint = true }")
        annotations = {}
    if problems or decision is None:
        return None, problems
    rule = Rule(
        tool_patterns=patterns,
        decision=decision,
        priority=priority,
        tier=f.tier,
        source=f.path,
        line=locate(None),
        args_pattern=args_pattern,
        command_prefixes=tuple(prefixes),
        command_regex=command_regex,
        modes=modes,
        interactive=interactive,
        deny_message=deny_message[0] if deny_message else None,
        allow_redirection=bool(allow_redir),
        subagent=subagent[0] if subagent else None,
        tool_annotations=annotations,
    )
    return rule, problems


def _strings(table: dict[str, Any], field: str, bad: Any, allow_list: bool = False) -> Any:
    if field not in table:
        return None
    value = table[field]
    values = value if (allow_list and isinstance(value, list)) else [value]
    kind = "a string or a list of strings" if allow_list else "a string"
    if not values:
        bad(field, f"is empty; give {kind}")
        return None
    for v in values:
        if not isinstance(v, str):
            bad(field, f"must be {kind}, got {v!r}")
            return None
        if not v.strip():
            bad(field, "must not be empty")
            return None
    return values


def _regex(table: dict[str, Any], field: str, bad: Any) -> re.Pattern[str] | None:
    if field not in table:
        return None
    value = table[field]
    if not isinstance(value, str) or not value:
        bad(field, f"must be a non-empty regular expression, got {value!r}")
        return None
    try:
        return compile_safe(value)
    except UnsafeRegex as exc:
        bad(field, str(exc))
        return None


def _decision(table: dict[str, Any], bad: Any) -> Decision | None:
    if "decision" not in table:
        bad(None, "missing field 'decision' (allow, deny or ask_user)")
        return None
    try:
        return Decision(table["decision"])
    except (ValueError, TypeError):
        bad("decision", f"{table['decision']!r} is not one of allow, deny, ask_user")
        return None


def _priority(table: dict[str, Any], bad: Any) -> int:
    value = table.get("priority", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 999:
        bad("priority", f"{value!r} is not an integer from 0 to 999")
        return 0
    return value


def _modes(table: dict[str, Any], bad: Any) -> frozenset[Mode] | None:
    if "modes" not in table:
        return None
    value = table["modes"]
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        bad("modes", f"must be a list of mode names, got {value!r}")
        return None
    unknown = [m for m in value if m not in _MODE_ALIASES]
    if unknown:
        bad(
            "modes", f"unknown mode(s) {unknown}; allowed: default, autoEdit, auto_edit, plan, yolo"
        )
        return None
    return frozenset(Mode.parse(m) for m in value) or None  # empty list: every mode (Gemini)


def _bool(table: dict[str, Any], field: str, bad: Any) -> bool | None:
    if field not in table:
        return None
    value = table[field]
    if not isinstance(value, bool):
        bad(field, f"must be true or false, got {value!r}")
        return None
    return value
