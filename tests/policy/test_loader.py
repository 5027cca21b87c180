"""Malformed policy files fail closed, with file, line and field in the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_plan.policy.loader import (
    PolicyError,
    PolicyFile,
    builtin_files,
    discover,
    load_rules,
)
from jupyter_plan.policy.types import Tier

MALFORMED = [
    # (id, file text, line, field, message fragment)
    ("bad toml", '[[rule]]\ntoolName = "x"\ndecision = allow\n', 3, None, "not valid TOML"),
    (
        "unknown field",
        '[[rule]]\ntoolName = "x"\ndecison = "allow"\n',
        3,
        "decison",
        "unknown field",
    ),
    (
        "bad regex",
        '[[rule]]\ntoolName = "x"\nargsPattern = "(unclosed"\ndecision = "deny"\n',
        3,
        "argsPattern",
        "invalid regular expression",
    ),
    (
        "catastrophic regex",
        '[[rule]]\ntoolName = "x"\nargsPattern = "(a+)+$"\ndecision = "deny"\n',
        3,
        "argsPattern",
        "backtrack catastrophically",
    ),
    (
        "catastrophic alternation",
        '[[rule]]\ncommandRegex = "(a|ab)*c"\ndecision = "deny"\n',
        2,
        "commandRegex",
        "backtrack catastrophically",
    ),
    (
        "priority too high",
        '[[rule]]\ntoolName = "x"\ndecision = "deny"\npriority = 1000\n',
        4,
        "priority",
        "0 to 999",
    ),
    (
        "priority negative",
        '[[rule]]\ntoolName = "x"\ndecision = "deny"\npriority = -1\n',
        4,
        "priority",
        "0 to 999",
    ),
    (
        "priority not int",
        '[[rule]]\ntoolName = "x"\ndecision = "deny"\npriority = "high"\n',
        4,
        "priority",
        "0 to 999",
    ),
    (
        "priority bool",
        '[[rule]]\ntoolName = "x"\ndecision = "deny"\npriority = true\n',
        4,
        "priority",
        "0 to 999",
    ),
    (
        "empty toolName",
        '[[rule]]\ntoolName = ""\ndecision = "deny"\n',
        2,
        "toolName",
        "must not be empty",
    ),
    (
        "empty toolName list",
        '[[rule]]\ntoolName = []\ndecision = "deny"\n',
        2,
        "toolName",
        "is empty",
    ),
    (
        "toolName not string",
        '[[rule]]\ntoolName = 3\ndecision = "deny"\n',
        2,
        "toolName",
        "must be a string",
    ),
    (
        "commandPrefix on another tool",
        '[[rule]]\ntoolName = "read_file"\ncommandPrefix = "git"\ndecision = "allow"\n',
        3,
        "commandPrefix",
        "only applies to 'run_shell_command'",
    ),
    (
        "commandRegex on wildcard",
        '[[rule]]\ntoolName = "*"\ncommandRegex = "git"\ndecision = "allow"\n',
        3,
        "commandRegex",
        "only applies to 'run_shell_command'",
    ),
    (
        "prefix and regex",
        '[[rule]]\ncommandPrefix = "git"\ncommandRegex = "git"\ndecision = "allow"\n',
        3,
        "commandRegex",
        "not both",
    ),
    (
        "bad decision",
        '[[rule]]\ntoolName = "x"\ndecision = "maybe"\n',
        3,
        "decision",
        "not one of allow, deny, ask_user",
    ),
    ("missing decision", '[[rule]]\ntoolName = "x"\n', 1, None, "missing field 'decision'"),
    (
        "bad mode",
        '[[rule]]\ntoolName = "x"\ndecision = "deny"\nmodes = ["planning"]\n',
        4,
        "modes",
        "unknown mode",
    ),
    (
        "modes not list",
        '[[rule]]\ntoolName = "x"\ndecision = "deny"\nmodes = "plan"\n',
        4,
        "modes",
        "must be a list",
    ),
    (
        "interactive not bool",
        '[[rule]]\ntoolName = "x"\ndecision = "deny"\ninteractive = "yes"\n',
        4,
        "interactive",
        "true or false",
    ),
    (
        "allowRedirection not bool",
        '[[rule]]\ncommandPrefix = "x"\ndecision = "allow"\nallowRedirection = 1\n',
        4,
        "allowRedirection",
        "true or false",
    ),
    ("unknown top level", "rules = 1\n", 1, "rules", "unknown top-level key"),
    (
        "second rule located",
        '[[rule]]\ntoolName = "a"\ndecision = "deny"\n\n[[rule]]\n'
        'toolName = "b"\ndecision = "deny"\npriority = 5000\n',
        8,
        "priority",
        "0 to 999",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [c[1:] for c in MALFORMED],
    ids=[c[0] for c in MALFORMED],
)
def test_malformed_file_named_with_line_and_field(
    tmp_path: Path, text: str, line: int | None, field: str | None, fragment: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_rules([*builtin_files(), PolicyFile(str(path), Tier.USER)])
    problem = info.value.problems[0]
    assert problem.file == str(path)
    assert problem.line == line
    assert problem.field == field
    assert fragment in problem.message
    message = str(info.value)
    assert f"{path}:{line}" in message if line else str(path) in message
    if field:
        assert f"'{field}'" in message


def test_every_problem_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[rule]]\ntoolName = ""\ndecision = "nope"\npriority = 2000\nfoo = 1\n')
    with pytest.raises(PolicyError) as info:
        load_rules([PolicyFile(str(path), Tier.USER)])
    assert {p.field for p in info.value.problems} == {"toolName", "decision", "priority", "foo"}


def test_broken_file_stops_discovery_not_skipped(tmp_path: Path) -> None:
    project = tmp_path / "project"
    policies = project / ".jupyter_plan" / "policies"
    policies.mkdir(parents=True)
    (policies / "a_good.toml").write_text('[[rule]]\ntoolName = "x"\ndecision = "deny"\n')
    (policies / "b_bad.toml").write_text("[[rule]\n")
    files = discover(project, None, None)
    assert [f.tier for f in files if f.tier is Tier.WORKSPACE] == [Tier.WORKSPACE] * 2
    with pytest.raises(PolicyError, match=r"b_bad\.toml"):
        load_rules(files)


def test_missing_extra_policy_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist"):
        discover(None, None, None, [tmp_path / "nope.toml"])


def test_discover_tiers(tmp_path: Path) -> None:
    (tmp_path / "p" / ".jupyter_plan" / "policies").mkdir(parents=True)
    (tmp_path / "p" / ".jupyter_plan" / "policies" / "w.toml").write_text("")
    (tmp_path / "u" / "policies").mkdir(parents=True)
    (tmp_path / "u" / "policies" / "u.toml").write_text("")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "a.toml").write_text("")
    (tmp_path / "extra.toml").write_text("")
    files = discover(tmp_path / "p", tmp_path / "u", tmp_path / "a", [tmp_path / "extra.toml"])
    tiers = [(Path(f.path).name, f.tier) for f in files if f.tier is not Tier.BUILTIN]
    assert tiers == [
        ("w.toml", Tier.WORKSPACE),
        ("u.toml", Tier.USER),
        ("extra.toml", Tier.USER),
        ("a.toml", Tier.ADMIN),
    ]


def test_builtin_policy_is_valid_package_data() -> None:
    files = builtin_files()
    assert {Path(f.path).name for f in files} >= {"plan.toml", "read_only.toml", "build.toml"}
    assert all(r.tier is Tier.BUILTIN for r in load_rules(files))


GEMINI_FILE = """
# A policy file as a Gemini CLI user writes it.
[[rule]]
toolName = "run_shell_command"
commandPrefix = "git status"
decision = "allow"
priority = 100

