"""Rule fields, tier/priority precedence, the plan-mode boundary and defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_plan.policy.engine import precedence
from jupyter_plan.policy.types import Decision, Mode, Rule, Tier

from .conftest import MakeEngine

ALLOW, DENY, ASK = Decision.ALLOW, Decision.DENY, Decision.ASK_USER


# -- each rule field ------------------------------------------------------------------

FIELD_CASES = [
    # (id, rule body, tool, args, mode, interactive, expected)
    ("toolName exact", 'toolName = "glob"\ndecision = "deny"', "glob", {}, "default", True, DENY),
    (
        "toolName other",
        'toolName = "glob"\ndecision = "deny"',
        "read_file",
        {},
        "default",
        True,
        ALLOW,
    ),
    (
        "toolName list",
        'toolName = ["a_x", "b_y"]\ndecision = "allow"',
        "b_y",
        {},
        "default",
        True,
        ALLOW,
    ),
    ("wildcard all", 'toolName = "*"\ndecision = "deny"', "anything", {}, "default", True, DENY),
    (
        "wildcard prefix",
        'toolName = "read_*"\ndecision = "deny"',
        "read_cells",
        {},
        "default",
        True,
        DENY,
    ),
    (
        "wildcard prefix no",
        'toolName = "read_*"\ndecision = "deny"',
        "list_cells",
        {},
        "default",
        True,
        ALLOW,
    ),
    (  # Gemini CLI has no such wildcard: here it may deny or ask, never allow (tighten-only)
        "wildcard middle allow is tighten-only",
        'toolName = "mcp_*_search"\ndecision = "allow"',
        "mcp_jira_search",
        {},
        "default",
        True,
        ASK,
    ),
    (
        "wildcard middle deny",
        'toolName = "mcp_*_search"\ndecision = "deny"',
        "mcp_jira_search",
        {},
        "default",
        True,
        DENY,
    ),
    (
        "wildcard middle no",
        'toolName = "mcp_*_search"\ndecision = "allow"',
        "mcp_jira_create",
        {},
        "default",
        True,
        ASK,
    ),
    ("no toolName = all", 'decision = "deny"', "read_file", {}, "default", True, DENY),
    (
        "mcpName+tool",
        'mcpName = "jira"\ntoolName = "search"\ndecision = "allow"',
        "mcp_jira_search",
        {},
        "default",
        True,
        ALLOW,
    ),
    (
        "mcpName only",
        'mcpName = "jira"\ndecision = "deny"',
        "mcp_jira_create",
        {},
        "default",
        True,
        DENY,
    ),
    (
        "mcpName star",
        'mcpName = "*"\ntoolName = "*"\ndecision = "allow"',
        "mcp_a_b",
        {},
        "default",
        True,
        ALLOW,
    ),
    (
        "argsPattern hit",
        'toolName = "read_file"\nargsPattern = "secret"\ndecision = "deny"',
        "read_file",
        {"file_path": "a/secret.txt"},
        "default",
        True,
        DENY,
    ),
    (
        "argsPattern miss",
        'toolName = "read_file"\nargsPattern = "secret"\ndecision = "deny"',
        "read_file",
        {"file_path": "a/public.txt"},
        "default",
        True,
        ALLOW,
    ),
    (
        "argsPattern canonical json, framed per argument (Gemini's stableStringify)",
        'toolName = "x_tool"\nargsPattern = \'^\\{\\x00"a":1\\x00,\\x00"b":"c"\\x00\\}$\'\n'
        'decision = "allow"',
        "x_tool",
        {"b": "c", "a": 1},
        "default",
        True,
        ALLOW,
    ),
    (
        "commandPrefix",
        'commandPrefix = "git log"\ndecision = "allow"',
        "run_shell_command",
        {"command": "git log -3"},
        "default",
        True,
        ALLOW,
    ),
    (
        "commandPrefix words",
        'commandPrefix = "git log"\ndecision = "allow"',
        "run_shell_command",
        {"command": "git logout"},
        "default",
        True,
        ASK,
    ),
    (
        "commandPrefix list",
        'commandPrefix = ["ls", "pwd"]\ndecision = "allow"',
        "run_shell_command",
        {"command": "pwd"},
        "default",
        True,
        ALLOW,
    ),
    (
        "commandRegex",
        'commandRegex = "git (status|diff)"\ndecision = "allow"',
        "run_shell_command",
        {"command": "git diff HEAD"},
        "default",
        True,
        ALLOW,
    ),
    (
        "commandRegex anchored",
        'commandRegex = "status"\ndecision = "allow"',
        "run_shell_command",
        {"command": "git status"},
        "default",
        True,
        ASK,
    ),
    (
        "modes match",
        'toolName = "glob"\ndecision = "deny"\nmodes = ["autoEdit"]',
        "glob",
        {},
        "auto_edit",
        True,
        DENY,
    ),
    (
        "modes other",
        'toolName = "glob"\ndecision = "deny"\nmodes = ["yolo"]',
        "glob",
        {},
        "default",
        True,
        ALLOW,
    ),
    (
        "modes empty = all",
        'toolName = "glob"\ndecision = "deny"\nmodes = []',
        "glob",
        {},
        "default",
        True,
        DENY,
    ),
    (
        "interactive true",
        'toolName = "glob"\ndecision = "deny"\ninteractive = true',
        "glob",
        {},
        "default",
        True,
        DENY,
    ),
    (
        "interactive true headless",
        'toolName = "glob"\ndecision = "deny"\ninteractive = true',
        "glob",
        {},
        "default",
        False,
        ALLOW,
    ),
    (
        "interactive false",
        'toolName = "glob"\ndecision = "deny"\ninteractive = false',
        "glob",
        {},
        "default",
        False,
        DENY,
    ),
    (
        "subagent never ours",
        'toolName = "glob"\nsubagent = "x"\ndecision = "deny"',
        "glob",
        {},
        "default",
        True,
        ALLOW,
    ),
    (
        "toolAnnotations",
        'toolName = "*"\ntoolAnnotations = { readOnlyHint = true }\ndecision = "deny"',
        "glob",
        {},
        "default",
        True,
        DENY,
    ),
    (
        "toolAnnotations miss",
        'toolName = "*"\ntoolAnnotations = { readOnlyHint = true }\ndecision = "deny"',
        "edit_cell",
        {},
        "auto_edit",
        True,
        ALLOW,
    ),
]


@pytest.mark.parametrize(
    ("body", "tool", "args", "mode", "interactive", "expected"),
    [c[1:] for c in FIELD_CASES],
    ids=[c[0] for c in FIELD_CASES],
)
def test_rule_fields(
    make_engine: MakeEngine,
    body: str,
    tool: str,
    args: dict[str, object],
    mode: str,
    interactive: bool,
    expected: Decision,
) -> None:
    engine = make_engine(user=f"[[rule]]\n{body}\npriority = 100\n")
    assert engine.decide(tool, args, mode, interactive=interactive).decision is expected


def test_deny_message_reaches_the_model(make_engine: MakeEngine) -> None:
    engine = make_engine(
        user='[[rule]]\ntoolName = "glob"\ndecision = "deny"\ndenyMessage = "no globbing"\n'
    )
    result = engine.decide("glob", {"pattern": "*"}, "default")
    assert result.reason == "no globbing"
    assert result.rule is not None and result.rule.location.endswith("user.toml:1")


# -- precedence ---------------------------------------------------------------------

PRECEDENCE_CASES = [
    # (id, {tier: (decision, priority)}, expected)
    (
        "higher tier beats higher priority",
        {"workspace": ("deny", 999), "user": ("allow", 1)},
        ALLOW,
    ),
    ("admin beats user", {"user": ("allow", 999), "admin": ("deny", 0)}, DENY),
    ("workspace beats builtin", {"workspace": ("deny", 0)}, DENY),
]


@pytest.mark.parametrize(
    ("tiers", "expected"), [c[1:] for c in PRECEDENCE_CASES], ids=[c[0] for c in PRECEDENCE_CASES]
)
def test_tier_precedence(
    make_engine: MakeEngine, tiers: dict[str, tuple[str, int]], expected: Decision
) -> None:
    texts = {
        tier: f'[[rule]]\ntoolName = "read_file"\ndecision = "{d}"\npriority = {p}\n'
        for tier, (d, p) in tiers.items()
    }
    assert make_engine(**texts).decide("read_file", {}, "default").decision is expected


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([("allow", 10), ("deny", 20)], DENY),
        ([("deny", 10), ("allow", 20)], ALLOW),
        ([("allow", 5), ("ask_user", 5)], ASK),
        ([("ask_user", 5), ("deny", 5)], DENY),
        ([("allow", 5), ("deny", 5), ("ask_user", 5)], DENY),
    ],
)
def test_priority_then_severity_within_a_tier(
    make_engine: MakeEngine, rules: list[tuple[str, int]], expected: Decision
) -> None:
    text = "".join(
        f'[[rule]]\ntoolName = "glob"\ndecision = "{d}"\npriority = {p}\n' for d, p in rules
    )
    assert make_engine(user=text).decide("glob", {}, "default").decision is expected


def test_precedence_key_is_the_single_definition() -> None:
    def rule(tier: Tier, priority: int, decision: Decision) -> Rule:
        return Rule(("x",), decision, priority, tier, "f", 1)

    rules = [
        rule(Tier.BUILTIN, 999, DENY),
        rule(Tier.USER, 1, ALLOW),
        rule(Tier.USER, 1, DENY),
        rule(Tier.ADMIN, 0, ALLOW),
        rule(Tier.USER, 2, ALLOW),
    ]
    ordered = sorted(rules, key=precedence)
    assert [(r.tier, r.priority, r.decision) for r in ordered] == [
        (Tier.ADMIN, 0, ALLOW),
        (Tier.USER, 2, ALLOW),
        (Tier.USER, 1, DENY),
        (Tier.USER, 1, ALLOW),
        (Tier.BUILTIN, 999, DENY),
    ]


@pytest.mark.parametrize(("interactive", "expected"), [(True, ASK), (False, DENY)])
def test_no_rule_asks_or_denies_headless(
    make_engine: MakeEngine, interactive: bool, expected: Decision
) -> None:
    result = make_engine(builtin=False).decide("glob", {}, "default", interactive=interactive)
    assert result.decision is expected
    assert result.rule is None


def test_ask_rule_headless_becomes_deny(make_engine: MakeEngine) -> None:
    result = make_engine().decide("edit_cell", {}, "default", interactive=False)
    assert result.decision is DENY
    assert "no person to ask" in result.reason


# -- built-in modes -----------------------------------------------------------------

BUILTIN_CASES = [
    ("read_cells", "plan", ALLOW),
    ("ask_user", "plan", ALLOW),
    ("exit_plan_mode", "plan", ALLOW),
    ("edit_cell", "plan", DENY),
    ("run_cell", "plan", DENY),
    ("edit_cell", "default", ASK),
    ("run_cell", "default", ASK),
    ("edit_cell", "auto_edit", ALLOW),
    ("run_cell", "auto_edit", ALLOW),
    ("run_shell_command", "auto_edit", ASK),
    ("delete_cell", "yolo", ALLOW),
    ("unknown_tool", "default", ASK),
    ("unknown_tool", "plan", DENY),
]


@pytest.mark.parametrize(("tool", "mode", "expected"), BUILTIN_CASES)
def test_builtin_policy(make_engine: MakeEngine, tool: str, mode: str, expected: Decision) -> None:
    args = {"command": "ls"} if tool == "run_shell_command" else {}
    assert make_engine().decide(tool, args, mode).decision is expected


# -- the plan-mode boundary ---------------------------------------------------------

BOUNDARY_CASES = [
    # (id, user rule, tool, args, expected in plan mode)
    (
        "user allow without modes",
        'toolName = "edit_cell"\ndecision = "allow"',
        "edit_cell",
        {},
        DENY,
    ),
    ("user allow * without modes", 'toolName = "*"\ndecision = "allow"', "run_cell", {}, DENY),
    (
        "user yolo-ish allow all",
        'decision = "allow"\npriority = 999',
        "run_shell_command",
        {"command": "git reset --hard"},
        DENY,
    ),
    (
        "user allow modes default",
        'toolName = "edit_cell"\ndecision = "allow"\nmodes = ["default"]',
        "edit_cell",
        {},
        DENY,
    ),
    (
        "user allow naming plan",
        'toolName = "edit_cell"\ndecision = "allow"\nmodes = ["plan"]',
        "edit_cell",
        {},
        ALLOW,
    ),
    (
        "user ask naming plan",
        'toolName = "run_cell"\ndecision = "ask_user"\nmodes = ["plan"]',
        "run_cell",
        {},
        ASK,
    ),
    (
        "shell exception naming plan",
        'commandPrefix = "git log"\ndecision = "allow"\nmodes = ["plan"]',
        "run_shell_command",
        {"command": "git log -5"},
        ALLOW,
    ),
    (
        "shell exception does not cover chain",
        'commandPrefix = "git log"\ndecision = "allow"\nmodes = ["plan"]',
        "run_shell_command",
        {"command": "git log && git reset --hard"},
        DENY,
    ),
    (
        "chain fully covered by plan rules",
        'commandPrefix = ["git log", "head"]\ndecision = "allow"\nmodes = ["plan"]',
        "run_shell_command",
        {"command": "git log | head -5"},
        ALLOW,
    ),
    (
        "user deny without modes still denies",
        'toolName = "read_file"\ndecision = "deny"',
        "read_file",
        {},
        DENY,
    ),
    (
        "write outside plan dir, user allow",
        'toolName = "write_file"\ndecision = "allow"',
        "write_file",
        {"file_path": "/etc/passwd"},
        DENY,
    ),
    ("write with no path", 'toolName = "write_file"\ndecision = "allow"', "write_file", {}, DENY),
]


@pytest.mark.parametrize(
    ("body", "tool", "args", "expected"),
    [c[1:] for c in BOUNDARY_CASES],
    ids=[c[0] for c in BOUNDARY_CASES],
)
@pytest.mark.parametrize("tier", ["workspace", "user", "admin"])
def test_plan_boundary(
    make_engine: MakeEngine,
    tier: str,
    body: str,
    tool: str,
    args: dict[str, object],
    expected: Decision,
) -> None:
    engine = make_engine(**{tier: f"[[rule]]\n{body}\n"})
    assert engine.decide(tool, args, Mode.PLAN).decision is expected


def test_plan_writes_inside_plan_dir_only(make_engine: MakeEngine, plan_dir: Path) -> None:
    engine = make_engine()
    inside = engine.decide("write_file", {"file_path": str(plan_dir / "p.md")}, "plan")
    relative_escape = engine.decide(
        "write_file", {"file_path": str(plan_dir / ".." / "x.md")}, "plan"
    )
    assert inside.decision is ALLOW
    assert relative_escape.decision is DENY
    assert str(plan_dir) in relative_escape.reason  # names both paths
    assert "x.md" in relative_escape.reason


def test_plan_write_through_symlink_is_denied(
    make_engine: MakeEngine, plan_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (plan_dir / "link").symlink_to(outside)
    result = make_engine().decide(
        "write_file", {"file_path": str(plan_dir / "link" / "a.md")}, "plan"
    )
    assert result.decision is DENY


def test_builtin_rule_naming_plan_cannot_open_boundary(make_engine: MakeEngine) -> None:
    # The built-in write allow names plan, yet must not allow a write outside the plan dir.
    result = make_engine().decide("replace", {"file_path": "../../notebook.ipynb"}, "plan")
    assert result.decision is DENY


# -- hiding tools -------------------------------------------------------------------


def test_denied_outright_tools_are_hidden(make_engine: MakeEngine) -> None:
    engine = make_engine(
        user='[[rule]]\ntoolName = "glob"\ndecision = "deny"\n'
        '[[rule]]\ntoolName = "read_file"\nargsPattern = "x"\ndecision = "deny"\n'
    )
    tools = ["read_file", "glob", "edit_cell", "write_file", "run_cell", "ask_user"]
    assert engine.visible_tools(tools, "plan") == ["read_file", "write_file", "ask_user"]
    assert engine.visible_tools(tools, "default") == [
        "read_file",
        "edit_cell",
        "write_file",
        "run_cell",
        "ask_user",
    ]
    assert engine.visible_tools(tools, "default", interactive=False) == ["read_file", "ask_user"]


def test_decision_record_json(make_engine: MakeEngine) -> None:
    result = make_engine().decide("edit_cell", {"cell_id": "abc", "source": "x"}, "plan")
    data = result.to_json()
    assert data["decision"] == "deny"
    assert data["tier"] == "builtin"
    assert data["source"].startswith("<builtin>/plan.toml:")
    assert data["mode"] == "plan"
    assert len(data["args_digest"]) == 16 and "abc" not in data["args_digest"]
