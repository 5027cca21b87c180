"""Notebook outline: tokens and build time at 10, 100, 1,000 and 10,000 cells.

    python benchmarks/context.py

Cells carry large outputs, as a long-lived notebook does: 400 lines of stdout, IPython
tracebacks with ANSI colours, base64 PNG figures, HTML tables. Each size is measured with the
chars/4 fallback counter and with litellm's tokenizer for "gpt-4o" (litellm is imported with
its local model map, so nothing touches the network). Build time is the median of 5 runs.
"""

from __future__ import annotations

import base64
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_plan.agent.context import build_outline
from jupyter_plan.agent.tokens import TokenCounter, estimate_tokens, token_counter
from jupyter_plan.models import Cell, NotebookSnapshot

BUDGET = 8_000
RUNS = 5
TASK = "Fix the KeyError on `region` in df_sales and plot monthly revenue from sales_2024.csv"
TRACEBACK = [
    "\x1b[0;31m" + "-" * 75 + "\x1b[0m",
    "\x1b[0;31mKeyError\x1b[0m                                  Traceback (most recent call last)",
    "File \x1b[0;32m~/.venv/lib/python3.11/site-packages/pandas/core/indexes/base.py:3805\x1b[0m"
    ", in \x1b[0;36mIndex.get_loc\x1b[0;34m(self, key)\x1b[0m\n" + "   3802 ...\n" * 12,
    "Cell \x1b[0;32mIn[{n}], line 3\x1b[0m\n      1 x = 1\n\x1b[0;32m----> 3\x1b[0m df['col_{n}']",
    "\x1b[0;31mKeyError\x1b[0m: 'col_{n}'",
]


def make_notebook(n: int, rng: random.Random) -> NotebookSnapshot:
    png = base64.b64encode(rng.randbytes(60_000)).decode()  # a 80 kB figure
    html = "<table>" + "<tr><td>1.0</td><td>2.0</td><td>x</td></tr>" * 400 + "</table>"
    cells = []
    for i in range(n):
        kind = i % 10
        if kind == 0:
            cells.append(
                Cell(
                    id=f"md{i:05}",
                    cell_type="markdown",
                    source=f"## Section {i}\n" + "Some prose. " * 40,
                )
            )
            continue
        source = "\n".join(f"v_{i}_{k} = compute(df, window={k})  # step {k}" for k in range(12))
        outputs: list[dict[str, object]] = []
        if kind in (1, 5):
            text = "".join(f"epoch {k}: loss={rng.random():.4f}\n" for k in range(400))
            outputs.append({"output_type": "stream", "name": "stdout", "text": text})
        elif kind == 2:
            tb = [t.replace("{n}", str(i)) for t in TRACEBACK]
            outputs.append(
                {
                    "output_type": "error",
                    "ename": "KeyError",
                    "evalue": f"'col_{i}'",
                    "traceback": tb,
                }
            )
        elif kind in (3, 7):
            data = {"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"}
            outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
        elif kind in (4, 8):
            data = {"text/html": html, "text/plain": "     a    b  c\n" + "0  1.0  2.0  x\n" * 60}
            outputs.append(
                {
                    "output_type": "execute_result",
                    "data": data,
                    "metadata": {},
                    "execution_count": i,
                }
            )
        cells.append(
            Cell(id=f"c{i:05}", cell_type="code", source=source, outputs=outputs, execution_count=i)
        )
    cells.append(Cell(id="plan", cell_type="code", source=f"%%plan\n{TASK}"))
    return NotebookSnapshot(cells=cells, active_cell_id="plan", path="bench.ipynb")


def measure(nb: NotebookSnapshot, count: TokenCounter) -> tuple[int, float]:
    times, tokens = [], 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        outline = build_outline(nb, TASK, budget_tokens=BUDGET, count_tokens=count)
        times.append((time.perf_counter() - t0) * 1000)
        tokens = outline.tokens
    return tokens, statistics.median(times)


def main() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch at import
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
    gpt4o = token_counter("gpt-4o")
    assert gpt4o is not estimate_tokens, "litellm should know gpt-4o"
    rng = random.Random(7)
    print(f"budget {BUDGET:,} tokens; median of {RUNS} runs")
    print(f"{'cells':>7} {'chars/4 tokens':>15} {'ms':>7} {'gpt-4o tokens':>14} {'ms':>7}")
    for n in (10, 100, 1_000, 10_000):
        nb = make_notebook(n, rng)
        est_tokens, est_ms = measure(nb, estimate_tokens)
        real_tokens, real_ms = measure(nb, gpt4o)
        print(f"{n:>7,} {est_tokens:>15,} {est_ms:>7.1f} {real_tokens:>14,} {real_ms:>7.1f}")


if __name__ == "__main__":
    main()
