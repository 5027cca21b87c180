"""One ``[[rule]]`` table to a :class:`Rule`: every field validated, as Gemini CLI reads it.

Accepted as Gemini CLI 0.61 accepts them: a ``priority`` such as ``10.0``, the deprecated
``deny_message`` / ``allow_redirection``, and ``name`` (a label its own shipped policies
use). Any other field is an error here (Gemini ignores unknown fields; a misspelt
``commandPrefx`` would then silently widen a rule). ``commandPrefix`` and ``commandRegex``
become patterns over the canonical arguments exactly as Gemini builds them
(``policy/utils.ts`` ``buildArgsPatterns``), so quoting, spacing and JSON escapes match alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from jupyter_plan.policy.js_regex import compile_js
from jupyter_plan.policy.regex_safety import UnsafeRegex
from jupyter_plan.policy.types import SHELL_TOOL, Decision, Mode, Rule, Tier

Bad = Callable[[str | None, str], None]
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
    "name",
)
#: Gemini CLI's deprecated spellings, accepted as it accepts them (the camelCase one wins).
ALIASES = {"deny_message": "denyMessage", "allow_redirection": "allowRedirection"}
MODE_NAMES = ("default", "autoEdit", "auto_edit", "plan", "yolo")
_REGEX_SPECIALS = re.compile(r'[-\[\]{}()*+?.,\\^$|#\s"]')


def parse_rule(
    table: Any, *, source: str, tier: Tier, line: int | None, order: int, report: Bad
) -> Rule | None:
    """The rule, or None when ``report`` was given a problem (field or None, message)."""
    problems: list[str | None] = []

    def bad(field: str | None, message: str) -> None:
        problems.append(field)
        report(field, message)

    if not isinstance(table, dict):
        bad(None, "a rule must be a table")
        return None
    for key in table:
        if key not in FIELDS and key not in ALIASES:
            known = ", ".join((*FIELDS, *ALIASES))
            bad(key, f"unknown field; known fields: {known}")
    tools = list(strings(table, "toolName", bad, allow_list=True) or [])
    mcp = strings(table, "mcpName", bad)
    prefixes = list(strings(table, "commandPrefix", bad, allow_list=True) or [])
    regex_text = strings(table, "commandRegex", bad)
    args_text = strings(table, "argsPattern", bad)
    if prefixes or regex_text:
        if "commandPrefix" in table and "commandRegex" in table:
            bad("commandRegex", "use commandPrefix or commandRegex, not both")
        if "argsPattern" in table:
            bad("argsPattern", "use commandPrefix/commandRegex or argsPattern, not both")
        if "toolName" in table and tools != [SHELL_TOOL]:
            field = "commandPrefix" if prefixes else "commandRegex"
            bad(field, f"only applies to {SHELL_TOOL!r}, but toolName is {table['toolName']!r}")
        tools = [SHELL_TOOL]
    mcp_name = mcp[0] if mcp else None
    if mcp_name is not None:
        tools = [_mcp_tool_name(mcp_name, t) for t in tools or ["*"]]
    patterns = args_patterns(prefixes, regex_text[0] if regex_text else None, args_text, bad)

    decision = _decision(table, bad)
    priority = _priority(table, bad)
    modes = _modes(table, bad)
    interactive = boolean(table, "interactive", bad)
    allow_redir = _first(table, "allowRedirection", boolean, bad)
    deny_message = _first(table, "denyMessage", strings, bad)
    subagent = strings(table, "subagent", bad)
    name = strings(table, "name", bad)
    annotations = table.get("toolAnnotations", {})
    if not isinstance(annotations, dict):
        bad("toolAnnotations", "must be a table, e.g. { readOnlyHint = true }")
        annotations = {}
    if problems or decision is None:
        return None
    return Rule(
        tool_patterns=tuple(tools) or ("*",),
        decision=decision,
        priority=priority,
        tier=tier,
        source=source,
        line=line,
        args_patterns=patterns,
        args_text=args_text[0] if args_text else None,
        command_prefixes=tuple(prefixes),
        command_regex=regex_text[0] if regex_text else None,
        mcp_name=mcp_name,
        modes=modes,
        interactive=interactive,
        deny_message=deny_message[0] if deny_message else None,
        allow_redirection=bool(allow_redir),
        subagent=subagent[0] if subagent else None,
        tool_annotations=annotations,
        name=name[0] if name else None,
        order=order,
    )


def _mcp_tool_name(server: str, tool: str) -> str:
    """Gemini's formatMcpToolName: ``mcp_<server>_<tool>``, ``mcp_<server>_*``, ``mcp_*``."""
    if server == "*":
        return "mcp_*" if tool == "*" else f"mcp_*_{tool}"
    return f"mcp_{server}_*" if tool == "*" else f"mcp_{server}_{tool}"


