"""Compare our decision with Gemini CLI's on the same policy files and calls.

A disagreement is accepted only when ours is stricter and the decision names, in
``stricter``, rows of the "Differences from Gemini CLI" table in docs/policy.md: the one
place the allowed differences are listed (each with an example and the reason).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, load_rules
from jupyter_plan.policy.types import SEVERITY, TOOL_KINDS, Decision, Mode, Tier, ToolKind

from ..gemini_oracle.client import Oracle

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
GEMINI_MODE = {
    Mode.DEFAULT: "default",
    Mode.AUTO_EDIT: "autoEdit",
    Mode.PLAN: "plan",
    Mode.YOLO: "yolo",
}


def documented_differences() -> dict[str, str]:
    """id -> row text, from the table under "## Differences from Gemini CLI"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Differences from Gemini CLI", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \|(.*)$", section, flags=re.MULTILINE)
    return {key: row for key, row in rows}


@dataclass
class Tally:
    """Agreement counts for one suite (shown in pytest's summary)."""

    total: int = 0
    agree: int = 0
    explained: Counter[str] = field(default_factory=Counter)

    def line(self, name: str) -> str:
        pct = 100.0 * self.agree / self.total if self.total else 0.0
        why = ", ".join(f"{k} {v}" for k, v in self.explained.most_common())
        return f"{name}: {self.agree}/{self.total} agree ({pct:.1f}%)" + (
            f"; stricter: {why}" if why else ""
        )


TALLIES: dict[str, Tally] = {}


@dataclass
class Case:
    tool: str
    args: dict[str, Any]
    mode: Mode
    interactive: bool = True


def annotations_of(tool: str) -> dict[str, Any]:
    kind = TOOL_KINDS.get(tool, ToolKind.OTHER)
    return {"readOnlyHint": kind in (ToolKind.READ, ToolKind.INTERACT)}


def compare(
    oracle: Oracle,
    files: list[tuple[str, str]],
    cases: list[Case],
    suite: str,
    plan_dir: Path,
) -> list[str]:
    """Decide every case both ways; return the unexplained disagreements (none: all good)."""
    engine = PolicyEngine(
        load_rules(
            PolicyFile(f"<{tier}-{i}>", Tier[tier.upper()], text)
            for i, (tier, text) in enumerate(files)
        ),
        plan_dir=plan_dir,
    )
    calls = [
        {
            "tool": c.tool,
            "args": c.args,
            "mode": GEMINI_MODE[c.mode],
            "interactive": c.interactive,
            "annotations": annotations_of(c.tool),
        }
        for c in cases
    ]
    theirs, errors = oracle.decide(files, calls)
    real_errors = [e for e in errors if e["severity"] != "warning"]
    assert not real_errors, (
        f"Gemini refused a policy file the test meant to be valid: {real_errors}"
    )
    documented = documented_differences()
    tally = TALLIES.setdefault(suite, Tally())
    problems = []
    for case, gemini in zip(cases, theirs, strict=True):
        assert gemini.get("decision"), f"the oracle failed on {case}: {gemini}"
        ours = engine.decide(case.tool, case.args, case.mode, interactive=case.interactive)
        expected = Decision(gemini["decision"])
        if not case.interactive and expected is Decision.ASK_USER:
            expected = Decision.DENY  # Gemini CLI refuses to ask when non-interactive
        tally.total += 1
        if ours.decision is expected:
            tally.agree += 1
            continue
        ids = [s.value for s in ours.stricter]
        stricter = SEVERITY[ours.decision] > SEVERITY[expected]
        if stricter and ids and all(i in documented for i in ids):
            tally.explained.update(ids)
            continue
        problems.append(
            f"{case.tool} {case.args} in {case.mode.value} (interactive={case.interactive}): "
            f"ours {ours.decision.value} ({ours.reason}; stricter={ids}), Gemini "
            f"{expected.value} (rule {gemini.get('ruleDecision')} at {gemini.get('priority')})"
            f"\n  rules: {files}"
        )
    return problems
