"""Differential test: our decisions against Gemini CLI's own engine on the same rules and calls.

(a) cases translated from Gemini CLI's policy tests (policy-engine, toml-loader, shell
safety), each a policy file and the calls its test made; (b) random rule sets and calls
(hypothesis), outside and inside plan mode. Every disagreement must be ours being stricter
for a reason named in docs/policy.md ("Differences from Gemini CLI"); the agreement is
printed in pytest's summary. Gemini's shell heuristics are off in the oracle.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_plan.policy.types import Mode, Stricter

from ..gemini_oracle.client import Oracle, oracle_or_skip
from .gemini_compare import Case, compare, documented_differences

PLAN_DIR = Path(tempfile.mkdtemp(prefix="jp-diff-")) / "plans"
PLAN_DIR.mkdir()
D, A, P, Y = Mode.DEFAULT, Mode.AUTO_EDIT, Mode.PLAN, Mode.YOLO
SHELL = "run_shell_command"


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    yield from oracle_or_skip()


def sh(command: str, mode: Mode = D, interactive: bool = True) -> Case:
    return Case(SHELL, {"command": command}, mode, interactive)


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def rule(**fields: object) -> str:
    fields.setdefault("priority", 100)
    body = "\n".join(f"{k} = {toml_value(v)}" for k, v in fields.items())
    return f"[[rule]]\n{body}\n"


# -- (a) translated from Gemini CLI's own tests ---------------------------------------------

GIT_LOG = rule(toolName=SHELL, commandPrefix="git log", decision="allow")
TRANSLATED: list[tuple[str, list[tuple[str, str]], list[Case]]] = [
    # policy-engine.test: check
    (
        "match by name",
        [("user", rule(toolName="read_file", decision="deny"))],
        [Case("read_file", {}, D), Case("glob", {}, D)],
    ),
    (
        "args pattern",
        [("user", rule(toolName="write_file", argsPattern='"file_path":"/etc', decision="deny"))],
        [
            Case("write_file", {"file_path": "/etc/passwd", "content": "x"}, D),
            Case("write_file", {"file_path": "notes.md", "content": "x"}, D),
        ],
    ),
    (
        "priority",
        [
            (
                "user",
                rule(toolName="glob", decision="allow", priority=10)
                + rule(toolName="glob", decision="deny", priority=20),
            )
        ],
        [Case("glob", {}, D)],
    ),
    (
        "legacy alias",
        [("user", rule(toolName="search_file_content", decision="deny"))],
        [Case("grep_search", {"pattern": "x"}, D)],
    ),
    (
        "wildcard rule",
        [("user", rule(toolName="*", decision="allow", priority=1))],
        [Case("anything", {}, D), Case("read_file", {}, P)],
    ),
    (
        "non-interactive",
        [("user", rule(toolName="glob", decision="ask_user"))],
        [Case("glob", {}, D, False), Case("other", {}, D, False)],
    ),
    (
        "rule modes",
        [("user", rule(toolName="edit_cell", decision="allow", modes=["autoEdit"]))],
        [Case("edit_cell", {}, D), Case("edit_cell", {}, A), Case("edit_cell", {}, Y)],
    ),
    ("yolo default allow", [], [Case("edit_cell", {}, Y), sh("ls && rm x", Y)]),
    (
        "yolo keeps deny",
        [("user", rule(toolName="edit_cell", decision="deny"))],
        [Case("edit_cell", {}, Y)],
    ),
    (
        "yolo unparsable, restricted rule",
        [("user", rule(toolName=SHELL, commandPrefix="echo", decision="allow"))],
        [sh("echo 'unterminated", Y), sh("echo &&& x", Y)],
    ),
    # MCP wildcards
    (
        "mcp wildcards",
        [
            (
                "user",
                rule(toolName="mcp_*", decision="ask_user", priority=1)
                + rule(toolName="mcp_jira_*", decision="allow", priority=5)
                + rule(toolName="mcp_jira_delete", decision="deny", priority=9),
            )
        ],
        [
            Case("mcp_jira_search", {}, D),
            Case("mcp_jira_delete", {}, D),
            Case("mcp_git_log", {}, D),
            Case("mcp_jirax_search", {}, D),
            Case("jira_search", {}, D),
        ],
    ),
    (
        "mcpName",
        [
            (
                "user",
                rule(mcpName="jira", toolName="search", decision="allow")
                + rule(mcpName="*", toolName="*", decision="deny", priority=1),
            )
        ],
        [Case("mcp_jira_search", {}, D), Case("mcp_git_log", {}, D), Case("read_file", {}, D)],
    ),
    # complex scenarios
    (
        "quotes in commandPrefix",
        [("user", rule(toolName=SHELL, commandPrefix='git commit -m "fix"', decision="allow"))],
        [sh('git commit -m "fix"'), sh('git commit -m "fix" --amend'), sh("git commit -m fix")],
    ),
    (
        "property order",
        [("user", rule(toolName="x_tool", argsPattern='"a":1.*"b":2', decision="deny"))],
        [Case("x_tool", {"b": 2, "a": 1}, D)],
    ),
    (
        "nested args",
        [
            (
                "user",
                rule(toolName="x_tool", argsPattern='"outer":\\{"a":1,"b":2\\}', decision="deny"),
            )
        ],
        [Case("x_tool", {"outer": {"b": 2, "a": 1}}, D)],
    ),
    (
        "redirection",
        [("user", GIT_LOG)],
        [
            sh("git log > out.txt"),
            sh("git log 2>&1"),
            sh("git log < in"),
            sh("git log > /dev/null"),
            sh("echo '>'"),
            sh("git log > out.txt", A),
            sh("git log > out.txt", Y),
            sh("git log > out", D, False),
        ],
    ),
    (
        "allowRedirection",
        [
            (
                "user",
                rule(
                    toolName=SHELL, commandPrefix="git log", decision="allow", allowRedirection=True
                ),
            )
        ],
        [sh("git log > out.txt"), sh("git log > out.txt && git log"), sh("git log > a && ls > b")],
    ),
    (
        "deny with redirection headless",
        [("user", rule(toolName=SHELL, commandPrefix="rm", decision="deny"))],
        [sh("rm x > out", D, False), sh("ls && rm x", D, False)],
    ),
    (
        "compound deny",
        [
            (
                "user",
                GIT_LOG + rule(toolName=SHELL, commandPrefix="rm", decision="deny", priority=50),
            )
        ],
        [
            sh("git log && rm -rf /"),
            sh("git log; rm -rf /"),
            sh("git log || rm -rf /"),
            sh("git log | rm -rf /"),
            sh("git log &&& rm -rf /"),
            sh("git log $(rm -rf /)"),
            sh("git log `rm -rf /`"),
            sh("git log <(rm -rf /)"),
            sh("git log >(rm -rf /)"),
            sh("git log --arg=$(rm -rf /)"),
            sh("git log && echo $(git log | rm -rf /)"),
        ],
    ),
    (
        "prefix word boundary",
        [("user", GIT_LOG)],
        [
            sh("git log"),
            sh("git log --oneline"),
            sh("git logout"),
            sh("git  log"),
            sh(" git log"),
            sh("git log\tx"),
        ],
    ),
    (
        "ask aggregates",
        [
            (
                "user",
                rule(toolName=SHELL, commandPrefix="git status", decision="allow")
                + rule(toolName=SHELL, commandPrefix="unknown", decision="ask_user"),
            )
        ],
        [sh("git status && unknown"), sh("git status && other"), sh("unknown && other")],
    ),
    (
        "substitution allowed inside",
        [("user", rule(toolName=SHELL, commandPrefix=["echo", "git log"], decision="allow"))],
        [sh("echo $(git log)"), sh("git log && echo $(git log)"), sh("echo $(rm x)")],
    ),
    (
        "bash -c",
        [
            (
                "user",
                rule(toolName=SHELL, commandPrefix="bash", decision="allow")
                + rule(toolName=SHELL, commandPrefix="rm", decision="deny"),
            )
        ],
        [
            sh("bash -c 'rm x'"),
            sh('bash -c "echo hi"'),
            sh("sh -c 'ls' && rm y"),
            sh("bash -lc 'rm x'"),
        ],
    ),
    (
        "commandRegex",
        [
            (
                "user",
                rule(toolName=SHELL, commandRegex="ls|cat", decision="deny")
                + rule(toolName=SHELL, commandRegex="^rm", decision="deny"),
            )
        ],
        [sh("echo cat"), sh("rm x"), sh("ls -la"), sh("cat x")],
    ),
    (
        "interactive field",
        [
            (
                "user",
                rule(toolName="glob", decision="allow", interactive=True)
                + rule(toolName="glob", decision="deny", interactive=False, priority=1),
            )
        ],
        [Case("glob", {}, D, True), Case("glob", {}, D, False)],
    ),
    (
        "annotations",
        [
            (
                "user",
                rule(
                    toolName="*",
                    toolAnnotations={"readOnlyHint": True},
                    decision="allow",
                    priority=5,
                ),
            )
        ],
        [Case("read_file", {}, D), Case("edit_cell", {}, D)],
    ),
    # toml-loader.test: fields as Gemini accepts them
    (
        "spellings",
        [
            (
                "user",
                '[[rule]]\nname = "x"\ntoolName = "run_shell_command"\ncommandPrefix = "ls"\n'
                'decision = "allow"\npriority = 10.0\nallow_redirection = true\n'
                '[[rule]]\ntoolName = "glob"\ndecision = "deny"\npriority = 5\n'
                'deny_message = "no"\n',
            )
        ],
        [sh("ls > out"), Case("glob", {}, D)],
    ),
    (
        "array toolName and prefix list",
        [
            (
                "user",
                rule(toolName=["glob", "read_file"], decision="deny")
                + rule(toolName=SHELL, commandPrefix=["git status", "ls"], decision="allow"),
            )
        ],
        [Case("glob", {}, D), Case("read_file", {}, D), sh("ls"), sh("git status"), sh("git push")],
    ),
    (
        "empty modes",
        [("user", rule(toolName="glob", decision="deny", modes=[]))],
        [Case("glob", {}, P), Case("glob", {}, Y)],
    ),
    (
        "tiers",
        [
            ("workspace", rule(toolName="glob", decision="deny", priority=999)),
            ("user", rule(toolName="glob", decision="allow", priority=0)),
            ("admin", rule(toolName="read_file", decision="deny", priority=0)),
            ("user", rule(toolName="read_file", decision="allow", priority=999)),
        ],
        [Case("glob", {}, D), Case("read_file", {}, D)],
    ),
    (
        "plan mode like Gemini's plan.toml",
        [
            (
                "user",
                rule(toolName="*", decision="deny", priority=40, modes=["plan"])
                + rule(toolName="read_file", decision="allow", priority=50)
                + rule(
                    toolName=["write_file", "replace"],
                    decision="allow",
                    priority=70,
                    modes=["plan"],
                    argsPattern='\\x00"file_path":"[\\w-]+\\.md"\\x00',
                ),
            )
        ],
        [
            Case("read_file", {"file_path": "a"}, P),
            Case("write_file", {"file_path": "plan.md", "content": "x"}, P),
            Case("write_file", {"file_path": "../x.md", "content": "x"}, P),
            sh("ls", P),
            Case("edit_cell", {}, P),
        ],
    ),
    (
        "build files ask",
        [("user", rule(toolName="write_file", decision="allow"))],
        [
            Case("write_file", {"file_path": "Makefile", "content": "x"}, D),
            Case("write_file", {"file_path": "sub/package.json", "content": "x"}, Y),
            Case("write_file", {"file_path": "a.md", "content": "x"}, Y),
        ],
    ),
]


@pytest.mark.parametrize(
    ("files", "cases"), [t[1:] for t in TRANSLATED], ids=[t[0] for t in TRANSLATED]
)
def test_translated_from_gemini_tests(
    oracle: Oracle, files: list[tuple[str, str]], cases: list[Case]
) -> None:
    suite = "translated, plan mode" if any(c.mode is P for c in cases) else "translated"
    plan = [c for c in cases if c.mode is P]
    other = [c for c in cases if c.mode is not P]
    problems = []
    if other:
        problems += compare(oracle, files, other, "translated, outside plan mode", PLAN_DIR)
    if plan:
        problems += compare(oracle, files, plan, "translated, inside plan mode", PLAN_DIR)
    assert not problems, suite + ":\n" + "\n".join(problems)


# -- (b) random rule sets and calls ---------------------------------------------------------

TOOLS = [
    "read_file",
    "glob",
    "grep_search",
    "write_file",
    "replace",
    SHELL,
    "edit_cell",
    "run_cell",
    "mcp_jira_search",
    "mcp_jira_create",
    "mcp_git_log",
    "ask_user",
    "unknown_tool",
]
TOOL_NAMES = [*TOOLS, "*", "mcp_*", "mcp_jira_*", "read_*", "*_cell", "search_file_content"]
PATTERNS = [
    '"file_path":"[^"]*\\.md"',
    '\\x00"file_path":"[\\w-]+\\.md"\\x00',
    "rm",
    "secret",
    '^\\{"',
    '"cell_id":"a',
    "git",
    '"q":"b',
    "\\.\\./",
    '\\x00"command":"git',
]
PREFIXES = [
    "git",
    "git log",
    "git ",
    "ls",
    "rm",
    "echo 'a b'",
    'git commit -m "fix"',
    "cat",
    "npm test",
    "sudo",
]
REGEXES = ["git (log|status)", "ls|cat", "^rm", "rm .*", ".*&&.*", "echo .*", "[a-z]+ -"]
WORDS = [
    "git log",
    "git status",
    "git  log",
    "ls -la",
    "rm -rf x",
    "cat a",
    "echo 'a b'",
    'git commit -m "fix"',
    "npm test",
    "sudo rm x",
    "env A=1 rm x",
    "echo $(rm x)",
    "bash -c 'rm x'",
    "timeout 5 ls",
    "git logout",
]
PATHS = ["plan.md", "notes.md", "../x.md", "/etc/passwd", "sub/a.md", "secret.txt", "a b.md"]

modes_st = st.none() | st.lists(
    st.sampled_from(["default", "autoEdit", "plan", "yolo"]), unique=True, max_size=3
)


@st.composite
def rules_st(draw: st.DrawFn) -> str:
    fields: dict[str, object] = {}
    kind = draw(st.sampled_from(["name", "name", "args", "prefix", "regex", "mcp"]))
    if kind in ("prefix", "regex"):
        fields["toolName"] = SHELL
        if kind == "prefix":
            fields["commandPrefix"] = draw(
                st.sampled_from(PREFIXES)
                | st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=3)
            )
        else:
            fields["commandRegex"] = draw(st.sampled_from(REGEXES))
    elif kind == "mcp":
        fields["mcpName"] = draw(st.sampled_from(["jira", "git", "*"]))
        fields["toolName"] = draw(st.sampled_from(["search", "*", "log"]))
    else:
        fields["toolName"] = draw(
            st.sampled_from(TOOL_NAMES)
            | st.lists(st.sampled_from(TOOL_NAMES), min_size=1, max_size=3, unique=True)
        )
        if kind == "args":
            fields["argsPattern"] = draw(st.sampled_from(PATTERNS))
    fields["decision"] = draw(st.sampled_from(["allow", "deny", "ask_user"]))
    fields["priority"] = draw(st.sampled_from([0, 10, 100, 500, 999]) | st.integers(0, 999))
    modes = draw(modes_st)
    if modes is not None:
        fields["modes"] = modes
    if draw(st.integers(0, 5)) == 0:
        fields["interactive"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        fields["allowRedirection"] = True
    if draw(st.integers(0, 8)) == 0:
        fields["toolAnnotations"] = {"readOnlyHint": draw(st.booleans())}
    return rule(**fields)


@st.composite
def command_st(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
    ops = [draw(st.sampled_from([" && ", " || ", "; ", " | "])) for _ in parts[1:]]
    text = parts[0] + "".join(op + p for op, p in zip(ops, parts[1:], strict=True))
    redirect = draw(
        st.sampled_from(["", "", "", " > out.txt", " 2>&1", " < in.txt", " > /dev/null"])
    )
    return text + redirect


@st.composite
def call_st(draw: st.DrawFn, modes: list[Mode]) -> Case:
    tool = draw(st.sampled_from(TOOLS))
    args: dict[str, object]
    if tool == SHELL:
        args = {"command": draw(command_st())}
    elif tool in ("read_file", "write_file", "replace"):
        args = {"file_path": draw(st.sampled_from(PATHS))}
        if tool == "write_file":
            args["content"] = draw(st.sampled_from(["# Plan", "secret", "rm -rf"]))
    elif tool in ("edit_cell", "run_cell"):
        args = {"cell_id": draw(st.sampled_from(["a1", "b2"])), "source": "x = 1"}
    else:
        args = {"q": draw(st.sampled_from(["bug", "rm", "../x"]))}
    return Case(tool, args, draw(st.sampled_from(modes)), draw(st.integers(0, 6)) != 0)


def policy_st(modes: list[Mode]) -> st.SearchStrategy[tuple[list[tuple[str, str]], list[Case]]]:
    files = st.lists(
        st.tuples(
            st.sampled_from(["workspace", "user", "admin"]),
            st.lists(rules_st(), min_size=1, max_size=5).map("".join),
        ),
        min_size=1,
        max_size=3,
    )
    return st.tuples(files, st.lists(call_st(modes), min_size=8, max_size=16))


RANDOM = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@RANDOM
@given(policy=policy_st([D, A, Y]))
def test_random_rules_outside_plan_mode(
    oracle: Oracle, policy: tuple[list[tuple[str, str]], list[Case]]
) -> None:
    files, cases = policy
    problems = compare(oracle, files, cases, "random, outside plan mode", PLAN_DIR)
    assert not problems, "\n".join(problems)


@RANDOM
@given(policy=policy_st([P]))
def test_random_rules_inside_plan_mode(
    oracle: Oracle, policy: tuple[list[tuple[str, str]], list[Case]]
) -> None:
    files, cases = policy
    problems = compare(oracle, files, cases, "random, inside plan mode", PLAN_DIR)
    assert not problems, "\n".join(problems)


def test_every_stricter_reason_is_documented() -> None:
    documented = documented_differences()
    assert {s.value for s in Stricter} <= set(documented)
    for key, row in documented.items():
        cells = [c.strip() for c in row.split("|")]
        assert len([c for c in cells if c]) >= 3, f"{key}: needs a difference, an example and why"
