"""Decide every tool call: allow, deny or ask the person, as Gemini CLI would, or stricter.

Precedence is defined once, in :func:`precedence`: a higher tier beats any lower tier;
within a tier the higher priority wins (Gemini: ``tier + priority/1000``); at equal
priority deny > ask_user > allow (Gemini takes the first loaded). No rule: ask_user when a
person can answer, deny when headless, allow in yolo (as Gemini).

Rules match as in Gemini CLI (:mod:`matching`, canonical arguments, shell commands split
as it splits them, :mod:`shell_decision`). Where jupyter-plan is deliberately stricter,
the decision says so (``stricter``; docs/policy.md, "Differences from Gemini CLI"):

- plan mode is a boundary (:meth:`PolicyEngine.plan_protected`): a call that could change
  anything outside the plan directory may be allowed or asked only by a workspace, user or
  admin rule that names ``plan`` in its ``modes``. Any other rule can still tighten it (an
  ask or a deny keeps its force) but never open it;
- a rule matched only through a wildcard Gemini does not have (``read_*``) is tighten-only.

jupyter-plan's own configuration (the project's settings file, policies and skills, the
user and admin folders) is never written by a tool, in any mode, whatever the rules say
(:meth:`PolicyEngine.config_protected`): an agent that could edit the policies could grant
itself the next run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jupyter_plan.policy.matching as matching
from jupyter_plan.policy.build_files import edited_path, is_build_file, is_file_edit_tool
from jupyter_plan.policy.calls import Call, Hit, default_annotations, unattended
from jupyter_plan.policy.checkers import SafetyChecker
from jupyter_plan.policy.paths import PathEscapeError, confine, real_path
from jupyter_plan.policy.routes import Route, route_for
from jupyter_plan.policy.shell_decision import decide_shell
from jupyter_plan.policy.types import (
    MODES_BY_NAME,
    PLAN_PROTECTED_KINDS,
    SEVERITY,
    SHELL_TOOL,
    TOOL_KINDS,
    Decision,
    Mode,
    PolicyDecision,
    Rule,
    Stricter,
    Tier,
    ToolKind,
)

Auditor = Callable[[PolicyDecision], None]
_UNROUTED: Any = object()
PATH_ARGS = ("file_path", "path", "dir_path", "notebook_path")
#: The rule, whether Gemini CLI would match its name too, and which conditions on the call
#: it has to test: none, only argument patterns, or others (mcpName, toolAnnotations) too.
Candidate = tuple[Rule, bool, int]
NO_CONDITIONS, ARGS_ONLY, OTHER_CONDITIONS = 0, 1, 2


def precedence(rule: Rule) -> tuple[int, int, int, int]:
    """Sort key: the first matching rule in ascending order of this key decides."""
    return (-int(rule.tier), -rule.priority, -SEVERITY[rule.decision], rule.order)


def may_open_plan_boundary(rule: Rule) -> bool:
    """For a plan-protected call: deny is always allowed to decide; allow or ask_user only
    from a workspace, user or admin rule that names ``plan`` in ``modes``."""
    return rule.decision is Decision.DENY or (rule.tier is not Tier.BUILTIN and rule.names_plan)


class PolicyEngine:
    """Holds compiled rules; :meth:`decide` is the only entry point."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        plan_dir: str | os.PathLike[str] | None = None,
        audit: Auditor | None = None,
        config_paths: Iterable[str | os.PathLike[str]] = (),
        workspace_root: str | os.PathLike[str] | None = None,
        checkers: Iterable[SafetyChecker] = (),
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(sorted(rules, key=precedence))
        self.checkers = tuple(sorted(checkers, key=lambda c: -c.match.priority))
        self.plan_dir = Path(plan_dir) if plan_dir is not None else None
        self.config_paths = tuple(os.path.realpath(d) for d in config_paths)
        self.workspace_root = Path(workspace_root) if workspace_root is not None else None
        self.audit = audit
        self.subagent: tuple[str, ...] = ()  # a sub-agent's names: its rules apply (for_subagent)
        self.forget()

    def forget(self) -> None:
        """Drop what was worked out per tool (after ``subagent`` changes)."""
        self._cache: dict[tuple[tuple[str, ...], str | None, Mode, bool], tuple[Candidate, ...]]
        self._cache = {}
        self.by_tool: dict[tuple[str, Mode, bool], tuple[str | None, tuple[Candidate, ...]]] = {}
        self.routes: dict[tuple[str, Mode | str, bool, ToolKind | None], Route | None] = {}

    # -- candidates -----------------------------------------------------------------

    def candidates(
        self, names: tuple[str, ...], server: str | None, mode: Mode, interactive: bool
    ) -> tuple[Candidate, ...]:
        """Rules that can apply to a tool in this mode, in precedence order (cached)."""
        key = (names, server, mode, interactive)
        hit = self._cache.get(key)
        if hit is None:
            found = []
            for rule in self.rules:
                if matching.applies(rule, mode, interactive, self.subagent):
                    native = matching.name_match(rule, names, server)
                    if native is not None:
                        found.append((rule, native, _conditions(rule)))
            hit = self._cache[key] = tuple(found)
        return hit

    # -- the plan-mode boundary and the configuration guard ---------------------------

    def plan_protected(self, tool: str, args: Mapping[str, Any], kind: ToolKind) -> str | None:
        """Why this call is outside what plan mode may do, or None if it is inside."""
        if kind in PLAN_PROTECTED_KINDS:
            what = {
                ToolKind.EDIT: "edit cells",
                ToolKind.EXECUTE: "run cells",
                ToolKind.SHELL: "run shell commands",
            }.get(kind, f"use the unclassified tool {tool!r}")
            return f"Plan mode is read-only: it may not {what}. Approve the plan, then %build."
        if kind is ToolKind.WRITE:
            paths = [args[k] for k in PATH_ARGS if isinstance(args.get(k), str)]
            if not paths:
                return "Plan mode writes only inside the plan directory; no path was given."
            if self.plan_dir is None:
                return "Plan mode writes only inside the plan directory, and none is set."
            for p in paths:
                try:
                    confine(p, self.plan_dir)
                except PathEscapeError as exc:
                    return f"Plan mode writes only inside the plan directory: {exc}"
        return None

    def config_protected(self, args: Mapping[str, Any], kind: ToolKind) -> str | None:
        """Why this call would write jupyter-plan's own configuration, or None."""
        if kind is not ToolKind.WRITE or not self.config_paths:
            return None
        base = os.fspath(self.workspace_root or Path.cwd())
        for p in (args[k] for k in PATH_ARGS if isinstance(args.get(k), str)):
            real = real_path(p, base)
            if real is None:  # a NUL byte, a lone surrogate: refused, never a crash
                return f"refused path {p!r}: it is not a valid file name"
            for folder in self.config_paths:  # a plan.directory set in there is guarded too
                if _under(real, folder):
                    return (
                        f"{p!r} is inside jupyter-plan's configuration ({folder}): settings, "
                        "policies and skills are edited by people, never by a tool."
                    )
        return None

    # -- deciding ---------------------------------------------------------------------

    def decide(
        self,
        tool: str,
        args: Mapping[str, Any] | None = None,
        mode: Mode | str = Mode.DEFAULT,
        *,
        interactive: bool = True,
        kind: ToolKind | None = None,
        annotations: Mapping[str, Any] | None = None,
    ) -> PolicyDecision:
        """Decide one call. Headless (``interactive=False``), ask_user becomes deny."""
        if annotations is None:  # the fast path (routes.py), for most calls
            key = (tool, mode, interactive, kind)
            route: Route | None = self.routes.get(key, _UNROUTED)
            if route is _UNROUTED:
                route = route_for(self, key)
            if route is not None:
                made = route.decide(dict(args) if args else {})
                if made is not None:
                    if self.audit is not None:
                        self.audit(made)
                    return made
        kind = kind or TOOL_KINDS.get(tool, ToolKind.OTHER)
        mode = MODES_BY_NAME.get(mode) or Mode.parse(mode)
        args = dict(args) if args else {}
        if annotations is None:
            annotations = default_annotations(kind)
        call = Call(self, tool, args, mode, interactive, kind, annotations)
        guarded = kind is ToolKind.WRITE and self.config_protected(args, kind)
        if guarded:
            result = call.record(Hit(Decision.DENY, None, guarded))
        elif tool == SHELL_TOOL:
            result = decide_shell(call)
        else:
            hit = self.walk(call, args)
            if self.checkers or (hit.decision is Decision.ALLOW and is_file_edit_tool(tool)):
                result = self._after_rules(call, hit)
            else:  # nothing after the rules can change this decision
                result = call.record(hit)
        if not interactive:
            result = unattended(result)
        if self.audit is not None:
            self.audit(result)
        return result

    def walk(self, call: Call, args: Mapping[str, Any]) -> Hit:
        """The first rule in precedence order whose conditions all hold, or the default.

        Tighten-only rules (a wildcard Gemini lacks; at the plan boundary, one that may not
        open it) never decide by themselves: a deny among them denies, an ask among them
        turns a later allow into ask.
        """
        boundary = call.boundary
        server, found = call.lookup(args)
        canonical: str | None = None  # built only if a rule has an argument pattern
        floor: tuple[Rule, bool] | None = None  # an ask passed over, and if at the boundary
        gemini_pick: Rule | None = None
        for index, (rule, native, conditional) in enumerate(found):
            if conditional:
                if rule.args_patterns and canonical is None:
                    canonical = call.canonical_of(args)
                if conditional == ARGS_ONLY:  # matching.conditions_hold, inlined
                    assert canonical is not None
                    for pattern in rule.args_patterns:
                        if pattern.search(canonical):
                            break
                    else:
                        continue
                elif not matching.conditions_hold(rule, server, call.annotations, canonical):
                    continue
            if native and gemini_pick is None:
                gemini_pick = rule
            at_boundary = bool(boundary) and not may_open_plan_boundary(rule)
            if at_boundary or not native:
                if rule.decision is Decision.DENY:  # only a wider wildcard: deny may decide
                    return Hit(Decision.DENY, rule, rule.reason, (Stricter.WILDCARDS,))
                if rule.decision is Decision.ASK_USER and floor is None:
                    floor = (rule, at_boundary)
                continue
            stricter: tuple[Stricter, ...] = ()
            nxt = found[index + 1][0] if index + 1 < len(found) else None
            if nxt is not None and nxt.priority == rule.priority and nxt.tier is rule.tier:
                stricter = self._equal_priority(found, index, rule, server, call, args, canonical)
            why = boundary if boundary and rule.tier is Tier.BUILTIN else rule.reason
            hit = Hit(rule.decision, rule, why, stricter)
            if floor is not None and rule.decision is Decision.ALLOW:
                hit = _raised(floor, rule)
            return _noted(hit, call, gemini_pick)
        if boundary:
            return _noted(Hit(Decision.DENY, None, boundary), call, gemini_pick)
        default = call.default
        if floor is not None and default is Decision.ALLOW:
            return _raised(floor, None)
        return Hit(default, None, "no rule matches this call")

    def _equal_priority(
        self,
        found: Sequence[Candidate],
        index: int,
        rule: Rule,
        server: str | None,
        call: Call,
        args: Mapping[str, Any],
        canonical: str | None,
    ) -> tuple[Stricter, ...]:
        """Gemini takes the first loaded of equal-priority rules; we take the strictest."""
        for other, native, _ in found[index + 1 :]:
            if other.tier is not rule.tier or other.priority != rule.priority:
                break
            if other.args_patterns and canonical is None:
                canonical = call.canonical_of(args)
            if (
                native
                and other.order < rule.order
                and other.decision is not rule.decision
                and matching.conditions_hold(other, server, call.annotations, canonical)
            ):
                return (Stricter.EQUAL_PRIORITY,)
        return ()

    def _after_rules(self, call: Call, hit: Hit) -> PolicyDecision:
        """Gemini's checks after the rules: build files ask; safety checkers may tighten."""
        if hit.decision is Decision.ALLOW and is_file_edit_tool(call.tool):
            target = edited_path(call.args)
            if target is not None and is_build_file(target, self.workspace_root):
                why = "modifying build configuration files requires explicit user confirmation"
                hit = Hit(Decision.ASK_USER if call.interactive else Decision.DENY, None, why)
        if hit.decision is not Decision.DENY and self.checkers:
            hit = self._run_checkers(call, hit)
        return call.record(hit)

    def _run_checkers(self, call: Call, hit: Hit) -> Hit:
        server = matching.server_of(call.tool, call.annotations)
        names = matching.aliases(call.tool, call.args)
        workspace = os.fspath(self.workspace_root or Path.cwd())
        for checker in self.checkers:
            rule = checker.match
            if not matching.applies(rule, call.mode, call.interactive, self.subagent):
                continue
            if not matching.name_match(rule, names, server):
                continue
            canonical = call.canonical_of(call.args) if rule.args_patterns else None
            if not matching.conditions_hold(rule, server, call.annotations, canonical):
                continue
            decision, why = checker.run(call.args, workspace)
            if decision is Decision.DENY:
                return Hit(Decision.DENY, hit.rule, why, hit.stricter)
            if decision is Decision.ASK_USER:
                hit = Hit(Decision.ASK_USER, hit.rule, why, hit.stricter)
        return hit

    # -- what the model is shown ------------------------------------------------------

    def denies_outright(
        self, tool: str, mode: Mode | str, *, interactive: bool = True, kind: ToolKind | None = None
    ) -> bool:
        """True when every call of ``tool`` is denied in this mode, whatever its arguments.

        Such tools are hidden from the model: it cannot waste turns on them.
        """
        mode = mode if isinstance(mode, Mode) else Mode.parse(mode)
        kind = kind or TOOL_KINDS.get(tool, ToolKind.OTHER)
        boundary = mode is Mode.PLAN and kind in PLAN_PROTECTED_KINDS
        server = matching.server_of(tool, None)
        for rule, native, _ in self.candidates(matching.aliases(tool), server, mode, interactive):
            tighten_only = not native or (boundary and not may_open_plan_boundary(rule))
            if rule.has_arg_conditions or rule.tool_annotations or rule.mcp_name:
                if rule.decision is Decision.DENY or tighten_only:
                    continue  # applies to some calls only
                return False
            if tighten_only:
                if rule.decision is Decision.DENY:
                    return True
                continue
            if rule.decision is Decision.ASK_USER:
                return not interactive
            return rule.decision is Decision.DENY
        return boundary or (not interactive and mode is not Mode.YOLO)

    def visible_tools(
        self, tools: Sequence[str], mode: Mode | str, *, interactive: bool = True
    ) -> list[str]:
        return [t for t in tools if not self.denies_outright(t, mode, interactive=interactive)]


