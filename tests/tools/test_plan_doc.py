"""write_file and replace: the plan document only, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_plan.record import atomic
from jupyter_plan.tools.base import ToolContext, ToolError

from .conftest import Call

PLAN = "# Plan\n\n## Steps\n### S1. Load\nRead it.\nVerify: shape printed\n"


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.tmp")]


async def test_write_file_creates_and_overwrites(call: Call, plan_dir: Path) -> None:
    assert (
        await call("write_file", file_path="plan.md", content=PLAN) == "Created plan.md (6 lines)."
    )
    assert (plan_dir / "plan.md").read_text() == PLAN
    out = await call("write_file", file_path="plan.md", content="# New\r\nline\n")
    assert out == "Overwrote plan.md (2 lines)."
    assert (plan_dir / "plan.md").read_bytes() == b"# New\r\nline\n"  # written exactly
    assert _leftovers(plan_dir) == []


async def test_write_file_refuses_subfolders(call: Call, plan_dir: Path) -> None:
    # Folders in the plan directory hold plans' revisions and transcripts (issue 12).
    with pytest.raises(ToolError, match="drafts/: plans' folders"):
        await call("write_file", file_path="drafts/2024/plan.md", content=PLAN)
    assert not (plan_dir / "drafts").exists()


async def test_write_file_keeps_the_umask_mode(call: Call, plan_dir: Path) -> None:
    await call("write_file", file_path="plan.md", content=PLAN)
    umask = os.umask(0)
    os.umask(umask)
    assert (plan_dir / "plan.md").stat().st_mode & 0o777 == 0o666 & ~umask


async def test_write_file_through_an_inner_link(call: Call, plan_dir: Path) -> None:
    (plan_dir / "real.md").write_text("old")
    (plan_dir / "alias.md").symlink_to(plan_dir / "real.md")
    await call("write_file", file_path="alias.md", content=PLAN)
    assert (plan_dir / "real.md").read_text() == PLAN
    assert (plan_dir / "alias.md").is_symlink()


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("plan.txt", r"only Markdown plan documents \(.md\)"),
        ("plan.md.py", "only Markdown"),
        ("plan", "only Markdown"),
        ("notebook.ipynb", "only Markdown"),
        ("folder.md", "is a folder"),
    ],
)
async def test_write_file_refuses_other_files(
    call: Call, plan_dir: Path, name: str, problem: str
) -> None:
    (plan_dir / "folder.md").mkdir()
    before = sorted(p.name for p in plan_dir.rglob("*"))
    with pytest.raises(ToolError, match=problem):
        await call("write_file", file_path=name, content=PLAN)
    assert sorted(p.name for p in plan_dir.rglob("*")) == before


async def test_write_file_refuses_a_huge_plan(call: Call, plan_dir: Path) -> None:
    with pytest.raises(ToolError, match="too long"):
        await call("write_file", file_path="plan.md", content="x" * 200_001)
    assert not (plan_dir / "plan.md").exists()


async def test_a_failed_write_keeps_the_old_plan(
    call: Call, plan_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (plan_dir / "plan.md").write_text("old plan")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(ToolError, match=r"cannot write 'plan\.md': No space left on device"):
        await call("write_file", file_path="plan.md", content=PLAN)
    assert (plan_dir / "plan.md").read_text() == "old plan"
    assert _leftovers(plan_dir) == []


async def test_replace(call: Call, plan_dir: Path) -> None:
    (plan_dir / "plan.md").write_text(PLAN)
    out = await call("replace", file_path="plan.md", old_string="Read it.", new_string="Load x.")
    assert out == "Replaced 1 occurrence in plan.md."
    assert (plan_dir / "plan.md").read_text() == PLAN.replace("Read it.", "Load x.")
    (plan_dir / "two.md").write_text("a b a")
    out = await call(
        "replace", file_path="two.md", old_string="a", new_string="c", expected_replacements=2
    )
    assert (
        out == "Replaced 2 occurrences in two.md." and (plan_dir / "two.md").read_text() == "c b c"
    )
    assert _leftovers(plan_dir) == []


async def test_replace_with_empty_old_string_creates(call: Call, plan_dir: Path) -> None:
    assert await call("replace", file_path="new.md", old_string="", new_string=PLAN) == (
        "Created new.md."
    )
    assert (plan_dir / "new.md").read_text() == PLAN
    with pytest.raises(ToolError, match="exists: give the old_string"):
        await call("replace", file_path="new.md", old_string="", new_string="x")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"old_string": "absent", "new_string": "x"}, "old_string was not found"),
        ({"old_string": "S", "new_string": "x"}, "occurs 2 times in 'plan.md', expected 1"),
        ({"old_string": "S1", "new_string": "x", "expected_replacements": 3}, "occurs 1 times"),
        ({"old_string": "Load", "new_string": "Load"}, "are the same"),
        ({"old_string": "a", "new_string": "b", "expected_replacements": 0}, "greater than"),
        ({"file_path": "none.md", "old_string": "a", "new_string": "b"}, "create it with"),
        ({"file_path": "plan.txt", "old_string": "a", "new_string": "b"}, "only Markdown"),
    ],
)
async def test_replace_refuses(
    call: Call, ctx: ToolContext, plan_dir: Path, args: dict[str, object], problem: str
) -> None:
    (plan_dir / "plan.md").write_text(PLAN)
    (plan_dir / "plan.txt").write_text("a")
    with pytest.raises(ToolError, match=problem):
        await call("replace", **{"file_path": "plan.md", **args})
    assert (plan_dir / "plan.md").read_text() == PLAN


# -- issue 12: a planning run writes only its own plan's document ---------------------


def _approved_plan(plan_dir: Path, plan_id: str) -> Path:
    (plan_dir / plan_id).mkdir()
    (plan_dir / plan_id / "r1.md").write_text("# Victim\n")
    doc = plan_dir / f"{plan_id}.md"
    doc.write_text(f"---\nid: {plan_id}\nstatus: approved\n---\n\n# Victim\n")
    return doc


@pytest.mark.parametrize("target", ["victim-plan.md", "victim-plan/r1.md", "./victim-plan.md"])
async def test_another_plans_files_are_read_only(
    call: Call, ctx: ToolContext, plan_dir: Path, target: str
) -> None:
    doc = _approved_plan(plan_dir, "victim-plan")
    before = doc.read_text()
    ctx.plan_id = "my-plan"
    with pytest.raises(ToolError, match=r"read-only while planning; write my-plan\.md"):
        await call("write_file", file_path=target, content="first run rm -rf data")
    with pytest.raises(ToolError, match="read-only while planning"):
        await call("replace", file_path=target, old_string="# Victim", new_string="# Evil")
    assert doc.read_text() == before
    assert (plan_dir / "victim-plan" / "r1.md").read_text() == "# Victim\n"


async def test_a_link_to_another_plan_is_read_only(
    call: Call, ctx: ToolContext, plan_dir: Path
) -> None:
    doc = _approved_plan(plan_dir, "victim-plan")
    (plan_dir / "innocent.md").symlink_to(doc)
    ctx.plan_id = "my-plan"
    with pytest.raises(ToolError, match="another plan's document"):
        await call("write_file", file_path="innocent.md", content="x")


async def test_own_plan_and_new_documents_are_writable(
    call: Call, ctx: ToolContext, plan_dir: Path
) -> None:
    _approved_plan(plan_dir, "victim-plan")
    (plan_dir / "my-plan").mkdir()
    (plan_dir / "my-plan.md").write_text("---\nid: my-plan\nstatus: drafting\n---\n\n# Draft\n")
    ctx.plan_id = "my-plan"
    assert "Overwrote my-plan.md" in await call("write_file", file_path="my-plan.md", content=PLAN)
    assert "Created notes.md" in await call("write_file", file_path="notes.md", content=PLAN)
    with pytest.raises(ToolError, match="my-plan/: plans' folders"):
        await call("write_file", file_path="my-plan/r1.md", content=PLAN)


@pytest.mark.parametrize("name", ["x.md\0.txt", "\ud800.md", "a" * 300 + ".md", "../" * 3 + "\0"])
async def test_malformed_paths_are_refused_calls(call: Call, name: str) -> None:
    with pytest.raises(ToolError, match="refused path"):
        await call("write_file", file_path=name, content=PLAN)