def args_patterns(
    prefixes: list[str], command_regex: str | None, args_text: list[str] | None, bad: Bad
) -> tuple[re.Pattern[str], ...]:
    """Gemini's buildArgsPatterns, compiled: a prefix must be followed, in the JSON, by
    white space, the closing quote or an escaped quote; a regex follows ``"command":"``."""
    if prefixes:
        sources = [(f, _prefix_pattern(p)) for f, p in (("commandPrefix", p) for p in prefixes)]
    elif command_regex is not None:
        sources = [("commandRegex", f'"command":"{command_regex}')]
    elif args_text:
        sources = [("argsPattern", args_text[0])]
    else:
        return ()
    out: list[re.Pattern[str]] = []
    for field, source in sources:
        try:
            out.append(compile_js(source))
        except UnsafeRegex as exc:
            bad(field, str(exc))
    return tuple(out)


def _prefix_pattern(prefix: str) -> str:
    encoded = json.dumps(prefix, ensure_ascii=False)[:-1]  # open: no closing quote
    segment = _REGEX_SPECIALS.sub(lambda m: "\\" + m.group(), f'"command":{encoded}')
    return segment + '(?:[\\s"]|\\\\")'


def strings(table: dict[str, Any], field: str, bad: Bad, allow_list: bool = False) -> Any:
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


def boolean(table: dict[str, Any], field: str, bad: Bad) -> bool | None:
    if field not in table:
        return None
    value = table[field]
    if not isinstance(value, bool):
        bad(field, f"must be true or false, got {value!r}")
        return None
    return value


def _first(table: dict[str, Any], field: str, read: Callable[..., Any], bad: Bad) -> Any:
    """``field``, else its deprecated snake_case spelling (``denyMessage ?? deny_message``)."""
    value = read(table, field, bad)
    if value is not None:
        return value
    old = next(k for k, v in ALIASES.items() if v == field)
    return read(table, old, bad)


def _decision(table: dict[str, Any], bad: Bad) -> Decision | None:
    if "decision" not in table:
        bad(None, "missing field 'decision' (allow, deny or ask_user)")
        return None
    try:
        return Decision(table["decision"])
    except (ValueError, TypeError):
        bad("decision", f"{table['decision']!r} is not one of allow, deny, ask_user")
        return None


def _priority(table: dict[str, Any], bad: Bad) -> int:
    """0 to 999; a whole float (``10.0``) is the integer, as in Gemini CLI (JavaScript numbers)."""
    value = table.get("priority", 0)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 999:
        bad("priority", f"{value!r} is not an integer from 0 to 999")
        return 0
    return value


def _modes(table: dict[str, Any], bad: Bad) -> frozenset[Mode] | None:
    if "modes" not in table:
        return None
    value = table["modes"]
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        bad("modes", f"must be a list of mode names, got {value!r}")
        return None
    unknown = [m for m in value if m not in MODE_NAMES]
    if unknown:
        bad("modes", f"unknown mode(s) {unknown}; allowed: {', '.join(MODE_NAMES)}")
        return None
    return frozenset(Mode.parse(m) for m in value) or None  # empty list: every mode (Gemini)
