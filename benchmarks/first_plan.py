"""The first ``%%plan`` in a fresh kernel: how long from Shift+Enter to the first model
request, and what loading the extension costs a person's next (CPU-bound) cell.

    python benchmarks/first_plan.py [--runs 3] [--idle 5] [--work 16000000]

(a) First request: a fresh kernel runs ``%load_ext jupyter_plan``, sits idle ``--idle``
    seconds, then gets a ``%%plan`` cell. The figure is the time from sending that execute
    request to the fake model server receiving the first chat request (both clocks are this
    process's ``perf_counter``). Two ways a kernel runs it: *live* (the magic returns, the agent
    runs on the kernel's loop: JupyterLab, here with ``JUPYTER_PLAN_INTERACTIVE=1``) and
    *headless* (the cell runs the agent to its end: nbconvert, papermill). Two more rows
    import before the idle time: litellm alone, then everything the first call imports
    (litellm's MCP handling, our agent, the widgets): what is left after a warm-up.
(b) CPU-bound cell: ``sum(i * i for i in range(--work))`` timed inside the kernel, in a fresh
    kernel without the extension and in one where it is sent right after ``%load_ext``
    (a warm-up that started then would compete with it). The slowdown compares medians.

Every kernel is fresh (its own process), so each first plan pays what a person's first plan
pays; bytecode caches are warm (a first run warms them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")

from jupyter_plan.testing.fake_server import FakeModelServer, Turn, text
from jupyter_plan.testing.lab import model_env, write_notebook
from jupyter_plan.testing.local_kernel import LocalKernel

NOTEBOOK = "first.ipynb"
PLAN_CELL = f"%%plan --notebook {NOTEBOOK}\nWhat does this notebook compute?"
# What a complete warm-up would have imported: litellm, the MCP handling its first call with
# tools imports (~1 s here), our agent and the widgets. Missing modules are skipped.
WARM_ALL = """import importlib
for _m in ("litellm", "litellm.responses.mcp.chat_completions_handler",
           "jupyter_plan.agent.planner", "ipywidgets"):
    try:
        importlib.import_module(_m)
    except ImportError:
        pass"""
CPU_CELL = """import time as _t
_s = _t.perf_counter(); sum(i * i for i in range({work})); print(_t.perf_counter() - _s)"""


class FirstRequest:
    """The fake model: notes when each request arrives, answers in plain text (an inquiry,
    so the run ends without a plan)."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.arrived = threading.Event()

    def reset(self) -> None:
        self.arrivals = []
        self.arrived.clear()

    def __call__(self, body: dict[str, Any]) -> Turn:
        self.arrivals.append(time.perf_counter())
        self.arrived.set()
        return text("It computes x = 1.")


def first_request(
    project: Path, env: dict[str, str], model: FirstRequest, idle: float, warm: str = ""
) -> float:
    """Seconds from sending the first ``%%plan`` to the model's first request (``warm``:
    code run after ``%load_ext``, e.g. the import a perfect warm-up would have done)."""
    model.reset()
    with LocalKernel(project, env) as kernel:
        kernel.run("%load_ext jupyter_plan")
        if warm:
            kernel.run(warm)
        time.sleep(idle)  # the person reads, thinks, types: the kernel is idle
        sent = kernel.send(PLAN_CELL)
        if not model.arrived.wait(timeout=300):
            raise RuntimeError("the model never got a request: " + kernel.wait(sent).text[-800:])
        kernel.wait(sent)
        return model.arrivals[0] - sent.at


def cpu_cell(project: Path, env: dict[str, str], work: int, after_load: bool) -> float:
    """The in-kernel time of the CPU-bound cell, in a fresh kernel."""
    with LocalKernel(project, env) as kernel:
        if after_load:
            kernel.send("%load_ext jupyter_plan")  # not awaited: the next cell follows at once
        reply = kernel.run(CPU_CELL.format(work=work))
        return float(reply.text.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cpu-runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle after %%load_ext")
    parser.add_argument("--work", type=int, default=16_000_000, help="range() of the CPU cell")
    args = parser.parse_args()
    model = FirstRequest()
    with FakeModelServer(model) as fake, tempfile.TemporaryDirectory(prefix="jp-bench-1st-") as tmp:
        base = Path(tmp)
        project = base / "project"
        (project / ".jupyter_plan").mkdir(parents=True)
        write_notebook(project / NOTEBOOK, ["x = 1", PLAN_CELL])
        env = model_env(fake.base_url, base)
        modes = {"live": {**env, "JUPYTER_PLAN_INTERACTIVE": "1"}, "headless": env}
        first_request(project, modes["headless"], model, 0)  # warm bytecode caches
        firsts = {
            mode: [first_request(project, e, model, args.idle) for _ in range(args.runs)]
            for mode, e in modes.items()
        }
        firsts["live, litellm imported"] = [
            first_request(project, modes["live"], model, args.idle, warm="import litellm")
            for _ in range(args.runs)
        ]
        firsts["live, model layer imported"] = [
            first_request(project, modes["live"], model, args.idle, warm=WARM_ALL)
            for _ in range(args.runs)
        ]
        bare, loaded = [], []
        for _ in range(args.cpu_runs):  # interleaved, so load on the machine hits both alike
            bare.append(cpu_cell(project, env, args.work, after_load=False))
            loaded.append(cpu_cell(project, env, args.work, after_load=True))
    print(f"(a) Shift+Enter -> first model request, fresh kernel idle {args.idle:g} s "
          f"after %load_ext (median of {args.runs})")  # fmt: skip
    for mode, times in firsts.items():
        spread = f"{min(times) * 1000:.0f}-{max(times) * 1000:.0f}"
        print(f"    {mode:<24} {statistics.median(times) * 1000:>7.0f} ms   (range {spread} ms)")
    b, lo = statistics.median(bare), statistics.median(loaded)
    print(f"(b) CPU-bound cell, median of {args.cpu_runs} fresh kernels")
    print(f"    without the extension     {b * 1000:>7.0f} ms")
    print(f"    right after %load_ext     {lo * 1000:>7.0f} ms   ({(lo / b - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
