"""Issue 12: each incompatibility found against Gemini CLI's engine, as a minimal policy + call."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from jupyter_plan.policy.audit import AuditLog
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import (
    PolicyError,
    PolicyFile,
    builtin_files,
    load_policy,
    load_rules,
)
from jupyter_plan.policy.types import Decision, Mode, Stricter, Tier, canonical_args

from ..gemini_oracle.client import oracle_dir
from .conftest import MakeEngine

ALLOW, DENY, ASK = Decision.ALLOW, Decision.DENY, Decision.ASK_USER
SHELL = "run_shell_command"


def shell(engine: PolicyEngine, command: str, mode: str = "default") -> Decision:
    return engine.decide(SHELL, {"command": command}, mode).decision


# 1. A quoted commandPrefix matches the command as typed (it never matched: quotes were lost).
def test_1_quoted_prefix_allows_and_denies(make_engine: MakeEngine) -> None:
    allow = make_engine(
        user='[[rule]]\ncommandPrefix = \'git commit -m "fix"\'\ndecision = "allow"\n'
    )
    assert shell(allow, 'git commit -m "fix"') is ALLOW
    deny = make_engine(user='[[rule]]\ncommandPrefix = "echo \'a b\'"\ndecision = "deny"\n')
    assert shell(deny, "echo 'a b'") is DENY  # as a deny rule it did nothing before
    assert shell(deny, "ls && echo 'a b' | wc") is DENY


# 2. commandRegex is searched in the JSON after `"command":"`, as in Gemini CLI.
def test_2_command_regex_semantics(make_engine: MakeEngine) -> None:
    engine = make_engine(
        user='[[rule]]\ncommandRegex = "ls|cat"\ndecision = "deny"\n'
        '[[rule]]\ncommandRegex = "^rm"\ndecision = "deny"\n'
    )
    assert shell(engine, "echo cat") is DENY  # `"command":"ls` or `cat` anywhere
    assert shell(engine, "rm x") is ASK  # `^` is the start of the JSON: never matches


# 3. In plan mode a non-plan ask rule keeps its force over a lower plan rule that allows.
def test_3_plan_mode_non_plan_rules_tighten(make_engine: MakeEngine) -> None:
    engine = make_engine(
        user='[[rule]]\ntoolName = "run_shell_command"\ndecision = "ask_user"\npriority = 500\n'
        '[[rule]]\ncommandPrefix = "git log"\ndecision = "allow"\npriority = 100\n'
        'modes = ["plan"]\n'
    )
    result = engine.decide(SHELL, {"command": "git log"}, "plan")
    assert result.decision is ASK
    assert Stricter.PLAN_BOUNDARY not in result.stricter  # Gemini asks too
    # ... and may still never open the boundary by itself:
    only_ask = make_engine(user='[[rule]]\ntoolName = "run_cell"\ndecision = "ask_user"\n')
    assert only_ask.decide("run_cell", {}, "plan").decision is DENY


# 4. Redirection: any redirection asks in default (and is denied in plan); autoEdit/yolo trust it.
@pytest.mark.parametrize(
    "command", ["ls > out", "ls 2>&1", "ls > /dev/null", "sort < in", "cat <<E\nx\nE"]
)
def test_4_redirection_per_mode(make_engine: MakeEngine, command: str) -> None:
    engine = make_engine(
        user='[[rule]]\ncommandPrefix = ["ls", "sort", "cat"]\ndecision = "allow"\n'
        'modes = ["default", "autoEdit", "yolo", "plan"]\n'
    )
    assert shell(engine, command) is ASK
    assert shell(engine, command, "auto_edit") is ALLOW
    assert shell(engine, command, "yolo") is ALLOW
    assert shell(engine, command, "plan") is DENY


# 5. Gemini's valid spellings load; an unknown field is still an error naming file:line.
def test_5_gemini_spellings_load(make_engine: MakeEngine) -> None:
    engine = make_engine(
        user='[[rule]]\nname = "git reads"\ncommandPrefix = "git log"\ndecision = "allow"\n'
        "priority = 10.0\nallow_redirection = true\n"
        '[[rule]]\ntoolName = "glob"\ndecision = "deny"\npriority = 5\ndeny_message = "no globs"\n'
    )
    assert shell(engine, "git log > out") is ALLOW
    glob = engine.decide("glob", {}, "default")
    assert (glob.decision, glob.reason) == (DENY, "no globs")


def test_5_unknown_field_is_an_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[[rule]]\ntoolName = "glob"\ndecision = "allow"\ncommandPrefx = "rm"\n')
    with pytest.raises(PolicyError, match=r"p\.toml:4: field 'commandPrefx': unknown field"):
        load_rules([PolicyFile(str(path), Tier.USER)])


SHIPPED = oracle_dir() / "node_modules/@google/gemini-cli-core/dist/src/policy/policies"


@pytest.mark.skipif(not SHIPPED.is_dir(), reason="Gemini CLI's package is not installed")
def test_5_gemini_shipped_policies_load() -> None:
    names = sorted(p.name for p in SHIPPED.glob("*.toml"))
    policy_files = [n for n in names if n != "sandbox-default.toml"]  # a sandbox config
    loaded = load_policy(PolicyFile(str(SHIPPED / n), Tier.BUILTIN) for n in policy_files)
    assert len(loaded.rules) > 30 and {c.name for c in loaded.checkers} == {
        "allowed-path",
        "conseca",
    }
    assert any(r.name == "Allow invoke_agent" for r in loaded.rules)  # agents.toml, `name`
    with pytest.raises(PolicyError, match="unknown top-level key"):  # [[rules]] is not [[rule]]
        load_rules([PolicyFile(str(SHIPPED / "sandbox-default.toml"), Tier.BUILTIN)])


# 6. A trailing space or a double space in a command means what it means in Gemini CLI.
def test_6_prefix_spacing(make_engine: MakeEngine) -> None:
    engine = make_engine(
        user='[[rule]]\ncommandPrefix = "git "\ndecision = "allow"\n'
        '[[rule]]\ncommandPrefix = "git log"\ndecision = "allow"\n'
    )
    assert shell(engine, "git status") is ASK  # "git " needs another space after it
    assert shell(engine, "git  log") is ALLOW  # ... which "git  log" has (as in Gemini)
    only_log = make_engine(user='[[rule]]\ncommandPrefix = "git log"\ndecision = "allow"\n')
    assert shell(only_log, "git  log") is ASK


# 7. Canonical arguments carry Gemini's per-argument framing.
def test_7_per_argument_framing(make_engine: MakeEngine) -> None:
    assert canonical_args({"b": "c", "a": 1}) == '{\0"a":1\0,\0"b":"c"\0}'
    anchored = make_engine(
        user='[[rule]]\ntoolName = "x"\nargsPattern = \'^\\{"a"\'\ndecision = "allow"\n'
    )
    assert anchored.decide("x", {"a": 1}, "default").decision is ASK  # no match, as in Gemini
    framed = make_engine(
        user='[[rule]]\ntoolName = "x"\nargsPattern = \'\\x00"a":1\\x00\'\ndecision = "allow"\n'
    )
    assert framed.decide("x", {"a": 1}, "default").decision is ALLOW
    assert framed.decide("x", {"b": {"a": 1}}, "default").decision is ASK  # not top level


# 9. A malformed path is a refused call, never a crash.
@pytest.mark.parametrize("path", ["x.md\0.txt", "\ud800.md", "../\0"])
def test_9_malformed_paths_are_refused(tmp_path: Path, path: str) -> None:
    engine = PolicyEngine(
        load_rules(builtin_files()),
        plan_dir=tmp_path / "plans",
        config_paths=[tmp_path / ".jupyter_plan" / "settings.json"],
        workspace_root=tmp_path,
    )
    for mode in ("plan", "yolo"):
        result = engine.decide("write_file", {"file_path": path, "content": "x"}, mode)
        assert result.decision is DENY


# 10. Loading is linear in the number of rules.
def test_10_loading_is_linear() -> None:
    def seconds(n: int) -> float:
        text = "".join(
            f'[[rule]]\ntoolName = "t{i}"\ndecision = "deny"\npriority = 1\n' for i in range(n)
        )
        start = time.perf_counter()
        load_rules([PolicyFile("<x>", Tier.USER, text)])
        return time.perf_counter() - start

    seconds(200)  # warm up
    small, large = min(seconds(500) for _ in range(3)), min(seconds(5000) for _ in range(3))
    assert large < 30 * small  # quadratic loading was ~100x for 10x the rules


# The audit names the deciding rule, and says when the plan-mode boundary changed the outcome.
def test_audit_names_the_rule_and_the_boundary(make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = make_engine(
        user='[[rule]]\nname = "shell ok"\ntoolName = "run_shell_command"\ndecision = "allow"\n'
    )
    log = tmp_path / "audit.jsonl"
    engine.audit = AuditLog(log)
    engine.decide(SHELL, {"command": "ls"}, "default")
    engine.decide(SHELL, {"command": "ls"}, Mode.PLAN)
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert first["decision"] == "allow" and "'shell ok'" in first["rule"]
    assert first["source"].endswith("user.toml:1") and "plan_boundary" not in first
    assert second["decision"] == "deny"
    assert (
        "user rule at" in second["plan_boundary"]
        and "does not name plan" in second["plan_boundary"]
    )
    assert second["stricter_than_gemini"] == ["plan-boundary"]
