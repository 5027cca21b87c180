"""Skills: ``<dir>/<name>/SKILL.md`` files the agent may activate.

A SKILL.md starts with YAML front matter (``name``, ``description``); its body is the
instructions. Only names and descriptions go into the system prompt; the body is loaded
when the model calls ``activate_skill`` (or the person passes ``%%plan --skill NAME``).
Skill folders are searched in ``ctx.skill_dirs`` order (project first, then user); the
first folder holding a name wins. A malformed SKILL.md is an error naming the file, never
silently skipped: a skill that quietly vanishes is worse than a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.tools.base import Tool, ToolContext, ToolError, cap

SKILL_FILE = "SKILL.md"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)
MAX_DESCRIPTION = 1024


class SkillError(ValueError):
    """A skill that cannot be used: malformed, unknown or unreadable."""


@dataclass(frozen=True)
class SkillInfo:
    name: str
    description: str
    path: Path  # the SKILL.md file


def parse_skill(path: Path) -> tuple[SkillInfo, str]:
    """The skill's info and its instructions (the body), or a SkillError naming the file."""
    try:
        text = path.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillError(f"{path}: cannot read the skill: {exc}") from None
    end = _FENCE.search(text, 4) if text.startswith("---\n") else None
    if end is None:
        raise SkillError(
            f"{path}: a SKILL.md must start with YAML front matter between '---' lines, "
            "with 'name' and 'description'"
        )
    try:
        meta = yaml.safe_load(text[4 : end.start()])
    except yaml.YAMLError as exc:
        raise SkillError(f"{path}: the front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise SkillError(f"{path}: the front matter must be a mapping with name and description")
    name, description = meta.get("name"), meta.get("description")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SkillError(
            f"{path}: 'name' must be 1-64 letters, digits, '.', '_' or '-' (got {name!r})"
        )
    if name != path.parent.name:
        raise SkillError(f"{path}: name {name!r} must match its folder {path.parent.name!r}")
    if not isinstance(description, str) or not description.strip():
        raise SkillError(f"{path}: 'description' must be a non-empty text")
    if len(description) > MAX_DESCRIPTION:
        raise SkillError(f"{path}: 'description' is over {MAX_DESCRIPTION} characters")
    body = text[end.end() :].strip()
    if not body:
        raise SkillError(f"{path}: the skill has no instructions after its front matter")
    return SkillInfo(name, " ".join(description.split()), path), body


def discover_skills(dirs: Iterable[Path]) -> list[SkillInfo]:
    """Every skill in ``dirs`` (earlier folders win a name clash), sorted by name."""
    found: dict[str, SkillInfo] = {}
    for folder in dirs:
        if not folder.is_dir():
            continue  # a user without a skills folder is normal
        for child in sorted(folder.iterdir()):
            skill_file = child / SKILL_FILE
            if skill_file.is_file():
                info, _body = parse_skill(skill_file)
                found.setdefault(info.name, info)
    return sorted(found.values(), key=lambda i: i.name)


def skills_prompt(infos: Iterable[SkillInfo]) -> str:
    """The skill list for the system prompt: names and descriptions only (empty if none)."""
    return "\n".join(f"- {i.name}: {i.description}" for i in infos)


def preactivate_skill(ctx: ToolContext, name: str) -> str:
    """Activate a skill by name (``%%plan --skill NAME``): record and return its body."""
    infos = discover_skills(ctx.skill_dirs)
    info = next((i for i in infos if i.name == name), None)
    if info is None:
        known = ", ".join(i.name for i in infos) or "none"
        where = ", ".join(str(d) for d in ctx.skill_dirs) or "no skill folders configured"
        raise SkillError(f"unknown skill {name!r}; the known skills are: {known} ({where})")
    _info, body = parse_skill(info.path)
    ctx.activated_skills[info.name] = body
    return body


class ActivateSkillArgs(BaseModel):
    name: str = Field(min_length=1, description="The skill's name, as listed under Skills.")


async def activate_skill(args: ActivateSkillArgs, ctx: ToolContext) -> str:
    already = args.name in ctx.activated_skills
    try:
        body = preactivate_skill(ctx, args.name)
    except SkillError as exc:
        raise ToolError(str(exc)) from None
    state = "is already active" if already else "is now active"
    return cap(f"Skill {args.name!r} {state}. Follow its instructions:\n\n{body}")


ACTIVATE_SKILL = Tool(
    name="activate_skill",
    description=(
        "Load a skill's instructions by name (see the Skills list) when the task matches its "
        "description, then follow them."
    ),
    args=ActivateSkillArgs,
    kind=TOOL_KINDS["activate_skill"],
    run=activate_skill,
)
TOOLS: tuple[Tool[Any], ...] = (ACTIVATE_SKILL,)
