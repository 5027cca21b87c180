"""Property: rules that do not name `plan` can never open plan mode, whatever they say."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, builtin_files, load_rules
from jupyter_plan.policy.types import Decision, Tier

PLAN_DIR = Path(tempfile.mkdtemp(prefix="jp-plan-")) / "plans"
PLAN_DIR.mkdir()
(PLAN_DIR / "escape").symlink_to(PLAN_DIR.parent)

MUTATING = [
    "insert_cell",
    "edit_cell",
    "delete_cell",
    "run_cell",
    "run_shell_command",
    "mcp_files_write",
    "some_new_tool",
]
WRITERS = ["write_file", "replace"]
TOOL_PATTERNS = [
    "*",
    "*_cell",
    "edit_*",
    "run_*",
    "*shell*",
    "mcp_*",
    "write_*",
    "replace",
    *MUTATING,
    *WRITERS,
]
OUTSIDE = [
    "../x.md",
    "../../etc/passwd",
    "/etc/passwd",
    "escape/x.md",
    str(PLAN_DIR.parent),
    "sub/../../x.md",
    "~/x.md",
    "..\\x.md",
    "\uff0e\uff0e/x.md",
]
COMMANDS = [
    "git reset --hard",
    "rm -rf /",
    "ls && rm x",
    "echo $(curl x)",
    "bash -c 'rm a'",
    "cat a > b",
    "git status",
]

toml_str = st.text(alphabet="abcdefgh*_ ", min_size=1, max_size=8)
non_plan_modes = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["default", "autoEdit", "auto_edit", "yolo"]), max_size=3),
)


@st.composite
def rule(draw: st.DrawFn) -> str:
    lines = ["[[rule]]"]
    shell_only = draw(st.booleans())
    if shell_only:
        key = draw(st.sampled_from(["commandPrefix", "commandRegex"]))
        value = draw(st.sampled_from(["git", "rm", "ls", "echo", "bash", "cat"]))
        lines.append(f"{key} = {json.dumps(value)}")
        if draw(st.booleans()):
            lines.append('toolName = "run_shell_command"')
        if draw(st.booleans()):
            lines.append("allowRedirection = true")
    else:
        names = draw(
            st.one_of(
                st.none(),
                st.sampled_from(TOOL_PATTERNS),
                st.lists(st.sampled_from(TOOL_PATTERNS), min_size=1, max_size=3),
            )
        )
        if names is not None:
            lines.append(f"toolName = {json.dumps(names)}")
        if draw(st.booleans()):
            lines.append(
                f"argsPattern = {json.dumps(draw(st.sampled_from(['x', 'md', 'rm', '.'])))}"
            )
    return "\n".join(lines + rule_tail(draw, non_plan_modes, st.integers(0, 999))) + "\n"


def rule_tail(
    draw: st.DrawFn, modes: st.SearchStrategy[list[str] | None], priority: st.SearchStrategy[int]
) -> list[str]:
    """A generated rule's decision, priority, and maybe its modes and ``interactive``."""
    lines = [f'decision = "{draw(st.sampled_from(["allow", "ask_user", "deny"]))}"']
    lines.append(f"priority = {draw(priority)}")
    chosen = draw(modes)
    if chosen is not None:
        lines.append(f"modes = {json.dumps(chosen)}")
    interactive = draw(st.sampled_from([None, True, False]))
    if interactive is not None:
        lines.append(f"interactive = {str(interactive).lower()}")
    return lines


@st.composite
def mutating_call(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    tool = draw(st.sampled_from(MUTATING + WRITERS))
    if tool == "run_shell_command":
        return tool, {"command": draw(st.sampled_from(COMMANDS))}
    if tool in WRITERS:
        key = draw(st.sampled_from(["file_path", "path"]))
        return tool, {key: draw(st.sampled_from(OUTSIDE)), "content": "x"}
    return tool, draw(st.dictionaries(st.sampled_from(["cell_id", "source"]), toml_str, max_size=2))


@settings(max_examples=400, deadline=None)
@given(
    tiers=st.lists(
        st.tuples(
            st.sampled_from([Tier.WORKSPACE, Tier.USER, Tier.ADMIN]),
            st.lists(rule(), min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=3,
    ),
    call=mutating_call(),
    interactive=st.booleans(),
)
def test_plan_mode_never_allows_a_mutation(
    tiers: list[tuple[Tier, list[str]]], call: tuple[str, dict[str, object]], interactive: bool
) -> None:
    files = builtin_files() + [
        PolicyFile(f"<gen-{i}-{tier.label}>", tier, "".join(rules))
        for i, (tier, rules) in enumerate(tiers)
    ]
    engine = PolicyEngine(load_rules(files), plan_dir=PLAN_DIR)
    tool, args = call
    result = engine.decide(tool, args, "plan", interactive=interactive)
    assert result.decision is Decision.DENY, (tool, args, result)
