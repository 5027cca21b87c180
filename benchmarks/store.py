"""The plan store at scale: ``%plan list`` and one sidebar ``state`` push at 10 / 1,000 / 5,000
plans, in a real kernel, and whether the kernel answers an execute request meanwhile.

    python benchmarks/store.py [--sizes 10,1000,5000] [--runs 3] [--keep DIR]

Plans are made with the real API (``PlanStore.save``): each has two revisions (one iterated,
one approved), four steps and the bench notebook as its ``notebook_path``, so every plan
belongs to the notebook whose panel asks for state (the sidebar's worst case). ``--keep DIR``
keeps the generated stores there and reuses them on the next run (5,000 plans take a while
to write, each file fsynced).

Figures, medians over ``--runs``, request to reply as this process sees it:
- ``%plan list``: the execute request's round trip (the first one in the kernel reads the
  index file, ``first list``; the others only stat the plan files).
- push: a panel's comm open (as the lab extension sends it, announcing ``plans_delta``) to
  its ``state`` event, the first in the kernel (``first push``) and later ones. That state
  holds the newest 50 plans (``notebook/sidebar_push.py``); ``all plans``: from the comm
  open until the last ``plans`` page, when the panel holds every plan (first push).
- ``full state``: the same for a panel without ``plans_delta`` (an older extension), which
  gets every plan in its first ``state`` (later pushes in the kernel).
- execute during push: ``1 + 1`` sent right after the comm open; its round trip, and
  whether its reply came before the ``state`` event (the kernel stayed responsive).
- delta: a panel announcing ``plans_delta``; this process (a second kernel, as it were)
  saves one plan, then ``%plan mode auto_edit`` makes the kernel push: from that request to
  the ``plans`` event holding the one changed plan (what every push after the first costs).
- ``PlanStore.list()`` in this process, for scale (no kernel, no messaging): the old way.

Measured on the 2-core machine (shared with other work; medians of 3) at 10 / 1,000 / 5,000
plans. Before paging, the first push sent every plan: 77 / 251 / 1,094 ms (1,281 ms in an
earlier session; profiled at 5,000: reading each plan's revisions and validating it 0.8 s,
its JSON 0.4 s, 13.5 MB serialised 0.2 s, part of it on the kernel's loop). Now (ranges of
two runs, three at 5,000): first push 46-63 / 55-88 / 102-141 ms, later pushes 9-13 / 16-29
/ 66-83 ms, all plans loaded 46-63 / 225-314 / 1,503-1,838 ms (pages computed in the
worker, an execute request answered meanwhile: ``1+1`` 8-27 ms), a full state (no
``plans_delta``) 5-6 / 42-67 / 238-287 ms, ``%plan list`` 8-11 / 15-25 / 59-83 ms (before
12 / 17 / 55 ms).

2026-12-06, quiet machine (medians of 3): ``%plan list`` 9 / 17-20 / 54-59 ms, first push
40-43 / 55 / 88-111 ms, later pushes 11 / 18-20 / 50-59 ms, delta 9 / 22-23 / 80-90 ms, all
plans loaded 40-43 / 200-208 / 1,128-1,137 ms, ``1+1`` during a push 9-13 ms (answered
first in every run). The first ``%plan list`` in a kernel is 175-223 / 223 / 322 ms with the
index file there (mostly importing the magic's modules); when the store has never been listed
(just written by this script, or a fresh clone: ``.index/`` is not in git) that first list
parses every plan's front matter once and writes the index: 201 / 1,085 / 4,550 ms; 182 /
732 / 2,831 ms once the credentials were found once per listing, not three times per plan
(what remains is mostly libyaml building the front matter's Python objects, ~0.4 ms a plan).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")

from jupyter_plan.models import Plan, ReviewDecision
from jupyter_plan.plan_format import parse_plan
from jupyter_plan.record.store import PlanStore
from jupyter_plan.session import apply_review, submit
from jupyter_plan.testing.lab import model_env, write_notebook
from jupyter_plan.testing.local_kernel import CommEvent, LocalKernel

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
    lists, pushes, executes, answered, in_process, deltas = [], [], [], [], [], []
    loaded, full = [], []
    plan_dir = project / ".jupyter_plan" / "plans"
    for _ in range(runs):
        started = time.perf_counter()
        PlanStore(plan_dir).list()
        in_process.append(time.perf_counter() - started)
    with LocalKernel(project, model_env("http://127.0.0.1:9/v1", base)) as kernel:
        kernel.run("%load_ext jupyter_plan")
        for _ in range(runs + 1):
            lists.append(kernel.run("%plan list").elapsed)
            comm_id, opened = _open_delta_panel(kernel)
            probe = kernel.send("1 + 1")
            state = kernel.event(comm_id, "state")
            reply = kernel.wait(probe)
            pushes.append(state.at - opened)
            loaded.append(_loaded(kernel, comm_id, state) - opened)
            executes.append(reply.elapsed)
            answered.append(1.0 if reply.replied_at < state.at else 0.0)
            kernel.close_panel(comm_id)
        for _ in range(runs):
            comm_id, opened = kernel.open_panel(NOTEBOOK)  # no plans_delta: every plan at once
            full.append(kernel.event(comm_id, "state").at - opened)
            kernel.close_panel(comm_id)
        comm_id, _ = _open_delta_panel(kernel)
        _loaded(kernel, comm_id, kernel.event(comm_id, "state"))
        victim = PlanStore(plan_dir).scan()[0].plan
        assert victim is not None
        for run in range(runs):
            PlanStore(plan_dir).save(victim.model_copy(update={"goal": f"Changed {run}"}))
            sent = kernel.send(f"%plan mode {('auto_edit', 'default')[run % 2]}")
            delta = _delta(kernel, comm_id, f"Changed {run}")
            deltas.append(delta.at - sent.at)
            kernel.wait(sent)
        kernel.close_panel(comm_id)
    return {
        "first_list": lists[0],
        "list": statistics.median(lists[1:]),
        "first_push": pushes[0],
        "push": statistics.median(pushes[1:]),
        "loaded": loaded[0],
        "full": statistics.median(full),
        "execute": statistics.median(executes),
        "answered": statistics.mean(answered),
        "delta": statistics.median(deltas),
        "in_process": statistics.median(in_process),
    }


def _open_delta_panel(kernel: LocalKernel) -> tuple[str, float]:
    """A panel whose sidebar applies ``plans`` events (the ``plans_delta`` capability), as
    the lab extension opens it: ``(comm_id, sent at)``."""
    comm_id = uuid.uuid4().hex
    data = {"path": NOTEBOOK, "notebook_id": comm_id, "protocol": 1,
            "capabilities": ["edit", "run", "checkpoint", "plans_delta"]}  # fmt: skip
    content = {"comm_id": comm_id, "target_name": "jupyter_plan", "data": data}
    kc = kernel._kc  # the driver's client: the same channel open_panel uses
    msg = kc.session.msg("comm_open", content)
    at = time.perf_counter()
    kc.shell_channel.send(msg)
    return comm_id, at


def _loaded(kernel: LocalKernel, comm_id: str, state: CommEvent) -> float:
    """When the panel held every plan: the last ``plans`` page after a partial ``state``."""
    at, loading = state.at, state.data["args"].get("loading", 0)
    while loading:
        event = kernel.event(comm_id, "plans")
        kernel.events.remove(event)
        at, loading = event.at, event.data["args"].get("loading", 0)
    return at


def _delta(kernel: LocalKernel, comm_id: str, goal: str) -> CommEvent:
    """The ``plans`` event carrying the plan changed to ``goal``."""
    while True:
        event = kernel.event(comm_id, "plans")
        kernel.events.remove(event)
        changed = event.data["args"]["changed"]
        if any(p.get("goal") == goal for p in changed):
            assert len(changed) == 1, f"a delta of {len(changed)} plans"
            return event


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
    names = ["%plan list", "first list", "push", "first push", "all plans", "full state",
             "delta push", "1+1 in push", "store.list()"]  # fmt: skip
    keys = ["list", "first_list", "push", "first_push", "loaded", "full", "delta", "execute",
            "in_process"]  # fmt: skip
    print(f"{'plans':>6} " + " ".join(f"{n:>12}" for n in names) + "  answered first")
    for count, m in rows:
        figures = " ".join(f"{m[k] * 1000:>9.0f} ms" for k in keys)
        print(f"{count:>6} {figures}  {m['answered']:>14.0%}")


if __name__ == "__main__":
    main()
