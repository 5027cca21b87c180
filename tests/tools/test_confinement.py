"""Every path-taking tool refuses escapes with confine's message, and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.tools.base import ToolContext, ToolError

from .conftest import Call

# (tool, the argument holding the path, the other arguments, whether the root is plan_dir)
PATH_TOOLS: list[tuple[str, str, dict[str, Any], bool]] = [
    ("read_file", "file_path", {}, False),
    ("list_directory", "dir_path", {}, False),
    ("glob", "dir_path", {"pattern": "*"}, False),
    ("grep_search", "dir_path", {"pattern": "SECRET"}, False),
    ("write_file", "file_path", {"content": "# pwned\n"}, True),
    ("replace", "file_path", {"old_string": "SECRET", "new_string": "pwned"}, True),
    ("replace", "file_path", {"old_string": "", "new_string": "pwned"}, True),
    ("exit_plan_mode", "plan_filename", {}, True),
]


def escapes(tmp_path: Path, in_plan_dir: bool) -> list[tuple[str, str]]:
    outside = tmp_path / "outside"
    if in_plan_dir:
        return [
            ("../x.md", "resolves to"),  # inside the workspace, outside the plan directory
            ("../../../outside/secret.md", "resolves to"),
            (str(outside / "secret.md"), "resolves to"),
            (str(tmp_path / "project" / "README.md"), "resolves to"),
            ("dirlink/secret.md", "resolves to"),
            ("filelink.md", "resolves to"),
            ("~/x.md", "'~' is not expanded"),
            ("x\x00.md", "NUL"),
            ("..\\x.md", "backslashes"),
        ]
    return [
        ("../outside/secret.txt", "resolves to"),
        ("..", "resolves to"),
        (str(outside / "secret.txt"), "resolves to"),
        ("/etc", "resolves to"),
        ("link_out", "resolves to"),
        ("link_out/secret.txt", "resolves to"),
        ("file_out.txt", "resolves to"),
        ("~", "'~' is not expanded"),
        ("~/secret.txt", "'~' is not expanded"),
        ("a\x00b", "NUL"),
    ]


def snapshot(tmp_path: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()
    }


CASES = [
    pytest.param(tool, arg, extra, in_plan, i, id=f"{tool}-{arg}-{'+'.join(extra) or 'none'}-{i}")
    for tool, arg, extra, in_plan in PATH_TOOLS
    for i in range(10 if not in_plan else 9)
]


@pytest.mark.parametrize(("tool", "arg", "extra", "in_plan", "index"), CASES)
async def test_escapes_are_refused(
    call: Call,
    ctx: ToolContext,
    tmp_path: Path,
    tool: str,
    arg: str,
    extra: dict[str, Any],
    in_plan: bool,
    index: int,
) -> None:
    (tmp_path / "project" / "README.md").write_text("SECRET in the workspace\n")
    (tmp_path / "project" / ".jupyter_plan" / "x.md").write_text("SECRET beside the plans\n")
    path, why = escapes(tmp_path, in_plan)[index]
    before = snapshot(tmp_path)
    with pytest.raises(ToolError, match="refused path") as err:
        await call(tool, **{arg: path}, **extra)
    assert why in str(err.value)
    assert "must stay inside" in str(err.value)
    assert snapshot(tmp_path) == before  # nothing written anywhere
    assert ctx.submitted_plan is None
