"""The vocabulary of the policy engine: decisions, modes, tiers, tool kinds, rules, records."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    ASK_USER = "ask_user"


#: Equal tier and priority: the stricter decision wins.
SEVERITY = {Decision.DENY: 2, Decision.ASK_USER: 1, Decision.ALLOW: 0}


class Mode(StrEnum):
    """Approval modes. ``autoEdit`` (Gemini's spelling) and ``auto_edit`` are the same mode."""

    DEFAULT = "default"
    AUTO_EDIT = "auto_edit"
    PLAN = "plan"
    YOLO = "yolo"

    @classmethod
    def parse(cls, text: str) -> Mode:
        key = "auto_edit" if text == "autoEdit" else text
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown approval mode {text!r}; allowed: {MODE_NAMES}") from None


MODE_NAMES = "default, auto_edit (or autoEdit), plan, yolo"


class Tier(IntEnum):
    """Where a rule came from; a higher tier beats any lower one."""

    BUILTIN = 0
    WORKSPACE = 1
    USER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class ToolKind(StrEnum):
    """What a tool can do; the plan-mode boundary is defined on kinds, not names."""

    READ = "read"
    INTERACT = "interact"
    WRITE = "write"  # file writes: inside the plan directory only, in plan mode
    EDIT = "edit"  # cell edits
    EXECUTE = "execute"  # running cells
    SHELL = "shell"
    OTHER = "other"  # unknown tools: treated as able to mutate


#: The kinds of the tools jupyter-plan ships. Unknown tools are OTHER (fail closed).
TOOL_KINDS: dict[str, ToolKind] = {
    **dict.fromkeys(
        [
            "list_cells",
            "read_cells",
            "search_cells",
            "list_variables",
            "inspect_variable",
            "read_file",
            "list_directory",
            "glob",
            "grep_search",
            "activate_skill",
        ],
        ToolKind.READ,
    ),
    **dict.fromkeys(["ask_user", "exit_plan_mode", "update_step"], ToolKind.INTERACT),
    **dict.fromkeys(["write_file", "replace"], ToolKind.WRITE),
    **dict.fromkeys(["insert_cell", "edit_cell", "delete_cell"], ToolKind.EDIT),
    "run_cell": ToolKind.EXECUTE,
    "run_shell_command": ToolKind.SHELL,
}

SHELL_TOOL = "run_shell_command"

#: Kinds that plan mode never lets through unless a rule naming ``plan`` says so.
PLAN_PROTECTED_KINDS = frozenset({ToolKind.EDIT, ToolKind.EXECUTE, ToolKind.SHELL, ToolKind.OTHER})


def canonical_args(args: Mapping[str, Any]) -> str:
    """Arguments as the rules see them: JSON, sorted keys, compact separators (as Gemini)."""
    return json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest_of(canonical: str) -> str:
    """A short digest for audit records: the arguments themselves may be large or private."""
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One ``[[rule]]`` table, validated and compiled."""

    tool_patterns: tuple[str, ...]  # fnmatch-style; "*" when the rule names no tool
    decision: Decision
    priority: int
    tier: Tier
    source: str
    line: int | None
    args_pattern: re.Pattern[str] | None = None
    command_prefixes: tuple[str, ...] = ()
    command_regex: re.Pattern[str] | None = None
    modes: frozenset[Mode] | None = None  # None: every mode
    interactive: bool | None = None
    deny_message: str | None = None
    allow_redirection: bool = False
    subagent: str | None = None
    tool_annotations: Mapping[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    @property
    def names_plan(self) -> bool:
        return self.modes is not None and Mode.PLAN in self.modes

    @property
    def has_arg_conditions(self) -> bool:
        return bool(self.args_pattern or self.command_prefixes or self.command_regex)

    def describe(self) -> str:
        parts = [f"toolName={'|'.join(self.tool_patterns)}"]
        if self.command_prefixes:
            parts.append(f"commandPrefix={'|'.join(self.command_prefixes)}")
        if self.command_regex:
            parts.append(f"commandRegex={self.command_regex.pattern}")
        if self.args_pattern:
            parts.append(f"argsPattern={self.args_pattern.pattern}")
        if self.modes is not None:
            parts.append(f"modes={','.join(sorted(m.value for m in self.modes))}")
        if self.interactive is not None:
            parts.append(f"interactive={str(self.interactive).lower()}")
        parts.append(f"decision={self.decision.value}")
        parts.append(f"priority={self.priority}")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.describe(),
            "source": self.location,
            "tier": self.tier.label,
            "priority": self.priority,
            "decision": self.decision.value,
        }


@dataclass(frozen=True)
class PolicyDecision:
    """The outcome of one tool call: what, why, and which rule (None: a default)."""

    decision: Decision
    tool: str
    mode: Mode
    rule: Rule | None
    reason: str
    parts: tuple[tuple[str, PolicyDecision], ...] = ()  # a chained shell command, per part
    args: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @functools.cached_property
    def args_digest(self) -> str:
        """Computed on demand: most decisions are never audited."""
        return digest_of(canonical_args(self.args))

    def but(self, decision: Decision, reason: str) -> PolicyDecision:
        """The same call and rule with another outcome (headless, redirection)."""
        return dataclasses.replace(self, decision=decision, reason=reason)

    def to_json(self) -> dict[str, Any]:
        """For audit logs and ``--json``: the digest of the arguments, never the arguments."""
        out: dict[str, Any] = {
            "decision": self.decision.value,
            "tool": self.tool,
            "mode": self.mode.value,
            "args_digest": self.args_digest,
            "rule": self.rule.describe() if self.rule else None,
            "source": self.rule.location if self.rule else None,
            "tier": self.rule.tier.label if self.rule else None,
            "reason": self.reason,
        }
        if self.parts:
            out["parts"] = [{"command": cmd, **d.to_json()} for cmd, d in self.parts]
        return out