[[rule]]
toolName = ["write_file", "replace"]
decision = "ask_user"
priority = 10
modes = ["default", "autoEdit"]

[[rule]]
mcpName = "my-jira-server"
toolName = "search"
decision = "allow"
priority = 200

[[rule]]
mcpName = "untrusted-server"
decision = "deny"
priority = 500
denyMessage = "This server is not trusted by the admin."

[[rule]]
toolName = "run_shell_command"
commandRegex = "git (commit|push)"
decision = "ask_user"
priority = 10
interactive = true
allowRedirection = false

[[rule]]
toolName = "read_file"
argsPattern = '"file_path":"[^"]*\\.env"'
decision = "deny"
priority = 300
subagent = "codebase_investigator"
toolAnnotations = { readOnlyHint = true }
"""


@pytest.mark.parametrize(
    ("tool", "args", "mode", "expected"),
    [
        ("run_shell_command", {"command": "git status"}, "default", "allow"),
        ("write_file", {"file_path": "a.py", "content": ""}, "auto_edit", "ask_user"),
        ("mcp_my-jira-server_search", {}, "default", "allow"),
        ("mcp_untrusted-server_anything", {}, "default", "deny"),
        ("run_shell_command", {"command": "git push origin"}, "default", "ask_user"),
        ("read_file", {"file_path": "x/.env"}, "default", "allow"),  # subagent rule only
    ],
)
def test_gemini_file_loads_unchanged(
    tmp_path: Path, tool: str, args: dict[str, object], mode: str, expected: str
) -> None:
    from jupyter_plan.policy.engine import PolicyEngine

    path = tmp_path / "gemini.toml"
    path.write_text(GEMINI_FILE)
    engine = PolicyEngine(load_rules([*builtin_files(), PolicyFile(str(path), Tier.USER)]))
    assert engine.decide(tool, args, mode).decision.value == expected
