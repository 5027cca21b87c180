"""What a replayed plan notebook costs next to the same code without jupyter-plan.

    python benchmarks/replay.py [--runs 3]

Two notebooks, each executed top to bottom in a fresh kernel through nbclient, in
alternation, in the same run:

* **replay**: ``notebooks/quickstart.ipynb`` as shipped, the way ``jupyter-plan run`` runs
  it: ``%load_ext``, the ``%%plan`` cell and ``%build`` replay their recording offline, the
  build inserts and runs the two built cells;
* **plain**: the same notebook's code with the plan cells removed: its own code cells and the
  two built cells' code (from the recording) as ordinary cells; no jupyter-plan at all.

Time is wall-clock from kernel start to the last cell's end (kernel start included in both);
memory is the kernel's peak resident size (``ru_maxrss``) after the last cell. Reported: the
median of each, and the ratio / difference (goal: at most 1.3x the time, +30 MiB).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyter_plan.run.expand import execute_expanding  # noqa: E402
from jupyter_plan.run.runner import kernel_env  # noqa: E402
from jupyter_plan.testing.replays import (  # noqa: E402
    QUICKSTART,
    copy_notebooks,
    offline_env,
    recorded_built_cells,
)

PEAK = "__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss"
_PLAN_CELL = ("%load_ext jupyter_plan", "%%plan", "%build")


def _plain(folder: Path) -> Path:
    """The quickstart's code without its plan cells, the built cells' code appended."""
    nb = nbformat.read(folder / QUICKSTART, as_version=4)
    nb.cells = [c for c in nb.cells if not c.source.startswith(_PLAN_CELL)]
    for _, source, _ in recorded_built_cells(folder, "quickstart-sales"):
        nb.cells.append(nbformat.v4.new_code_cell(source))
    path = folder / "plain.ipynb"
    nbformat.write(nb, path)
    return path


def _run(path: Path, env: dict[str, str], replay: bool) -> tuple[float, float]:
    """Seconds from kernel start to the end, and the kernel's peak RSS in MiB."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    with client.setup_kernel(env=kernel_env(path, env) if replay else env):
        execute_expanding(nb, lambda cell, index: client.execute_cell(cell, index), client)
        elapsed = time.perf_counter() - started
        assert client.kc is not None
        reply: Any = client.wait_for_reply(
            client.kc.execute("", silent=True, user_expressions={"peak": PEAK})
        )
    if replay and not any("jupyter_plan" in c.metadata for c in nb.cells):
        raise RuntimeError("the replay built nothing: is the recording up to date?")
    peak = reply["content"]["user_expressions"]["peak"]["data"]["text/plain"]
    return elapsed, int(peak) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="jupyter-plan-bench-replay-"))
    try:
        folder = copy_notebooks(base / "notebooks")
        env = offline_env(base / "home")
        plain = _plain(folder)
        figures: dict[str, list[tuple[float, float]]] = {"replay": [], "plain": []}
        _run(plain, env, False)  # warm the disk caches once, for both
        for _ in range(args.runs):
            figures["replay"].append(_run(folder / QUICKSTART, env, True))
            figures["plain"].append(_run(plain, env, False))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    med = {k: (statistics.median(t for t, _ in v), statistics.median(m for _, m in v))
           for k, v in figures.items()}  # fmt: skip
    print(f"{'notebook (median of ' + str(args.runs) + ')':<28} {'time s':>8} {'peak MiB':>9}")
    for name in ("plain", "replay"):
        print(f"{name:<28} {med[name][0]:>8.2f} {med[name][1]:>9.1f}")
    ratio = med["replay"][0] / med["plain"][0]
    extra = med["replay"][1] - med["plain"][1]
    print(f"{'replay / plain':<28} {ratio:>7.2f}x {extra:>+8.1f}")
    print(
        f"goal: <= 1.30x time, <= +30 MiB: {'met' if ratio <= 1.3 and extra <= 30 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
