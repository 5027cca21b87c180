"""Decide every tool call: allow, deny or ask the person.

Precedence is defined once, in :func:`precedence`: a higher tier beats any lower tier;
within a tier the higher priority wins; at equal priority deny > ask_user > allow.
No rule: ask_user when a person can answer, deny when headless.

Plan mode is a boundary (:meth:`PolicyEngine.plan_protected`): a call that could change
anything outside the plan directory may be allowed or asked only by a workspace, user or
admin rule that names ``plan`` in its ``modes``. Any other rule can only deny it.

jupyter-plan's own configuration (the project's settings file, policies and skills, the
user and admin folders) is never written by a tool, in any mode, whatever the rules say
(:meth:`PolicyEngine.config_protected`): an agent that could edit the policies could grant
itself the next run.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_plan.policy.paths import PathEscapeError, confine
from jupyter_plan.policy.shell import split_command
from jupyter_plan.policy.types import (
    PLAN_PROTECTED_KINDS,
    SEVERITY,
    SHELL_TOOL,
    TOOL_KINDS,
    Decision,
    Mode,
    PolicyDecision,
    Rule,
    Tier,
    ToolKind,
    canonical_args,
)

Auditor = Callable[[PolicyDecision], None]
PATH_ARGS = ("file_path", "path", "dir_path", "notebook_path")


def precedence(rule: Rule) -> tuple[int, int, int]:
    """Sort key: the first matching rule in ascending order of this key decides."""
    return (-int(rule.tier), -rule.priority, -SEVERITY[rule.decision])


def may_open_plan_boundary(rule: Rule) -> bool:
    """For a plan-protected call: deny is always allowed to decide; allow or ask_user only
    from a workspace, user or admin rule that names ``plan`` in ``modes``."""
    return rule.decision is Decision.DENY or (rule.tier is not Tier.BUILTIN and rule.names_plan)


class PolicyEngine:
    """Holds compiled rules, indexed by tool name; :meth:`decide` is the only entry point."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        plan_dir: str | os.PathLike[str] | None = None,
        audit: Auditor | None = None,
        config_paths: Iterable[str | os.PathLike[str]] = (),
        workspace_root: str | os.PathLike[str] | None = None,
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(sorted(rules, key=precedence))
        self.plan_dir = Path(plan_dir) if plan_dir is not None else None
        self.config_paths = tuple(os.path.realpath(d) for d in config_paths)
        self.workspace_root = Path(workspace_root) if workspace_root is not None else None
        self.audit = audit
        self._exact: dict[str, list[Rule]] = {}
        self._wild: list[tuple[re.Pattern[str], Rule]] = []
        for rule in self.rules:
            for pattern in rule.tool_patterns:
                if any(ch in pattern for ch in "*?["):
                    self._wild.append((re.compile(fnmatch.translate(pattern)), rule))
                else:
                    self._exact.setdefault(pattern, []).append(rule)
        self._cache: dict[tuple[str, Mode, bool], tuple[Rule, ...]] = {}

    # -- candidates -----------------------------------------------------------------

    def candidates(self, tool: str, mode: Mode, interactive: bool) -> tuple[Rule, ...]:
        """Rules that can apply to ``tool`` in this mode, in precedence order (cached)."""
        key = (tool, mode, interactive)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        seen: set[int] = set()
        found: list[Rule] = []
        for rule in self._exact.get(tool, ()):
            seen.add(id(rule))
            found.append(rule)
        for regex, rule in self._wild:
            if id(rule) not in seen and regex.match(tool):
                seen.add(id(rule))
                found.append(rule)
        result = tuple(
            r
            for r in sorted(found, key=precedence)
            if (r.modes is None or mode in r.modes)
            and (r.interactive is None or r.interactive == interactive)
            and r.subagent is None  # jupyter-plan has no subagents: such rules never apply
        )
        self._cache[key] = result
        return result

    # -- the plan-mode boundary -------------------------------------------------------

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
            real = os.path.realpath(os.path.join(base, p))  # absolute p: join returns p
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
        kind = kind or TOOL_KINDS.get(tool, ToolKind.OTHER)
        call = _Call(
            tool,
            dict(args or {}),
            mode if isinstance(mode, Mode) else Mode.parse(mode),
            interactive,
            kind,
            annotations or {"readOnlyHint": kind in (ToolKind.READ, ToolKind.INTERACT)},
        )
        result = self._decide_shell(call) if tool == SHELL_TOOL else self._decide_one(call)
        if not interactive and result.decision is Decision.ASK_USER:
            result = result.but(Decision.DENY, f"{result.reason} (no person to ask: denied)")
        if self.audit is not None:
            self.audit(result)
        return result

    def _decide_one(self, call: _Call, command: str | None = None) -> PolicyDecision:
        """The first rule in precedence order whose conditions all hold decides."""
        guarded = self.config_protected(call.args, call.kind)
        if guarded:
            return call.record(Decision.DENY, None, guarded)
        boundary = self.plan_protected(call.tool, call.args, call.kind) if call.plan else None
        for rule in self.candidates(call.tool, call.mode, call.interactive):
            if boundary and not may_open_plan_boundary(rule):
                continue
            if rule.args_pattern is not None and not rule.args_pattern.search(call.canonical):
                continue
            if (rule.command_prefixes or rule.command_regex) and not _command_matches(
                rule, command
            ):
                continue
            if rule.tool_annotations and any(
                call.annotations.get(k) != v for k, v in rule.tool_annotations.items()
            ):
                continue
            # A built-in deny at the boundary says *why* (e.g. both paths of an escape).
            why = boundary if boundary and rule.tier is Tier.BUILTIN else _reason(rule)
            return call.record(rule.decision, rule, why)
        if boundary:
            return call.record(Decision.DENY, None, boundary)
        default = Decision.ASK_USER if call.interactive else Decision.DENY
        return call.record(default, None, "no rule matches this call")

    def _decide_shell(self, call: _Call) -> PolicyDecision:
        command = call.args.get("command")
        if not isinstance(command, str):
            return call.record(Decision.DENY, None, "no 'command' given")
        split = split_command(command)
        if split.error is not None:
            # Checked first so a plan-mode or explicit deny still wins over "can't parse".
            whole = self._decide_one(call)
            if whole.decision is Decision.DENY:
                return whole
            return call.record(Decision.ASK_USER, None, f"{split.error}; asking")
        parts: list[tuple[str, PolicyDecision]] = []
        if split.compound:
            # A deny rule whose argsPattern matches the whole chained text still denies it
            # (e.g. a pattern spanning two parts); other rules are decided part by part.
            for rule in self.candidates(SHELL_TOOL, call.mode, call.interactive):
                if (
                    rule.decision is Decision.DENY
                    and rule.args_pattern is not None
                    and not (rule.command_prefixes or rule.command_regex)
                    and rule.args_pattern.search(call.canonical)
                ):
                    parts.append((command, call.record(Decision.DENY, rule, _reason(rule))))
                    break
        for part in split.parts:
            d = self._decide_one(call.with_command(part.text), part.text)
            redirect_ok = d.rule is not None and d.rule.allow_redirection
            if d.decision is Decision.ALLOW and part.redirects_output and not redirect_ok:
                if call.plan:  # a write outside the plan directory: not even asked
                    d = d.but(Decision.DENY, "plan mode is read-only: no output redirection")
                else:
                    d = d.but(Decision.ASK_USER, "output redirection needs approval")
            parts.append((part.text, d))
        worst_command, worst = max(parts, key=lambda p: SEVERITY[p[1].decision])
        if not split.compound:
            return call.record(worst.decision, worst.rule, worst.reason)
        reason = worst.reason
        if worst.decision is not Decision.ALLOW:
            reason = f"part {worst_command!r}: {worst.reason}"
        return call.record(worst.decision, worst.rule, reason, tuple(parts))

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
        for rule in self.candidates(tool, mode, interactive):
            if boundary and not may_open_plan_boundary(rule):
                continue
            if rule.has_arg_conditions or rule.tool_annotations:
                if rule.decision is Decision.DENY:
                    continue  # denies some calls only
                return False
            if rule.decision is Decision.ASK_USER:
                return not interactive
            return rule.decision is Decision.DENY
        return boundary or not interactive

    def visible_tools(
        self, tools: Sequence[str], mode: Mode | str, *, interactive: bool = True
    ) -> list[str]:
        return [t for t in tools if not self.denies_outright(t, mode, interactive=interactive)]


