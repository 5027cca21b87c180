"""Policy engine figures: rule loading at 1,000 and 10,000 rules (linear), and the median
decision at 10, 100 and 1,000 rules, beside Gemini CLI's own engine on the same rules and
calls in the same run (when its package is installed: ./scripts/setup).

    .venv/bin/python benchmarks/policy.py

Rules are spread over many tool names (exact, wildcard, args and shell conditions), as a
large team policy would be; calls mix reads, edits, shell commands and unknown tools.

Measured on the 2-core machine, 2026-12-06 (two runs each):
- before the fast path (``policy/routes.py``), 100 rules, no shell: ours 4.5 / 5.1 µs, Gemini
  4.8 / 5.1 µs (and 6.7-10.9 µs against Gemini's 6.9-11.1 µs on a slower hour the day before);
- with it: ours 2.6 / 2.7 µs, Gemini 5.6 / 5.8 µs; 10 rules 1.1 µs (Gemini 3.1-3.4), 1,000
  rules 4.4-4.5 µs (Gemini 36-38). Loading: 66 / 680 ms at 1,000 / 10,000 rules (10.3x).
A call still costs its canonical arguments and one search per argument pattern; what the
rule walk would conclude from the set of patterns that matched is kept per tool and mode.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.js_regex import compile_js
from jupyter_plan.policy.loader import PolicyFile, load_rules
from jupyter_plan.policy.shell import split_command
from jupyter_plan.policy.types import TOOL_KINDS, Tier, ToolKind

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.gemini_oracle.client import Oracle, unavailable

TOOLS = [
    "read_file",
    "glob",
    "edit_cell",
    "insert_cell",
    "run_cell",
    "write_file",
    "run_shell_command",
    "list_cells",
    "grep_search",
    "mcp_jira_search",
]
GEMINI_MODE = {"plan": "plan", "default": "default", "auto_edit": "autoEdit", "yolo": "yolo"}


def policy_text(n: int, rng: random.Random) -> str:
    out = []
    for i in range(n):
        kind = i % 5
        decision = rng.choice(["allow", "deny", "ask_user"])
        priority = rng.randint(0, 999)
        if kind == 0:
            out.append(f'[[rule]]\ntoolName = "tool_{i}"\ndecision = "{decision}"\npriority = 1\n')
        elif kind == 1:
            out.append(
                f'[[rule]]\ntoolName = "{rng.choice(TOOLS)}"\nargsPattern = "p{i}x"\n'
                f'decision = "{decision}"\npriority = {priority}\n'
            )
        elif kind == 2:
            out.append(
                f'[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "cmd{i} sub"\n'
                f'decision = "{decision}"\npriority = {priority}\n'
            )
        elif kind == 3:
            out.append(
                f'[[rule]]\ntoolName = "mcp_s{i}_*"\ndecision = "{decision}"\npriority = 2\n'
            )
        else:
            out.append(
                f'[[rule]]\ntoolName = "{rng.choice(TOOLS)}"\ndecision = "{decision}"\n'
                f'priority = {priority}\nmodes = ["default", "autoEdit"]\n'
            )
    return "".join(out)


CALLS = [
    ("read_file", {"file_path": "data/sales.csv"}, "plan"),
    ("edit_cell", {"cell_id": "a1b2", "source": "df = df.dropna()\n" * 5}, "default"),
    ("run_cell", {"cell_id": "a1b2"}, "auto_edit"),
    ("run_shell_command", {"command": "git status"}, "default"),
    ("run_shell_command", {"command": "git log -3 && ls | wc -l"}, "default"),
    ("write_file", {"file_path": "plan.md", "content": "# Plan\n" * 50}, "plan"),
    ("mcp_jira_search", {"q": "bug"}, "default"),
    ("glob", {"pattern": "**/*.py"}, "yolo"),
]
NO_SHELL = [c for c in CALLS if c[0] != "run_shell_command"]


def load_ms(sizes: tuple[int, ...] = (1000, 10_000), rounds: int = 5) -> list[float]:
    """Best of ``rounds`` cold loads per size: ``re``'s own 512-pattern cache (and ours)
    emptied first, else 1,000 rules (fewer patterns than that) would be timed warm and 10,000
    cold. Sizes take turns, so a busy machine slows both alike, not one of them."""
    texts = [policy_text(n, random.Random(n)) for n in sizes]
    best = [float("inf")] * len(sizes)
    for _ in range(rounds):
        for i, (n, text) in enumerate(zip(sizes, texts, strict=True)):
            re.purge()
            compile_js.cache_clear()
            start = time.perf_counter()
            load_rules([PolicyFile(f"<bench-{n}>", Tier.USER, text)])
            best[i] = min(best[i], time.perf_counter() - start)
    return [b * 1000 for b in best]


def median_us(
    engine: PolicyEngine,
    calls: list[tuple[str, dict[str, object], str]],
    rounds: int = 3000,
    cold_shell: bool = False,
) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        for tool, args, mode in calls:
            if cold_shell:
                split_command.cache_clear()  # a command the agent has not run before
            t0 = time.perf_counter_ns()
            engine.decide(tool, args, mode)
            samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def gemini_median_us(
    oracle: Oracle | None, text: str, calls: list[tuple[str, dict[str, object], str]]
) -> str:
    if oracle is None:
        return "n/a"
    payload = [
        {
            "tool": t,
            "args": a,
            "mode": GEMINI_MODE[m],
            "annotations": {
                "readOnlyHint": TOOL_KINDS.get(t, ToolKind.OTHER)
                in (ToolKind.READ, ToolKind.INTERACT)
            },
        }
        for t, a, m in calls
    ]
    answer = oracle.request(
        {
            "files": [{"name": "bench.toml", "tier": 4, "text": text}],
            "calls": payload,
            "rounds": 2000,
        }
    )
    return f"{answer['median_us']:.1f}"


def main() -> None:
    small, large = load_ms()
    print(
        f"loading: 1,000 rules {small:.0f} ms, 10,000 rules {large:.0f} ms "
        f"({large / small:.1f}x; linear is 10x)"
    )
    why = unavailable()
    oracle = None if why else Oracle()
    if why:
        print(f"(Gemini CLI's engine not timed: {why})")
    plan_dir = Path(tempfile.mkdtemp())
    print(
        f"{'rules':>6} {'median µs, no shell':>20} {'Gemini µs, no shell':>20} "
        f"{'median µs, all':>15} {'Gemini µs, all':>15} {'p95 µs, all':>12} "
        f"{'new shell cmd µs':>17}"
    )
    try:
        for n in (10, 100, 1000):
            text = policy_text(n, random.Random(7))
            engine = PolicyEngine(
                load_rules([PolicyFile(f"<bench-{n}>", Tier.USER, text)]), plan_dir=plan_dir
            )
            med_plain, _ = median_us(engine, NO_SHELL)
            med_all, p95 = median_us(engine, CALLS)
            shell = [c for c in CALLS if c[0] == "run_shell_command"]
            med_cold, _ = median_us(engine, shell, rounds=300, cold_shell=True)
            g_plain = gemini_median_us(oracle, text, NO_SHELL)
            g_all = gemini_median_us(oracle, text, CALLS)
            print(
                f"{n:>6} {med_plain:>20.1f} {g_plain:>20} {med_all:>15.1f} {g_all:>15} "
                f"{p95:>12.1f} {med_cold:>17.1f}"
            )
    finally:
        if oracle is not None:
            oracle.close()


if __name__ == "__main__":
    main()
