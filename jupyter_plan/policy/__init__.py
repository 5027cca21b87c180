"""The policy engine: every tool call the agent makes is allowed, denied or asked here."""

from jupyter_plan.policy.engine import PolicyEngine, precedence
from jupyter_plan.policy.loader import PolicyError, PolicyFile, PolicyProblem
from jupyter_plan.policy.paths import PathEscapeError, confine
from jupyter_plan.policy.types import Decision, Mode, PolicyDecision, Rule, Tier, ToolKind

__all__ = [
    "Decision",
    "Mode",
    "PathEscapeError",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyError",
    "PolicyFile",
    "PolicyProblem",
    "Rule",
    "Tier",
    "ToolKind",
    "confine",
    "precedence",
]
