"""Build the policy engine a project's settings call for: the one place tiers are found."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_plan.policy.audit import AuditLog
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import discover, load_policy
from jupyter_plan.policy.pages_guard import PagesGuardedEngine

if TYPE_CHECKING:
    from jupyter_plan.settings import ResolvedSettings

#: Admin policies: system-wide, beating every user and workspace rule.
DEFAULT_ADMIN_DIR = "/etc/jupyter_plan/policies"


def admin_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("JUPYTER_PLAN_ADMIN_DIR") or DEFAULT_ADMIN_DIR)


def engine_for(
    start_dir: str | os.PathLike[str],
    *,
    extra_policies: Iterable[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, object] | None = None,
) -> PolicyEngine:
    """Settings from ``start_dir`` (a notebook's folder), then every tier's policy files.

    Raises :class:`~jupyter_plan.policy.loader.PolicyError` for any malformed file, and
    :class:`~jupyter_plan.settings.SettingsError` for bad settings: never a partial engine.
    """
    from jupyter_plan.settings import load_settings

    env = os.environ if env is None else env
    resolved = load_settings(os.fspath(start_dir), env=env, flags=dict(flags or {}))
    return engine_from(resolved, extra_policies=extra_policies, env=env)


def engine_from(
    resolved: ResolvedSettings,
    *,
    extra_policies: Iterable[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
) -> PolicyEngine:
    """The engine for settings already resolved (flags included)."""
    env = os.environ if env is None else env
    root = resolved.project_root
    extra = [*resolved.policy_files(), *(Path(p) for p in extra_policies)]
    files = discover(root, resolved.user_dir, admin_dir(env), extra)
    audit = resolved.settings.audit
    log = AuditLog(resolved.settings.audit_file(root)) if audit.enabled else None
    from jupyter_plan.settings import PROJECT_MARKER

    # Never written by a tool: settings, policies and skills (the engine's config guard).
    marker = root / PROJECT_MARKER
    config = [marker / "settings.json", marker / "policies", marker / "skills"]
    config += [resolved.user_dir, admin_dir(env)]
    loaded = load_policy(files)
    return PagesGuardedEngine(  # pages are the person's (policy/pages_guard.py)
        loaded.rules,
        pages_dir=resolved.settings.pages_dir(root),
        checkers=loaded.checkers,
        plan_dir=resolved.plan_dir,
        audit=log,
        config_paths=config,
        workspace_root=root,
    )
