"""Does a rule apply to a call? Gemini CLI's ``ruleMatches``, plus wildcards anywhere.

Gemini CLI matches a ``toolName`` exactly, or as one of its wildcards: ``*`` (any tool),
``mcp_*`` (any MCP tool) and ``mcp_<server>_*``; a legacy alias (``search_file_content``) is
the same tool as its new name (``grep_search``). Here ``*``, ``?`` and ``[…]`` also work
anywhere in a name (``read_*``), but such a match is *tighten-only*: it can deny, or make an
allow ask, never allow or loosen (the engine enforces it), so a Gemini policy never allows
more here than there.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_plan.policy.types import Mode, Rule

#: Gemini CLI's TOOL_LEGACY_ALIASES (tools/tool-names.ts): old name -> current name.
LEGACY_ALIASES = {"search_file_content": "grep_search"}
#: Gemini CLI's names for tools jupyter-plan calls otherwise: a rule may use either name.
GEMINI_NAMES = {"codebase_investigator": "investigate"}
AGENT_TOOL = "invoke_agent"
_MCP_NAME = re.compile(r"^mcp_([^_]+)_(.+)$", re.DOTALL)


def aliases(tool: str, args: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """Every name a rule may use for this call (Gemini's getToolAliases, invoke_agent)."""
    names = _tool_aliases(tool)
    if tool == AGENT_TOOL and args is not None and isinstance(args.get("agent_name"), str):
        return tuple(dict.fromkeys((*names, args["agent_name"])))
    return names


@functools.lru_cache(maxsize=1024)  # a name's aliases never change: worked out once
def _tool_aliases(tool: str) -> tuple[str, ...]:
    renamed = {**LEGACY_ALIASES, **GEMINI_NAMES}
    current = renamed.get(tool, tool)
    names = dict.fromkeys([tool, current, *(k for k, v in renamed.items() if v == current)])
    return tuple(names)


def server_of(tool: str, annotations: Mapping[str, Any] | None) -> str | None:
    """The MCP server of a call: from ``_serverName``, else from ``mcp_<server>_<tool>``."""
    if annotations is not None and isinstance(annotations.get("_serverName"), str):
        return str(annotations["_serverName"])
    return _server_in_name(tool)


@functools.lru_cache(maxsize=1024)
def _server_in_name(tool: str) -> str | None:
    m = _MCP_NAME.match(tool)
    return m.group(1) if m else None


def native_match(pattern: str, tool: str, server: str | None) -> bool:
    """Gemini CLI's own tool-name test (policy-engine.ts matchesWildcard)."""
    if pattern == "*":
        return True
    if "*" not in pattern:
        return pattern == tool
    if pattern == "mcp_*":
        return server is not None
    if pattern.startswith("mcp_") and pattern.endswith("_*"):
        expected = pattern[4:-2]
        return server == expected and tool.startswith(f"mcp_{expected}_")
    return pattern == tool


def name_match(rule: Rule, names: Iterable[str], server: str | None) -> bool | None:
    """True: Gemini would match the name too; False: only our wider wildcards match it;
    None: no match."""
    wide = False
    for name in names:
        for pattern in rule.tool_patterns:
            if native_match(pattern, name, server):
                return True
            if not wide and any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(name, pattern):
                wide = True
    return False if wide else None


def applies(rule: Rule, mode: Mode, interactive: bool, subagent: tuple[str, ...] = ()) -> bool:
    """The conditions that do not depend on the call's arguments. A ``subagent`` rule
    applies only to the calls of that sub-agent (``subagent`` holds its names), as in
    Gemini CLI's ruleMatches; a rule without one applies to every agent's calls."""
    return (
        (rule.modes is None or mode in rule.modes)
        and (rule.interactive is None or rule.interactive == interactive)
        and (rule.subagent is None or rule.subagent in subagent)
    )


def conditions_hold(
    rule: Rule, server: str | None, annotations: Mapping[str, Any], canonical: str | None
) -> bool:
    """mcpName, toolAnnotations and the argument patterns (Gemini's order of tests)."""
    if rule.mcp_name is not None:
        if rule.mcp_name == "*" and server is None:
            return False
        if rule.mcp_name != "*" and server != rule.mcp_name:
            return False
    for key, value in rule.tool_annotations.items():
        have = annotations.get(key, _MISSING)
        if have is _MISSING or type(have) is not type(value) or have != value:
            return False  # JavaScript's !==: true is not 1
    if rule.args_patterns:
        assert canonical is not None
        return any(p.search(canonical) for p in rule.args_patterns)
    return True


_MISSING = object()
