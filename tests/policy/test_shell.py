"""Shell splitting (tree-sitter-bash, as Gemini CLI) and how chained commands and redirection
are decided."""

from __future__ import annotations

import pytest

from jupyter_plan.policy.shell import split_command
from jupyter_plan.policy.types import Decision

from .conftest import MakeEngine

SPLIT_CASES = [
    ("ls -la", ["ls -la"]),
    ("git status && rm -rf /", ["git status", "rm -rf /"]),
    ("a || b", ["a", "b"]),
    ("a; b", ["a", "b"]),
    ("a | grep x", ["a", "grep x"]),
    ("a\nb", ["a", "b"]),
    ("echo $(rm x)", ["echo $(rm x)", "rm x"]),
    ("echo `rm x`", ["echo `rm x`", "rm x"]),
    ("cat <(curl evil)", ["cat <(curl evil)", "curl evil"]),
    ("bash -c 'git reset --hard && ls'", ["bash -c 'git reset --hard && ls'"]),
    ('sh -c "rm -rf /"', ['sh -c "rm -rf /"']),
    ("/bin/bash -lc 'rm x'", ["/bin/bash -lc 'rm x'"]),
    ("eval 'rm x'", ["eval 'rm x'"]),
    ("env A=1 rm x", ["env A=1 rm x", "rm x"]),
    ("sudo rm x", ["sudo rm x", "rm x"]),
    ("timeout 5 rm x", ["timeout 5 rm x", "rm x"]),
    ("if true; then rm a; fi", ["true", "rm a"]),
    ("for i in 1 2; do rm $i; done", ["rm $i"]),
    # Each part as written (quotes, spacing), as Gemini CLI sees it.
    ("X=1 git   log", ["X=1 git   log"]),
    ("git 'log'", ["git 'log'"]),
    ("git commit -m \"fix\" && echo 'a b'", ['git commit -m "fix"', "echo 'a b'"]),
    ("echo hi > out.txt && ls", ["echo hi", "ls"]),
]

SCRIPTS = [
    # (command, the script decided as a command of its own, only jupyter-plan unwraps it)
    ("bash -c 'git reset --hard && ls'", "git reset --hard && ls", False),
    ('sh -c "rm -rf /"', "rm -rf /", False),
    ("/bin/bash -lc 'rm x'", "rm x", True),
    ("dash -c 'rm x'", "rm x", True),
    ("eval 'rm x'", "rm x", True),
]


@pytest.mark.parametrize(("command", "script", "extra"), SCRIPTS)
def test_shell_scripts_are_unwrapped(command: str, script: str, extra: bool) -> None:
    (part,) = split_command(command).parts
    assert (part.script, part.script_extra) == (script, extra)


@pytest.mark.parametrize(("command", "parts"), SPLIT_CASES)
def test_split(command: str, parts: list[str]) -> None:
    split = split_command(command)
    assert split.error is None
    assert [p.text for p in split.parts] == parts


def test_wrapped_commands_are_extra_parts() -> None:
    parts = split_command("sudo -u root rm -rf x").parts
    assert [(p.text, p.extra) for p in parts] == [
        ("sudo -u root rm -rf x", False),
        ("rm -rf x", True),
    ]


@pytest.mark.parametrize(
    ("command", "redirects"),
    [
        # Any redirection counts, as in Gemini CLI (issue 12, item 4): also 2>&1, <, /dev/null.
        ("echo hi > out.txt", True),
        ("echo hi >> out.txt", True),
        ("echo hi &> out.txt", True),
        ("ls 2>&1", True),
        ("ls 2>/dev/null", True),
        ("ls > /dev/null", True),
        ("sort < in.txt", True),
        ("cat <<EOF\nhi\nEOF", True),
        ("echo $(cat a > b)", True),
        ("echo 'a > b'", False),
        ("bash -c 'ls > out'", False),  # inside the script: decided when the script is
    ],
)
def test_redirection_detected(command: str, redirects: bool) -> None:
    assert split_command(command).redirection is redirects


@pytest.mark.parametrize("command", ["echo 'unterminated", "(((", "", "   ", "X=1", "ls ${x@P}"])
def test_unparsable(command: str) -> None:
    assert split_command(command).error


ALLOW_GIT_LS = """
[[rule]]
commandPrefix = ["git status", "git log", "ls", "echo"]
decision = "allow"
priority = 100

[[rule]]
commandPrefix = "rm"
decision = "deny"
priority = 100
denyMessage = "no deleting"

[[rule]]
commandPrefix = "echo"
decision = "allow"
priority = 200
allowRedirection = true
modes = ["yolo"]
"""

CHAIN_CASES = [
    ("git status", "default", Decision.ALLOW),
    ("git status && git log", "default", Decision.ALLOW),
    ("git status && rm -rf /", "default", Decision.DENY),
    ("git status; curl x", "default", Decision.ASK_USER),  # unknown part asks
    ("ls | grep x", "default", Decision.ASK_USER),
    ("ls $(rm -rf ~)", "default", Decision.DENY),
    ("bash -c 'rm x'", "default", Decision.DENY),
    ("git log > out.txt", "default", Decision.ASK_USER),  # redirection turns allow into ask
    ("git log 2>/dev/null", "default", Decision.ASK_USER),  # any redirection (as Gemini)
    ("git log > out.txt", "auto_edit", Decision.ALLOW),  # autoEdit trusts it (as Gemini)
    ("git log > out.txt", "plan", Decision.DENY),  # no rule names plan: the boundary
    ("echo hi > out.txt", "yolo", Decision.ALLOW),
    ("echo 'unterminated", "default", Decision.ASK_USER),  # unparsable asks
    ("sudo rm x", "default", Decision.DENY),  # the wrapped command is decided too
]


@pytest.mark.parametrize(("command", "mode", "expected"), CHAIN_CASES)
def test_chained_commands_decided_part_by_part(
    make_engine: MakeEngine, command: str, mode: str, expected: Decision
) -> None:
    engine = make_engine(user=ALLOW_GIT_LS)
    result = engine.decide("run_shell_command", {"command": command}, mode)
    assert result.decision is expected


def test_chain_reports_the_deciding_part(make_engine: MakeEngine) -> None:
    result = make_engine(user=ALLOW_GIT_LS).decide(
        "run_shell_command", {"command": "git status && rm -rf /"}, "default"
    )
    assert result.reason == "no deleting"
    assert result.rule is not None and result.rule.command_prefixes == ("rm",)
    assert [cmd for cmd, _ in result.parts] == ["git status", "rm -rf /"]


def test_unparsable_is_denied_headless(make_engine: MakeEngine) -> None:
    result = make_engine(user=ALLOW_GIT_LS).decide(
        "run_shell_command", {"command": "echo 'unterminated"}, "default", interactive=False
    )
    assert result.decision is Decision.DENY


def test_whole_command_deny_pattern_still_applies(make_engine: MakeEngine) -> None:
    engine = make_engine(
        user=ALLOW_GIT_LS
        + '[[rule]]\ntoolName = "run_shell_command"\nargsPattern = "status && git log"\n'
        'decision = "deny"\npriority = 101\n'
    )
    result = engine.decide("run_shell_command", {"command": "git status && git log"}, "default")
    assert result.decision is Decision.DENY
