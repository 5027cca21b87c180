"""Skills: discovery with project-over-user precedence, clear errors, activation."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_plan.tools.base import ToolContext, ToolError
from jupyter_plan.tools.skills import (
    SkillError,
    SkillInfo,
    discover_skills,
    preactivate_skill,
    skills_prompt,
)

from .conftest import Call


def write_skill(folder: Path, name: str, description: str, body: str = "Do it well.") -> Path:
    path = folder / name / "SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_text(f"---\nname: {name}\ndescription: {description}\n---\n\n{body}\n")
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> list[Path]:
    project, user = tmp_path / "project_skills", tmp_path / "user_skills"
    write_skill(project, "plotting", "Charts with matplotlib", "Label every axis.")
    write_skill(project, "cleaning", "Clean data frames")
    write_skill(user, "plotting", "the user's own plotting", "Use seaborn.")
    write_skill(user, "sql", "Query databases\n  safely")
    (project / "notes").mkdir()  # a folder without SKILL.md is not a skill
    (project / "README.md").write_text("not a skill folder")
    return [project, user]


@pytest.fixture
def sctx(ctx: ToolContext, dirs: list[Path]) -> ToolContext:
    ctx.skill_dirs = dirs
    return ctx


def test_discover_skills_project_wins(dirs: list[Path]) -> None:
    infos = discover_skills([*dirs, dirs[0].parent / "missing"])
    assert [(i.name, i.description) for i in infos] == [
        ("cleaning", "Clean data frames"),
        ("plotting", "Charts with matplotlib"),  # the project's, not the user's
        ("sql", "Query databases safely"),
    ]
    assert infos[1].path == dirs[0] / "plotting" / "SKILL.md"
    assert discover_skills([]) == []


def test_skills_prompt_lists_names_and_descriptions_only(dirs: list[Path]) -> None:
    prompt = skills_prompt(discover_skills(dirs))
    assert prompt.splitlines() == [
        "- cleaning: Clean data frames",
        "- plotting: Charts with matplotlib",
        "- sql: Query databases safely",
    ]
    assert "Label every axis" not in prompt
    assert skills_prompt([]) == ""


MALFORMED = [
    ("no front matter\n", "must start with YAML front matter"),
    ("---\nname: bad\ndescription: never closed\n", "must start with YAML front matter"),
    ("---\nname: [unclosed\n---\nbody\n", "not valid YAML"),
    ("---\n- a list\n---\nbody\n", "must be a mapping"),
    ("---\n---\nbody\n", "must be a mapping"),
    ("---\ndescription: no name\n---\nbody\n", "'name' must be 1-64 letters"),
    ("---\nname: has space\ndescription: d\n---\nbody\n", "'name' must be"),
    ("---\nname: other\ndescription: d\n---\nbody\n", "must match its folder 'bad'"),
    ("---\nname: bad\n---\nbody\n", "'description' must be a non-empty text"),
    ("---\nname: bad\ndescription: 3\n---\nbody\n", "'description' must be"),
    ("---\nname: bad\ndescription: " + "d" * 1025 + "\n---\nbody\n", "over 1024 characters"),
    ("---\nname: bad\ndescription: d\n---\n\n", "has no instructions"),
]


@pytest.mark.parametrize(("text", "problem"), MALFORMED)
def test_malformed_skills_name_the_file(dirs: list[Path], text: str, problem: str) -> None:
    path = dirs[1] / "bad" / "SKILL.md"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(SkillError, match=problem) as err:
        discover_skills(dirs)
    assert str(err.value).startswith(f"{path}: ")


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "s" / "win" / "SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b"\xef\xbb\xbf---\r\nname: win\r\ndescription: from Windows\r\n---\r\nBody\r\n"
    )
    assert discover_skills([tmp_path / "s"]) == [SkillInfo("win", "from Windows", path)]


async def test_activate_skill(call: Call, sctx: ToolContext) -> None:
    out = await call("activate_skill", name="plotting")
    assert out == "Skill 'plotting' is now active. Follow its instructions:\n\nLabel every axis."
    assert sctx.activated_skills == {"plotting": "Label every axis."}
    again = await call("activate_skill", name="plotting")
    assert again.startswith("Skill 'plotting' is already active")


async def test_activate_unknown_skill(call: Call, sctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="unknown skill 'plots'; the known skills are: cleaning, "
                       "plotting, sql"):  # fmt: skip
        await call("activate_skill", name="plots")
    assert sctx.activated_skills == {}


async def test_activate_with_a_malformed_skill(call: Call, sctx: ToolContext) -> None:
    (sctx.skill_dirs[0] / "cleaning" / "SKILL.md").write_text("broken")
    with pytest.raises(ToolError, match=r"cleaning/SKILL.md: a SKILL.md must start"):
        await call("activate_skill", name="plotting")


def test_preactivate_skill(sctx: ToolContext) -> None:
    assert preactivate_skill(sctx, "sql") == "Do it well."
    assert sctx.activated_skills == {"sql": "Do it well."}
    with pytest.raises(SkillError, match=r"unknown skill 'nope'; the known skills are: cleaning"):
        preactivate_skill(sctx, "nope")


def test_preactivate_without_skill_dirs(ctx: ToolContext) -> None:
    with pytest.raises(SkillError, match=r"known skills are: none \(no skill folders configured"):
        preactivate_skill(ctx, "x")
