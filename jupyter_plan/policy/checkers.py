"""Gemini CLI's ``[[safety_checker]]`` tables: checks that run after a rule has not denied.

A checker can only tighten: deny, or ask instead of allow. Two in-process checkers exist in
Gemini CLI 0.61 and both are understood here:

- ``allowed-path``: every path-like argument must resolve (symlinks followed) inside the
  workspace; ``.git``, ``.env``, ``node_modules`` and ``gha-creds-*.json`` are refused, a
  ``.vscode`` file is asked about (Gemini's ``safety/built-in.ts``);
- ``conseca``: Gemini's model-written policy, which Gemini itself runs only when
  ``enableConseca`` is set in its settings; jupyter-plan has no such setting, so, as in
  Gemini by default, it allows.

An ``external`` checker (a program Gemini would run) cannot run here: a load error, never
a silently skipped check.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_plan.policy.fields import args_patterns, strings
from jupyter_plan.policy.types import Decision, Mode, Rule, Tier

Bad = Callable[[str | None, str], None]
CHECKER_FIELDS = (
    "toolName",
    "mcpName",
    "argsPattern",
    "commandPrefix",
    "commandRegex",
    "priority",
    "modes",
    "toolAnnotations",
    "checker",
)
IN_PROCESS = ("allowed-path", "conseca")
_BLOCKED = (".git", ".env", "node_modules")


@dataclass(frozen=True, slots=True)
class SafetyChecker:
    """When ``match`` (a rule used only for its conditions) applies, run checker ``name``."""

    match: Rule
    name: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def run(self, args: Mapping[str, Any], workspace: str) -> tuple[Decision, str]:
        if self.name != "allowed-path":
            return Decision.ALLOW, ""
        included = list(self.config.get("included_args") or [])
        excluded = list(self.config.get("excluded_args") or [])
        for key, value in _path_args(args, included, excluded):
            decision, why = _check_path(value, workspace)
            if decision is not Decision.ALLOW:
                return decision, f"{why} (argument {key!r}; safety checker {self.match.location})"
        return Decision.ALLOW, ""


def parse_checker(
    table: Any, *, source: str, tier: Tier, line: int | None, report: Bad
) -> SafetyChecker | None:
    problems: list[str | None] = []

    def bad(fld: str | None, message: str) -> None:
        problems.append(fld)
        report(fld, message)

    if not isinstance(table, dict):
        bad(None, "a safety checker must be a table")
        return None
    for key in table:
        if key not in CHECKER_FIELDS:
            bad(key, f"unknown field; known fields: {', '.join(CHECKER_FIELDS)}")
    tools = list(strings(table, "toolName", bad, allow_list=True) or ["*"])
    mcp = strings(table, "mcpName", bad)
    prefixes = list(strings(table, "commandPrefix", bad, allow_list=True) or [])
    regex = strings(table, "commandRegex", bad)
    args_text = strings(table, "argsPattern", bad)
    patterns = args_patterns(prefixes, regex[0] if regex else None, args_text, bad)
    if mcp:
        tools = [f"mcp_{mcp[0]}_{t}" if t != "*" else f"mcp_{mcp[0]}_*" for t in tools]
    priority = table.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        bad("priority", f"{priority!r} is not an integer")
        priority = 0
    modes = table.get("modes")
    known = ("default", "autoEdit", "plan", "yolo")
    if modes is not None and (not isinstance(modes, list) or not all(m in known for m in modes)):
        bad("modes", f"must be a list of default, autoEdit, plan, yolo; got {modes!r}")
        modes = None
    annotations = table.get("toolAnnotations", {})
    checker = table.get("checker")
    name = _checker_name(checker, bad)
    if problems or name is None:
        return None
    assert isinstance(checker, dict)
    match = Rule(
        tool_patterns=tuple(tools),
        decision=Decision.ALLOW,
        priority=priority,
        tier=tier,
        source=source,
        line=line,
        args_patterns=patterns,
        mcp_name=mcp[0] if mcp else None,
        modes=frozenset(Mode.parse(m) for m in modes) or None if modes else None,
        tool_annotations=annotations if isinstance(annotations, dict) else {},
    )
    return SafetyChecker(match, name, dict(checker.get("config") or {}))


def _checker_name(checker: Any, bad: Bad) -> str | None:
    if not isinstance(checker, dict):
        bad("checker", "missing [safety_checker.checker] table (type and name)")
        return None
    kind, name = checker.get("type"), checker.get("name")
    if kind == "external":
        bad("checker", f"external checker {name!r} cannot run in jupyter-plan; remove it")
        return None
    if kind != "in-process" or name not in IN_PROCESS:
        bad("checker", f"unknown checker {kind!r}/{name!r}; in-process: {', '.join(IN_PROCESS)}")
        return None
    required = checker.get("required_context")
    if required is not None and not isinstance(required, list):
        bad("checker", "required_context must be a list")
    unknown = set(checker) - {"type", "name", "required_context", "config"}
    if unknown:
        bad("checker", f"unknown key(s) {sorted(unknown)} in the checker table")
        return None
    return str(name)


def _path_args(
    args: Mapping[str, Any], included: list[str], excluded: list[str], prefix: str = ""
) -> list[tuple[str, str]]:
    """Gemini's collectPathsToCheck: string arguments whose key says path, file, directory."""
    found: list[tuple[str, str]] = []
    for key, value in args.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if full in excluded:
            continue
        if isinstance(value, str):
            k = str(key)
            if (
                full in included
                or any(w in k for w in ("path", "directory", "file"))
                or k
                in (
                    "source",
                    "destination",
                )
            ):
                found.append((full, value))
        elif isinstance(value, Mapping):
            found += _path_args(value, included, excluded, full)
        elif isinstance(value, list):
            found += _path_args(dict(enumerate(value)), included, excluded, full)  # type: ignore[arg-type]
    return found


def _check_path(value: str, workspace: str) -> tuple[Decision, str]:
    if "\0" in value:
        return Decision.DENY, f"path {value!r} contains a NUL character"
    resolved = _resolve(os.path.join(workspace, value))
    root = _resolve(workspace)
    relative = os.path.relpath(resolved, root)
    if relative.startswith("..") or os.path.isabs(relative):
        return Decision.DENY, f"path {value!r} is outside the workspace {root}"
    segments = [s.split(":")[0].rstrip(" .").lower() for s in relative.split("/")]
    for seg in segments:
        if seg in _BLOCKED or (seg.startswith("gha-creds-") and seg.endswith(".json")):
            return Decision.DENY, f"access to the sensitive path {value!r} is blocked"
    if ".vscode" in segments:
        return Decision.ASK_USER, f"modifying .vscode configuration ({value!r}) needs a person"
    return Decision.ALLOW, ""


def _resolve(path: str) -> str:
    """Gemini's safelyResolvePath: the real path of the nearest existing ancestor, + the rest."""
    absolute = os.path.abspath(path)
    current = absolute
    while True:
        if os.path.exists(current):
            rest = os.path.relpath(absolute, current)
            return os.path.normpath(os.path.join(os.path.realpath(current), rest))
        parent = os.path.dirname(current)
        if parent == current:
            return absolute
        current = parent
