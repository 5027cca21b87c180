"""The engine's fast path: what deciding one tool in one mode needs, worked out once.

For most calls (the notebook's read, edit and run tools) everything the rule walk looks at
is fixed by the tool's name and kind, the mode and whether a person is there: which rules
can apply, in what order, the plan-mode boundary, the default. The arguments matter only
through the argument patterns of those rules. A :class:`Route` holds that fixed part; a call
then costs its canonical arguments, one search per pattern, and a table lookup by the set of
patterns that matched. The first call with a new set walks the rules as usual
(:meth:`PolicyEngine.walk`, the one definition of precedence) and the outcome is kept.

Calls whose arguments can change more than that take the full path: shell commands
(:mod:`shell_decision`), file writes (paths: the plan boundary, the configuration guard),
``invoke_agent`` (its name is an argument), explicit annotations, and engines with safety
checkers. So does an allow of a file-edit tool that names a build file (Gemini asks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jupyter_plan.policy.matching as matching
from jupyter_plan.policy.build_files import edited_path, is_build_file, is_file_edit_tool
from jupyter_plan.policy.calls import Call, default_annotations, unattended
from jupyter_plan.policy.types import (
    MODES_BY_NAME,
    SHELL_TOOL,
    TOOL_KINDS,
    Decision,
    Mode,
    PolicyDecision,
    ToolKind,
    canonical_args,
)

if TYPE_CHECKING:
    from jupyter_plan.policy.engine import PolicyEngine

#: Outcomes kept per route: one per set of matching patterns, so a handful in practice.
MAX_OUTCOMES = 256
MAX_ROUTES = 1024  # tool names a model made up get no route beyond this: never unbounded
#: decide's (tool, mode as given, interactive, kind as given).
RouteKey = tuple[str, "Mode | str", bool, "ToolKind | None"]
_new = object.__new__


class Route:
    """One (tool, mode, person there, kind): its argument patterns and known outcomes."""

    __slots__ = (
        "annotations",
        "engine",
        "file_edit",
        "interactive",
        "kind",
        "mode",
        "outcomes",
        "patterns",
        "tool",
    )

    def __init__(
        self,
        engine: PolicyEngine,
        tool: str,
        mode: Mode,
        interactive: bool,
        kind: ToolKind,
        annotations: Mapping[str, Any],
    ) -> None:
        self.engine, self.tool, self.mode, self.interactive = engine, tool, mode, interactive
        self.kind, self.annotations = kind, annotations
        self.file_edit = is_file_edit_tool(tool)
        probe = Call(engine, tool, {}, mode, interactive, kind, annotations)
        _, found = probe.lookup(probe.args)
        #: (bit, patterns) of each rule that may apply and tests the arguments.
        self.patterns = tuple(
            (1 << i, rule.args_patterns)
            for i, rule in enumerate(dict.fromkeys(r for r, _, _ in found if r.args_patterns))
        )
        #: matched bits -> the decision's fields (all but ``args``).
        self.outcomes: dict[int, dict[str, Any]] = {}

    def decide(self, args: dict[str, Any]) -> PolicyDecision | None:
        """The decision, or None when this call needs the full path."""
        key = 0
        canonical = None
        if self.patterns:
            canonical = canonical_args(args)
            for bit, patterns in self.patterns:
                for pattern in patterns:
                    if pattern.search(canonical):
                        key |= bit
                        break
        fields = self.outcomes.get(key)
        if fields is None:
            fields = self._outcome(args, canonical)
            if len(self.outcomes) < MAX_OUTCOMES:
                self.outcomes[key] = fields
        if fields["decision"] is Decision.ALLOW and self.file_edit:
            target = edited_path(args)
            if target is not None and is_build_file(target, self.engine.workspace_root):
                return None  # Gemini asks before a build file is edited: the full path says so
        made = _new(PolicyDecision)
        made.__dict__.update(fields)
        made.__dict__["args"] = args
        return made

    def _outcome(self, args: dict[str, Any], canonical: str | None) -> dict[str, Any]:
        """The full rule walk, for a set of matching patterns not seen before."""
        call = Call(
            self.engine, self.tool, args, self.mode, self.interactive, self.kind, self.annotations
        )
        call._canonical = canonical
        made = call.record(self.engine.walk(call, args))
        if not self.interactive:
            made = unattended(made)
        return {k: v for k, v in vars(made).items() if k != "args"}


def route_for(engine: PolicyEngine, key: RouteKey) -> Route | None:
    """The route for ``decide``'s (tool, mode, interactive, kind), kept in ``engine.routes``;
    None when the arguments can change more than which patterns match (see the module doc),
    or when ``mode`` is not a mode (the full path says so)."""
    tool, given_mode, interactive, given_kind = key
    mode = MODES_BY_NAME.get(given_mode)
    if mode is None:
        return None
    kind = given_kind or TOOL_KINDS.get(tool, ToolKind.OTHER)
    route = None
    if not (tool in (SHELL_TOOL, matching.AGENT_TOOL) or kind is ToolKind.WRITE or engine.checkers):
        route = Route(engine, tool, mode, interactive, kind, default_annotations(kind))
    if len(engine.routes) < MAX_ROUTES:
        engine.routes[key] = route
    return route
