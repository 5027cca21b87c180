"""Pages are the person's: no tool writes them, in any mode, unless a policy rule says so.

The built-in rules allow file writes while building (``autoEdit``, ``yolo``) and the plan
document while planning; none of them may open the pages folder. A write whose path lands
in it (symlinks followed, relative to the project root or the plan directory) is denied
unless the rule that allowed it is a workspace, user or admin rule: the person's own
policy, e.g. ``toolName = "write_file"``, ``argsPattern = "pages/"``, ``decision = "allow"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_plan.policy.build_files import is_file_edit_tool
from jupyter_plan.policy.engine import PATH_ARGS, PolicyEngine
from jupyter_plan.policy.paths import real_path
from jupyter_plan.policy.types import Decision, Mode, PolicyDecision, Tier, ToolKind

REFUSED = (
    "Pages are the person's: {path!r} is in the pages folder ({folder}), which no tool writes "
    "unless a workspace or user policy rule allows it. Propose the change in the plan instead."
)


class PagesGuardedEngine(PolicyEngine):
    """The policy engine with the pages folder closed to every built-in allow."""

    def __init__(self, *args: Any, pages_dir: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages_dir = os.path.realpath(os.fspath(pages_dir))

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
        audit, self.audit = self.audit, None  # audited once, after the guard
        try:
            result = super().decide(
                tool,
                args,
                mode,
                interactive=interactive,
                kind=kind,
                annotations=annotations,
            )
        finally:
            self.audit = audit
        why = self.pages_protected(tool, args or {}, kind, result)
        if why is not None:
            result = result.but(Decision.DENY, why)
        if audit is not None:
            audit(result)
        return result

    def pages_protected(
        self,
        tool: str,
        args: Mapping[str, Any],
        kind: ToolKind | None,
        result: PolicyDecision,
    ) -> str | None:
        """Why this call may not run (it writes a page and no person's rule allowed it)."""
        if result.decision is Decision.DENY:
            return None
        if kind is not ToolKind.WRITE and not is_file_edit_tool(tool):
            return None
        rule = result.rule
        if rule is not None and rule.tier is not Tier.BUILTIN and result.allowed:
            return None  # the person's own policy opened it
        bases = [os.fspath(b) for b in (self.workspace_root, self.plan_dir) if b is not None]
        for key in PATH_ARGS:
            value = args.get(key)
            if not isinstance(value, str):
                continue
            for base in bases or [os.getcwd()]:
                real = real_path(value, base)
                if real is None or _under(real, self.pages_dir):
                    return REFUSED.format(path=value, folder=Path(self.pages_dir).name)
        return None


def _under(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:
        return False


__all__ = ["REFUSED", "PagesGuardedEngine"]
