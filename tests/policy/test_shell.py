"""Shell splitting (bashlex) and how chained commands and redirection are decided."""

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
    (
        "bash -c 'git reset --hard && ls'",
        ["bash -c git reset --hard && ls", "git reset --hard", "ls"],
    ),
    ('sh -c "rm -rf /"', ["sh -c rm -rf /", "rm -rf /"]),
    ("/bin/bash -lc 'rm x'", ["/bin/bash -lc rm x", "rm x"]),
    ("eval 'rm x'", ["eval rm x", "rm x"]),
    ("env A=1 rm x", ["env A=1 rm x", "rm x"]),
    ("sudo rm x", ["sudo rm x", "rm x"]),
    ("timeout 5 rm x", ["timeout 5 rm x", "rm x"]),
    ("if true; then rm a; fi", ["true", "rm a"]),
    ("for i in 1 2; do rm $i; done", ["rm $i"]),
    ("X=1 git   log", ["git log"]),
    ("git 'log'", ["git log"]),
]


@pytest.mark.parametrize(("command", "parts"), SPLIT_CASES)
def test_split(command: str, parts: list[str]) -> None:
    split = split_command(command)
    assert split.error is None
    assert [p.text for p in split.parts] == parts


@pytest.mark.parametrize(
    ("command", "redirects"),
    [
        ("echo hi > out.txt", True),
        ("echo hi >> out.txt", True),
        ("echo hi &> out.txt", True),
        ("ls 2>&1", False),
        ("ls 2>/dev/null", False),
        ("ls > /dev/null", False),
        ("sort < in.txt", False),
        ("echo $(cat a > b)", True),
    ],
)
def test_redirection_detected(command: str, redirects: bool) -> None:
    split = split_command(command)
    assert any(p.redirects_output for p in split.parts) is redirects


@pytest.mark.parametrize("command", ["echo 'unterminated", "(((", "", "   ", "if then fi"])
def test_unparsable(command: str) -> None:
    split = split_command(command)
    assert split.error
    assert split.parts == ()


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
    ("echo hi > out.txt", "yolo", Decision.ALLOW),  # that rule sets allowRedirection
    ("git log 2>/dev/null", "default", Decision.ALLOW),
    ("echo 'unterminated", "default", Decision.ASK_USER),  # unparsable asks
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
    assert "rm -rf /" in result.reason and "no deleting" in result.reason
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
        'decision = "deny"\npriority = 1\n'
    )
    result = engine.decide("run_shell_command", {"command": "git status && git log"}, "default")
    assert result.decision is Decision.DENY
