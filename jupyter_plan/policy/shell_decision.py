"""Decide a shell command the way Gemini CLI does (policy-engine.ts ``checkShellCommand``).

The rule matching the whole command decides first; a deny ends it. Then every sub-command
(:mod:`shell`) is decided as a command of its own, recursively, and the strictest outcome
wins; a ``bash -c`` script is decided as a whole command too. Any redirection (``>``,
``2>&1``, ``<``, a heredoc) turns an allow into ask in ``default`` and ``plan`` mode unless
the allowing rule sets ``allowRedirection``; ``autoEdit`` and ``yolo`` trust it, as Gemini
does. An unparsable command falls back to the default decision.

Stricter here (each recorded in the decision's ``stricter``): plan mode denies redirection
instead of asking; the parts behind wrappers (``sudo X``, ``env X``, ``eval``) are decided
too; an unparsable command is asked in yolo too; in yolo, a command no rule matches is still
split and its parts decided; a call without a command is denied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_plan.policy.calls import Call, Hit
from jupyter_plan.policy.shell import has_redirection, split_command
from jupyter_plan.policy.types import SEVERITY, Decision, Mode, PolicyDecision, Stricter

_MAX_DEPTH = 8  # nested `bash -c` levels before we give up (and ask)
_REDIRECT_MODES = (Mode.DEFAULT, Mode.PLAN)  # Gemini: all but autoEdit and yolo


@dataclass
class _Outcome:
    hit: Hit
    parts: list[tuple[str, PolicyDecision]] = field(default_factory=list)


def decide_shell(call: Call) -> PolicyDecision:
    command = call.args.get("command")
    if not isinstance(command, str) or not command:
        hit = call.engine.walk(call, call.args)
        if hit.decision is Decision.DENY:
            return call.record(hit)
        # Gemini CLI returns the rule's decision for a call without a command.
        return call.record(
            Hit(Decision.DENY, hit.rule, "no 'command' given", (Stricter.NO_COMMAND,))
        )
    outcome = _Outcome(Hit(Decision.ALLOW, None, ""))
    hit = _decide(call, dict(call.args), command, 0, outcome)
    parts = tuple(outcome.parts) if len(outcome.parts) > 1 else ()
    return call.record(hit, parts)


def _decide(
    call: Call, args: dict[str, object], command: str, depth: int, top: _Outcome | None
) -> Hit:
    hit = call.engine.walk(call, args)
    rule = hit.rule
    unmatched_yolo = rule is None and call.mode is Mode.YOLO
    split = split_command(command)
    if split.error is not None or depth > _MAX_DEPTH:
        error = split.error or "commands nested too deeply"
        if hit.decision is Decision.DENY:
            return hit
        if call.mode is Mode.YOLO:
            if rule is not None and rule.args_patterns:
                return Hit(Decision.DENY, rule, f"{error}: its rule has conditions; denied")
            return Hit(Decision.ASK_USER, rule, f"{error}; asking", (Stricter.SHELL_PARSER,))
        default = Decision.ASK_USER if call.interactive else Decision.DENY
        return Hit(default, rule, f"{error}; asking", hit.stricter)
    if hit.decision is Decision.DENY:
        return hit
    keeps_redirection = rule is not None and rule.allow_redirection
    agg = hit
    if split.redirection and not keeps_redirection:
        agg = _redirected(call, agg)
        if agg.decision is Decision.DENY:
            return agg
    base = {k: v for k, v in args.items() if k == "dir_path"}  # Gemini: {command, dir_path}
    pending = [p for p in split.parts if not p.extra] + [p for p in split.parts if p.extra]
    for part in pending:
        steps: list[tuple[str, bool]] = []
        if part.script is not None:
            steps.append((part.script, part.script_extra))
        if part.extra or part.text != command:
            steps.append((part.text, part.extra))
        for text, extra in steps:
            sub = _decide(call, {**base, "command": text}, text, depth + 1, None)
            if top is not None:
                top.parts.append((text, call.record(sub)))
            allowed = sub.decision is Decision.ALLOW and text == part.text
            if allowed and not keeps_redirection and has_redirection(text):
                sub = _redirected(call, sub)
            if SEVERITY[sub.decision] > SEVERITY[agg.decision]:
                agg = sub.noting(Stricter.SHELL_WRAPPERS) if extra else sub
                if agg.decision is Decision.DENY:
                    return _yolo(agg, unmatched_yolo)
    return _yolo(agg, unmatched_yolo)


def _redirected(call: Call, hit: Hit) -> Hit:
    """An allowed command that redirects: asked in default mode, denied in plan mode."""
    if hit.decision is not Decision.ALLOW or call.mode not in _REDIRECT_MODES:
        return hit
    if call.mode is Mode.PLAN:
        why = "plan mode is read-only: no redirection (Gemini CLI would ask)"
        return Hit(Decision.DENY, hit.rule, why, (*hit.stricter, Stricter.PLAN_REDIRECTION))
    return Hit(Decision.ASK_USER, None, "redirection needs approval", hit.stricter)


def _yolo(hit: Hit, unmatched: bool) -> Hit:
    """Gemini CLI allows a yolo command no rule matches without looking at its parts."""
    if unmatched and hit.decision is not Decision.ALLOW:
        return hit.noting(Stricter.YOLO_CHAINS)
    return hit
