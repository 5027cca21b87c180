"""How long ``%load_ext jupyter_plan`` takes, next to ``import litellm``.

    python benchmarks/load.py [--runs 7]

Each figure is the median over fresh processes (warm: bytecode caches exist after the first
run). "in a kernel" adds what load_ext does only inside a kernel: registering the comm
target for JupyterLab panels (the bridge modules load when a panel connects, not here).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

LOAD = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t = time.perf_counter()
shell.run_line_magic("load_ext", "jupyter_plan")
bare = time.perf_counter() - t
import comm  # in a kernel, ipykernel has loaded it already
t = time.perf_counter()
comm.get_comm_manager().register_target("jupyter_plan", lambda *a: None)  # what a kernel adds
kernel_extra = time.perf_counter() - t
heavy = sorted(m for m in ("litellm", "ipywidgets") if m in sys.modules)
print(json.dumps({"bare": bare, "kernel": bare + kernel_extra, "heavy": heavy}))
"""
LITELLM = """
import json, os, time
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
t = time.perf_counter()
import litellm
print(json.dumps({"litellm": time.perf_counter() - t}))
"""


def sample(code: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    sample(LOAD)  # warm the bytecode caches
    loads = [sample(LOAD) for _ in range(runs)]
    imports = [sample(LITELLM)["litellm"] for _ in range(max(3, runs // 2))]
    heavy = {tuple(s["heavy"]) for s in loads}  # type: ignore[arg-type]
    bare = statistics.median(float(s["bare"]) for s in loads) * 1000  # type: ignore[arg-type]
    kernel = statistics.median(float(s["kernel"]) for s in loads) * 1000  # type: ignore[arg-type]
    lite = statistics.median(float(t) for t in imports) * 1000  # type: ignore[arg-type]
    print(f"{'what':<34} {'median ms':>10}")
    print(f"{'%load_ext jupyter_plan (IPython)':<34} {bare:>10.1f}")
    print(f"{'%load_ext jupyter_plan (kernel)':<34} {kernel:>10.1f}")
    print(f"{'import litellm':<34} {lite:>10.1f}")
    print(f"heavy modules loaded by %load_ext: {sorted(heavy)[0] if len(heavy) == 1 else heavy}")


if __name__ == "__main__":
    main()