def _raised(floor: tuple[Rule, bool], allowed_by: Rule | None) -> Hit:
    """An allow made ask by a tighten-only ask rule ranked above it. At the plan boundary
    Gemini CLI takes that ask rule too; a wider-wildcard one it would not have matched."""
    rule, at_boundary = floor
    by = f" (not the allow of {allowed_by.location})" if allowed_by else ""
    return Hit(
        Decision.ASK_USER, rule, rule.reason + by, () if at_boundary else (Stricter.WILDCARDS,)
    )


def _noted(hit: Hit, call: Call, gemini_pick: Rule | None) -> Hit:
    """At the plan boundary, say when the boundary changed the outcome, and what it passed
    over (Gemini CLI would have taken ``gemini_pick``, or its default)."""
    if not call.boundary or (gemini_pick is not None and gemini_pick is hit.rule):
        return hit
    gemini = gemini_pick.decision if gemini_pick is not None else call.default
    if SEVERITY[gemini] >= SEVERITY[hit.decision]:
        return hit
    if gemini_pick is not None:
        note = (
            f"the plan-mode boundary changed the outcome: {gemini_pick.tier.label} rule at "
            f"{gemini_pick.location} ({gemini_pick.decision.value}) does not name plan in its "
            "modes, so it may not open plan mode"
        )
    else:
        note = (
            "the plan-mode boundary changed the outcome: no rule opens plan mode "
            f"({gemini.value} otherwise)"
        )
    stricter = tuple(dict.fromkeys((*hit.stricter, Stricter.PLAN_BOUNDARY)))
    return Hit(hit.decision, hit.rule, hit.reason, stricter, note)


def _conditions(rule: Rule) -> int:
    if rule.mcp_name is not None or rule.tool_annotations:
        return OTHER_CONDITIONS
    return ARGS_ONLY if rule.args_patterns else NO_CONDITIONS


def _under(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False
