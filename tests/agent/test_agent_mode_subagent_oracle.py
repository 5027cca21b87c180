"""``subagent`` rules decide as in Gemini CLI: checked against Gemini's own engine (the oracle).

A rule naming a sub-agent applies to that sub-agent's calls only; a rule naming none applies
to every agent's. Our sub-agent is ``investigate``; Gemini calls it ``codebase_investigator``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.agent.investigator import NAME, for_subagent
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, load_rules
from jupyter_plan.policy.types import Tier

from ..gemini_oracle.client import Oracle, oracle_or_skip

RULES = [
    'toolName = "read_file"\nsubagent = "codebase_investigator"\ndecision = "deny"\npriority = 5',
    'toolName = "read_file"\nsubagent = "other_agent"\ndecision = "allow"\npriority = 9',
    'toolName = "read_file"\ndecision = "allow"\npriority = 3',
    'toolName = "glob"\nsubagent = "codebase_investigator"\ndecision = "allow"\n'
    'modes = ["plan"]\npriority = 4',
    'toolName = "*"\nsubagent = "codebase_investigator"\ndecision = "ask_user"\npriority = 1',
]


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    yield from oracle_or_skip()


@pytest.mark.parametrize("count", [1, 2, 3])
def test_subagent_rules_agree_with_gemini(oracle: Oracle, tmp_path: Path, count: int) -> None:
    for chosen in itertools.combinations(RULES, count):
        text = "".join(f"[[rule]]\n{r}\n" for r in chosen)
        path = tmp_path / "user.toml"
        path.write_text(text)
        main = PolicyEngine(load_rules([PolicyFile(str(path), Tier.USER)]))
        engines = {None: main, "codebase_investigator": for_subagent(main, NAME)}
        calls: list[dict[str, Any]] = [
            {
                "tool": tool,
                "args": {"file_path": "a", "pattern": "*"},
                "mode": mode,
                "subagent": who,
            }
            for tool in ("read_file", "glob", "list_cells")
            for mode in ("default", "plan")
            for who in engines
        ]
        theirs, errors = oracle.decide([("user", text)], calls)
        assert errors == []
        for call, gemini in zip(calls, theirs, strict=True):
            ours = engines[call["subagent"]].decide(call["tool"], call["args"], call["mode"])
            if call["mode"] == "plan" and ours.decision.value != gemini["decision"]:
                assert ours.decision.value == "deny"  # our plan boundary is stricter (documented)
                continue
            assert ours.decision.value == gemini["decision"], (text, call)


def test_the_main_agent_is_never_a_subagent() -> None:
    main = PolicyEngine(load_rules([]))
    assert main.subagent == () and for_subagent(main, NAME).subagent == (
        "investigate",
        "codebase_investigator",
    )
    assert main.subagent == ()  # the copy did not change the caller's engine


def test_geminis_documented_rule_allows_investigate_in_plan_mode_only(
    oracle: Oracle, tmp_path: Path
) -> None:
    from jupyter_plan.policy.loader import builtin_files

    from .test_agent_mode_investigator import GEMINI_RULE

    path = tmp_path / "user.toml"
    path.write_text(GEMINI_RULE)
    (gemini,), errors = oracle.decide(
        [("user", GEMINI_RULE)], [{"tool": "codebase_investigator", "args": {}, "mode": "plan"}]
    )
    assert errors == [] and gemini["decision"] == "allow"
    with_rule = PolicyEngine(load_rules([*builtin_files(), PolicyFile(str(path), Tier.USER)]))
    without = PolicyEngine(load_rules(builtin_files()))
    assert with_rule.decide(NAME, {"question": "q"}, "plan").decision.value == "allow"
    assert without.decide(NAME, {"question": "q"}, "plan").decision.value == "deny"
    assert NAME not in without.visible_tools([NAME], "plan")
    assert without.decide(NAME, {"question": "q"}, "default").decision.value == "allow"
