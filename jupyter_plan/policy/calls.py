"""One call being decided, and the outcome of one rule walk (shared by the engine and the
shell decision)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import jupyter_plan.policy.matching as matching
from jupyter_plan.policy.types import (
    Decision,
    Mode,
    PolicyDecision,
    Rule,
    Stricter,
    ToolKind,
    canonical_args,
)

if TYPE_CHECKING:
    from jupyter_plan.policy.engine import Candidate, PolicyEngine


class Hit(NamedTuple):
    """What a walk over the rules found: the decision, the rule (None: a default), why.
    (A named tuple: made on every call, it costs a fraction of a frozen dataclass.)"""

    decision: Decision
    rule: Rule | None
    reason: str
    stricter: tuple[Stricter, ...] = ()
    boundary: str | None = None  # the plan-mode boundary changed the outcome: how

    def noting(self, *why: Stricter) -> Hit:
        merged = tuple(dict.fromkeys((*self.stricter, *why)))
        return Hit(self.decision, self.rule, self.reason, merged, self.boundary)


_UNSET: Any = object()
_READ_KINDS = frozenset((ToolKind.READ, ToolKind.INTERACT))
# Gemini's default annotations, shared by every call (read only: never written to).
_READ_ONLY: Mapping[str, Any] = MappingProxyType({"readOnlyHint": True})
_NOT_READ_ONLY: Mapping[str, Any] = MappingProxyType({"readOnlyHint": False})


def default_annotations(kind: ToolKind) -> Mapping[str, Any]:
    """A call's tool annotations when the caller gives none, from its kind."""
    return _READ_ONLY if kind in _READ_KINDS else _NOT_READ_ONLY


class Call:
    """The call: tool, arguments, mode, whether a person is there; its canonical arguments
    and plan-mode boundary are worked out once, on first use (plain slots, not
    ``cached_property``, which takes a lock on every first read)."""

    __slots__ = (
        "_boundary",
        "_canonical",
        "annotations",
        "args",
        "engine",
        "interactive",
        "kind",
        "mode",
        "tool",
    )

    def __init__(
        self,
        engine: PolicyEngine,
        tool: str,
        args: dict[str, Any],
        mode: Mode,
        interactive: bool,
        kind: ToolKind,
        annotations: Mapping[str, Any],
    ) -> None:
        self.engine, self.tool, self.args, self.mode = engine, tool, args, mode
        self.interactive, self.kind, self.annotations = interactive, kind, annotations
        self._boundary: str | None = None if mode is not Mode.PLAN else _UNSET
        self._canonical: str | None = None

    @property
    def boundary(self) -> str | None:
        """Why the call crosses the plan-mode boundary (plan mode only), or None."""
        if self._boundary is _UNSET:
            self._boundary = self.engine.plan_protected(self.tool, self.args, self.kind)
        return self._boundary

    @property
    def canonical(self) -> str:
        if self._canonical is None:
            self._canonical = canonical_args(self.args)
        return self._canonical

    def lookup(self, args: Mapping[str, Any]) -> tuple[str | None, tuple[Candidate, ...]]:
        """The call's MCP server and the rules that may apply, worked out once per tool
        name, mode and presence of a person (unless an agent name or ``_serverName`` could
        change them)."""
        engine, tool = self.engine, self.tool
        if tool != matching.AGENT_TOOL and "_serverName" not in self.annotations:
            key = (tool, self.mode, self.interactive)
            known = engine.by_tool.get(key)
            if known is None:
                server = matching.server_of(tool, None)
                found = engine.candidates(matching.aliases(tool), server, *key[1:])
                known = engine.by_tool[key] = (server, found)
            return known
        server = matching.server_of(tool, self.annotations)
        names = matching.aliases(tool, args)
        return server, engine.candidates(names, server, self.mode, self.interactive)

    def canonical_of(self, args: Mapping[str, Any]) -> str:
        return self.canonical if args is self.args else canonical_args(args)

    @property
    def default(self) -> Decision:
        """No rule: allow in yolo (as Gemini CLI), ask with a person there, else deny."""
        if self.mode is Mode.YOLO:
            return Decision.ALLOW
        return Decision.ASK_USER if self.interactive else Decision.DENY

    def record(
        self, hit: Hit, parts: tuple[tuple[str, PolicyDecision], ...] = ()
    ) -> PolicyDecision:
        return PolicyDecision.quick(
            hit.decision,
            self.tool,
            self.mode,
            hit.rule,
            hit.reason,
            parts,
            self.args,
            hit.stricter,
            hit.boundary,
        )


def unattended(result: PolicyDecision) -> PolicyDecision:
    """A decision with no person to ask: ask_user becomes deny."""
    if result.decision is not Decision.ASK_USER:
        return result
    return result.but(Decision.DENY, f"{result.reason} (no person to ask: denied)")
