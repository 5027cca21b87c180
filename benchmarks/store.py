"""The plan store at scale: ``%plan list`` and one sidebar ``state`` push at 10 / 1,000 / 5,000
plans, in a real kernel, and whether the kernel answers an execute request meanwhile.

    python benchmarks/store.py [--sizes 10,1000,5000] [--runs 3] [--keep DIR]

Plans are made with the real API (``PlanStore.save``): each has two revisions (one iterated,
one approved), four steps and the bench notebook as its ``notebook_path``, so every plan
belongs to the notebook whose panel asks for state (the sidebar's worst case). ``--keep DIR``
keeps the generated stores there and reuses them on the next run (5,000 plans take a while
to write, each file fsynced).

Figures, medians over ``--runs``, request to reply as this process sees it:
- ``%plan list``: the execute request's round trip.
- push: a panel's comm open (what the lab extension sends) to the ``state`` event.
- execute during push: ``1 + 1`` sent right after the comm open; its round trip, and
  whether its reply came before the ``state`` event (the kernel stayed responsive).
- ``PlanStore.list()`` in this process, for scale (no kernel, no messaging).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")

from jupyter_plan.models import Plan, ReviewDecision
from jupyter_plan.plan_format import parse_plan
from jupyter_plan.record.store import PlanStore
from jupyter_plan.session import apply_review, submit
from jupyter_plan.testing.lab import model_env, write_notebook
from jupyter_plan.testing.local_kernel import LocalKernel

NOTEBOOK = "bench.ipynb"
PLAN = """# Monthly revenue report {i}

## Objective
Clean the sales export and chart monthly revenue by region (run {i}).

## Steps
### S1. Load the data
Read `data/sales.csv` with three date formats parsed.
Verify: 1,204 rows, no NaT dates
### S2. Tidy the regions
Normalise region names (strip, title case, merge "N." into "North").
Verify: four regions
### S3. Fill the missing price
Use the product's median price.
Verify: no missing `unit_price`
### S4. Chart
One line per region, monthly totals, saved to reports/revenue.png.
Verify: the PNG exists

## Verification
Totals match the finance sheet for March.
"""


def make_store(plan_dir: Path, count: int) -> None:
    """``count`` plans through ``PlanStore``: drafted, iterated, revised, approved."""
    store = PlanStore(plan_dir)
    for i in range(count):
        markdown = PLAN.format(i=i)
        parsed = parse_plan(markdown)
        plan = Plan(id=store.new_id(parsed.title), title=parsed.title, goal=f"Report {i}")
        plan = plan.model_copy(update={"notebook_path": NOTEBOOK, "model": "openai/bench"})
        plan = submit(plan, markdown.replace("median", "mean"))
        plan = apply_review(plan, ReviewDecision(action="iterate", feedback="use the median"))
        plan = submit(plan, markdown, feedback="use the median")
        plan = plan.model_copy(update={"steps": parsed.steps})
        plan = apply_review(plan, ReviewDecision(action="approve", build_mode="auto_edit"))
        store.save(plan)


def project_for(root: Path, count: int) -> Path:
    """``root/plans-<count>``: a project with ``count`` plans (reused when already there)."""
    project = root / f"plans-{count}"
    done = project / ".jupyter_plan" / f".bench-{count}-complete"
    if not done.exists():
        if project.exists():
            raise SystemExit(f"{project} is incomplete (an interrupted run?): delete it")
        (project / ".jupyter_plan").mkdir(parents=True)
        write_notebook(project / NOTEBOOK, ["x = 1"])
        started = time.perf_counter()
        make_store(project / ".jupyter_plan" / "plans", count)
        print(f"  wrote {count} plans in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        done.touch()
    return project


def measure(project: Path, base: Path, runs: int) -> dict[str, float]:
    """Medians (seconds) of each figure for the store in ``project``; "answered" is the share
    of runs in which the execute reply came before the push."""
    lists, pushes, executes, answered, in_process = [], [], [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        PlanStore(project / ".jupyter_plan" / "plans").list()
        in_process.append(time.perf_counter() - started)
    with LocalKernel(project, model_env("http://127.0.0.1:9/v1", base)) as kernel:
        kernel.run("%load_ext jupyter_plan")
        for _ in range(runs):
            lists.append(kernel.run("%plan list").elapsed)
            comm_id, opened = kernel.open_panel(NOTEBOOK)
            probe = kernel.send("1 + 1")
            state = kernel.event(comm_id, "state")
            reply = kernel.wait(probe)
            pushes.append(state.at - opened)
            executes.append(reply.elapsed)
            answered.append(1.0 if reply.replied_at < state.at else 0.0)
            kernel.close_panel(comm_id)
    return {
        "list": statistics.median(lists),
        "push": statistics.median(pushes),
        "execute": statistics.median(executes),
        "answered": statistics.mean(answered),
        "in_process": statistics.median(in_process),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,5000", help="comma-separated plan counts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated stores here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="jp-bench-store-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        base = Path(tmp) / "env"
        base.mkdir()
        rows = []
        for count in sizes:
            project = project_for(root, count)
            rows.append((count, measure(project, base, args.runs)))
    print(f"{'plans':>6} {'%plan list':>11} {'push':>9} {'1+1 during push':>16} "
          f"{'answered first':>15} {'store.list()':>13}")  # fmt: skip
    for count, m in rows:
        print(
            f"{count:>6} {m['list'] * 1000:>8.0f} ms {m['push'] * 1000:>6.0f} ms "
            f"{m['execute'] * 1000:>13.0f} ms {m['answered']:>14.0%} "
            f"{m['in_process'] * 1000:>10.0f} ms"
        )


if __name__ == "__main__":
    main()