def _under(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False


def _command_matches(rule: Rule, command: str | None) -> bool:
    if command is None:
        return False
    if rule.command_prefixes:
        return any(_prefix_matches(p, command) for p in rule.command_prefixes)
    assert rule.command_regex is not None
    # Gemini tests commandRegex right after `"command":"`: anchored at the command's start.
    return rule.command_regex.match(command) is not None


def _prefix_matches(prefix: str, command: str) -> bool:
    """Whole words: ``git log`` matches ``git log -3`` but not ``git logout``."""
    want = prefix.split()
    have = command.split()
    return bool(want) and have[: len(want)] == want


@functools.cache  # rules are immutable and hashed by identity
def _reason(rule: Rule) -> str:
    if rule.decision is Decision.DENY and rule.deny_message:
        return rule.deny_message
    return f"{rule.decision.value} by {rule.tier.label} rule at {rule.location}"


@dataclass(slots=True)
class _Call:
    """One call being decided; its canonical JSON is built only if a rule needs it."""

    tool: str
    args: dict[str, Any]
    mode: Mode
    interactive: bool
    kind: ToolKind
    annotations: Mapping[str, Any]
    _canonical: str | None = None

    @property
    def plan(self) -> bool:
        return self.mode is Mode.PLAN

    @property
    def canonical(self) -> str:
        if self._canonical is None:
            self._canonical = canonical_args(self.args)
        return self._canonical

    def with_command(self, command: str) -> _Call:
        args = {**self.args, "command": command}
        return _Call(self.tool, args, self.mode, self.interactive, self.kind, self.annotations)

    def record(
        self,
        decision: Decision,
        rule: Rule | None,
        reason: str,
        parts: tuple[tuple[str, PolicyDecision], ...] = (),
    ) -> PolicyDecision:
        return PolicyDecision(decision, self.tool, self.mode, rule, reason, parts, self.args)
