"""The vocabulary of the policy engine: decisions, modes, tiers, tool kinds, rules, records."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, StrEnum
from json.encoder import encode_basestring
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
#: Every spelling of a mode (a ``Mode`` is a ``str``: it finds itself here too).
MODES_BY_NAME: dict[str, Mode] = {**{m.value: m for m in Mode}, "autoEdit": Mode.AUTO_EDIT}


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
    r"""Arguments as the rules see them, byte for byte what Gemini CLI's ``stableStringify``
    makes: JSON with keys sorted (by UTF-16 code units, as JavaScript sorts), compact, numbers
    and escapes written as JavaScript writes them, and each top-level ``"key":value`` framed
    by NUL characters (``{\0"a":1\0,\0"b":2\0}``), so a pattern can anchor on one argument
    (``\x00"file_path":"[^"]*\.md"\x00``) and a value can never forge a frame (a NUL inside a
    value is escaped as ``\u0000``)."""
    try:  # the usual case, on a hot path: ASCII string keys (join refuses any other key)
        usual = "".join(args).isascii()
    except TypeError:
        usual = False
    if usual:
        pairs = []
        for key in sorted(args):  # ASCII: code points sort as UTF-16 units do
            value = args[key]
            if type(value) is str:
                out = encode_basestring(value)  # _js_string, inlined
                if not out.isascii() and _SURROGATE.search(out):
                    out = _js_string(value)
                pairs.append(f"\0{encode_basestring(key)}:{out}\0")
            elif not callable(value):
                pairs.append(f"\0{encode_basestring(key)}:{_js_value(value)}\0")
        return "{" + ",".join(pairs) + "}"
    pairs = [f"\0{_js_string(str(k))}:{_js_value(v)}\0" for k, v in _js_items(args)]
    return "{" + ",".join(pairs) + "}"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _js_string(text: str) -> str:
    out = encode_basestring(text)  # what json.dumps(text, ensure_ascii=False) returns, in C
    # JSON.stringify escapes lone surrogates (ES2019); ASCII text has none.
    if not out.isascii() and _SURROGATE.search(out):
        out = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)
    return out


def _js_items(obj: Mapping[str, Any]) -> list[tuple[str, Any]]:
    items = [(k, v) for k, v in obj.items() if not callable(v)]
    if all(isinstance(k, str) and k.isascii() for k, _ in items):
        return sorted(items, key=lambda kv: kv[0])
    return sorted(items, key=lambda kv: str(kv[0]).encode("utf-16-be", "surrogatepass"))


def _js_value(value: Any) -> str:
    if isinstance(value, str):
        return _js_string(value)
    if value is None or value is True or value is False:
        return "null" if value is None else ("true" if value else "false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number(value)
    if isinstance(value, Mapping):
        body = ",".join(f"{_js_string(str(k))}:{_js_value(v)}" for k, v in _js_items(value))
        return "{" + body + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_js_value(v) for v in value) + "]"
    return _js_string(str(value))  # not JSON: its text, as the tools would see it


def _js_number(x: float) -> str:
    """``JSON.stringify`` of a number (ECMAScript Number::toString): ``1.0`` is ``1``,
    ``1e-07`` is ``1e-7``, ``1e21`` is ``1e+21``; NaN and infinities are ``null``."""
    if x != x or x in (math.inf, -math.inf):
        return "null"
    if x == 0:
        return "0"
    _, digits_t, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digits_t))
    stripped = digits.rstrip("0")
    exponent = int(exponent) + len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = exponent + k  # the value is 0.<digits> x 10^n
    out: str
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        out = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        out = f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
    return ("-" if x < 0 else "") + out


def digest_of(canonical: str) -> str:
    """A short digest for audit records: the arguments themselves may be large or private."""
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Stricter(StrEnum):
    """Where a decision here is deliberately stricter than Gemini CLI's for the same rules.

    Each id is a row of the "Differences from Gemini CLI" table in docs/policy.md; a decision
    lists the ones that made it stricter (the audit log shows them), and the differential
    test against Gemini's engine accepts a disagreement only when such an id explains it.
    """

    PLAN_BOUNDARY = "plan-boundary"
    PLAN_REDIRECTION = "plan-redirection"
    EQUAL_PRIORITY = "equal-priority"
    WILDCARDS = "wildcards"
    SHELL_WRAPPERS = "shell-wrappers"
    SHELL_PARSER = "shell-parser"
    YOLO_CHAINS = "yolo-chains"
    NO_COMMAND = "no-command"


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One ``[[rule]]`` table, validated and compiled.

    ``commandPrefix`` and ``commandRegex`` are compiled, as Gemini CLI compiles them, into
    patterns searched in the canonical arguments (``args_patterns``; any one must match).
    """

    tool_patterns: tuple[str, ...]  # as written ("*" when the rule names no tool)
    decision: Decision
    priority: int
    tier: Tier
    source: str
    line: int | None
    args_patterns: tuple[re.Pattern[str], ...] = ()
    args_text: str | None = None  # argsPattern as written
    command_prefixes: tuple[str, ...] = ()
    command_regex: str | None = None  # as written
    mcp_name: str | None = None
    modes: frozenset[Mode] | None = None  # None: every mode
    interactive: bool | None = None
    deny_message: str | None = None
    allow_redirection: bool = False
    subagent: str | None = None
    tool_annotations: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None
    order: int = 0  # position in load order: Gemini CLI's tie-break at equal priority
    #: What a decision by this rule says; made once here, not on every decision.
    reason: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.decision is Decision.DENY and self.deny_message:
            reason = self.deny_message
        else:
            label = f" {self.name!r}" if self.name else ""
            reason = f"{self.decision.value} by {self.tier.label} rule{label} at {self.location}"
        object.__setattr__(self, "reason", reason)

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    @property
    def names_plan(self) -> bool:
        return self.modes is not None and Mode.PLAN in self.modes

    @property
    def has_arg_conditions(self) -> bool:
        return bool(self.args_patterns)

    def describe(self) -> str:
        parts = [f"toolName={'|'.join(self.tool_patterns)}"]
        if self.mcp_name:
            parts.append(f"mcpName={self.mcp_name}")
        if self.command_prefixes:
            parts.append(f"commandPrefix={'|'.join(self.command_prefixes)}")
        if self.command_regex:
            parts.append(f"commandRegex={self.command_regex}")
        if self.args_text:
            parts.append(f"argsPattern={self.args_text}")
        if self.modes is not None:
            parts.append(f"modes={','.join(sorted(m.value for m in self.modes))}")
        if self.interactive is not None:
            parts.append(f"interactive={str(self.interactive).lower()}")
        parts.append(f"decision={self.decision.value}")
        parts.append(f"priority={self.priority}")
        return (f"{self.name!r}: " if self.name else "") + " ".join(parts)

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
    #: Deliberate differences that made this stricter than Gemini CLI's decision.
    stricter: tuple[Stricter, ...] = ()
    #: Set when the plan-mode boundary changed the outcome: what would have decided otherwise.
    boundary: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @functools.cached_property
    def args_digest(self) -> str:
        """Computed on demand: most decisions are never audited."""
        return digest_of(canonical_args(self.args))

    @classmethod
    def quick(
        cls,
        decision: Decision,
        tool: str,
        mode: Mode,
        rule: Rule | None,
        reason: str,
        parts: tuple[tuple[str, PolicyDecision], ...],
        args: Mapping[str, Any],
        stricter: tuple[Stricter, ...],
        boundary: str | None,
    ) -> PolicyDecision:
        """The same object the constructor makes, for the engine's hot path: a frozen
        dataclass's ``__init__`` spends a microsecond on nine ``object.__setattr__``."""
        made = object.__new__(cls)
        made.__dict__.update(
            decision=decision,
            tool=tool,
            mode=mode,
            rule=rule,
            reason=reason,
            parts=parts,
            args=args,
            stricter=stricter,
            boundary=boundary,
        )
        return made

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
        if self.boundary:
            out["plan_boundary"] = self.boundary
        if self.stricter:
            out["stricter_than_gemini"] = [s.value for s in self.stricter]
        if self.parts:
            out["parts"] = [{"command": cmd, **d.to_json()} for cmd, d in self.parts]
        return out
