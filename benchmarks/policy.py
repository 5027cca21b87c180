"""Median microseconds per policy decision at 10, 100 and 1,000 rules.

    python benchmarks/policy.py

Rules are spread over many tool names (exact, wildcard, args and shell conditions), as a
large team policy would be; calls mix reads, edits, shell commands and unknown tools.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, builtin_files, load_rules
from jupyter_plan.policy.shell import split_command
from jupyter_plan.policy.types import Tier

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


def policy_text(n: int, rng: random.Random) -> str:
    out = []
    for i in range(n):
        kind = i % 5
        decision = rng.choice(["allow", "deny", "ask_user"])
        priority = rng.randint(0, 999)
        if kind == 0:
            out.append(f'[[rule]]\ntoolName = "tool_{i}"\ndecision = "{decision}"\n')
        elif kind == 1:
            out.append(
                f'[[rule]]\ntoolName = "{rng.choice(TOOLS)}"\nargsPattern = "p{i}x"\n'
                f'decision = "{decision}"\npriority = {priority}\n'
            )
        elif kind == 2:
            out.append(
                f'[[rule]]\ncommandPrefix = "cmd{i} sub"\ndecision = "{decision}"\n'
                f"priority = {priority}\n"
            )
        elif kind == 3:
            out.append(f'[[rule]]\ntoolName = "mcp_s{i}_*"\ndecision = "{decision}"\n')
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


def main() -> None:
    rng = random.Random(7)
    plan_dir = Path(tempfile.mkdtemp())
    print(
        f"{'rules':>6} {'median µs, no shell':>20} {'median µs, all':>15} "
        f"{'p95 µs, all':>12} {'median µs, new shell cmd':>25}"
    )
    for n in (10, 100, 1000):
        files = [*builtin_files(), PolicyFile(f"<bench-{n}>", Tier.USER, policy_text(n, rng))]
        engine = PolicyEngine(load_rules(files), plan_dir=plan_dir)
        no_shell = [c for c in CALLS if c[0] != "run_shell_command"]
        med_plain, _ = median_us(engine, no_shell)
        med_all, p95 = median_us(engine, CALLS)
        shell = [c for c in CALLS if c[0] == "run_shell_command"]
        med_cold, _ = median_us(engine, shell, rounds=300, cold_shell=True)
        print(f"{n:>6} {med_plain:>20.1f} {med_all:>15.1f} {p95:>12.1f} {med_cold:>25.1f}")


if __name__ == "__main__":
    main()
