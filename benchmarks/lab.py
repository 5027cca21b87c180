"""Browser figures: a real ``jupyter lab`` + Debian's Chromium + the fake model (zero latency).

    python benchmarks/lab.py [--runs 5] [--plans 200] [--render-runs 3]

(a) Approve → first built cell: a ``%%plan`` (no questions) is approved in the Plans
    sidebar; the page itself clicks the sidebar's Build button the moment it appears (that
    inserts and runs ``%build ID``); the figure is the time from the Approve click to the
    first built cell in the notebook's DOM, measured in the page with ``performance.now()``
    (a capture-phase click listener; checks every animation frame). Also: Approve → Build button.
(b) Sidebar render: a notebook holding ``--plans`` saved plan outputs, opened with no
    kernel; (1) sidebar already shown, from ``docmanager:open`` to that many
    ``.jp-plan-item`` in the sidebar; (2) notebook already open, from activating the sidebar
    to all items rendered. Medians over runs.

The harness is ``jupyter_plan.testing.lab`` (the browser tests' own). Every server this
starts is stopped by process id.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")

import nbformat

from jupyter_plan.models import Plan, Step
from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.lab import (
    SIDEBAR_ID,
    UI_TIMEOUT_MS,
    LabPage,
    SwappableResponder,
    launch_browser,
    model_env,
    start_lab_server,
    stop_process,
    write_notebook,
)
from jupyter_plan.ui.render import plan_bundle

PLAN = "# Bench plan {i}\n\n## Steps\n### S1. Add a cell\nAdd one cell.\nVerify: it ran\n"

# Page side of (a): t0 at the Approve click, Build clicked as soon as it shows, t2 at the
# first cell holding the marker; checked every animation frame (~16 ms resolution).
ARM_APPROVE = """([planId, marker]) => {
    const b = (window.__bench = { t0: null, t1: null, t2: null, error: null });
    const sidebar = document.getElementById('SIDEBAR');
    const dock = document.getElementById('jp-main-dock-panel');
    document.addEventListener('click', (e) => {
        if (b.t0 === null && e.target.closest('.jp-plan-act-approve_auto_edit')) {
            b.t0 = performance.now();
        }
    }, true);
    const tick = () => {
        try {
            if (b.t0 !== null && b.t1 === null) {
                const card = sidebar.querySelector(`.jp-plan-card[data-plan-id="${planId}"]`);
                const item = card && card.closest('.jp-plan-item');
                const build = item && item.querySelector('.jp-plan-act-build');
                if (build) { b.t1 = performance.now(); build.click(); }
            }
            if (b.t1 !== null) {
                for (const cell of dock.querySelectorAll('.jp-Cell .jp-InputArea')) {
                    if (cell.textContent.includes(marker)) { b.t2 = performance.now(); return; }
                }
            }
        } catch (err) { b.error = String(err); return; }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}""".replace("SIDEBAR", SIDEBAR_ID)

# Page side of (b): t1 at the first animation frame where the sidebar is shown and holds
# n .jp-plan-item (after t0 is set by the caller).
ARM_ITEMS = """(n) => {
    const b = (window.__bench = { t0: null, t1: null });
    const sidebar = document.getElementById('SIDEBAR');
    const tick = () => {
        if (b.t0 !== null && sidebar.offsetParent !== null
            && sidebar.querySelectorAll('.jp-plan-item').length >= n) {
            b.t1 = performance.now();
            return;
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}""".replace("SIDEBAR", SIDEBAR_ID)


def planning(plan_id: str, i: int) -> list[Any]:
    marker = f"bench_{i}"
    return [
        tool_call("write_file", {"file_path": f"{plan_id}.md", "content": PLAN.format(i=i)}),
        tool_call("exit_plan_mode", {"plan_filename": f"{plan_id}.md"}),
        tool_call("insert_cell", {"source": f"{marker} = {i}\n{marker}", "step_id": "S1"}),
        text("Done."),
    ]


def approve_to_built(lab: LabPage, model: SwappableResponder, runs: int) -> list[tuple[float, ...]]:
    page = lab.page
    lab.run_cell("%load_ext jupyter_plan")
    lab.open_sidebar()
    lab.wait_connected()
    figures = []
    for i in range(runs):
        plan_id = f"bench_plan_{i}"
        model.use(planning(plan_id, i))
        lab.run_cell(f"%%plan --id {plan_id}\nAdd a cell")
        item = lab.plan_item(plan_id)
        approve = item.locator("button.jp-plan-act-approve_auto_edit")
        approve.wait_for(state="visible")
        page.evaluate(ARM_APPROVE, [plan_id, f"bench_{i} = {i}"])
        approve.click()
        try:
            page.wait_for_function("() => window.__bench.t2 !== null")
        except Exception:
            page.screenshot(path="/tmp/bench-fail.png")
            print(i, page.evaluate("() => window.__bench"), lab.cell_sources())
            raise
        b = page.evaluate("() => window.__bench")
        figures.append((b["t1"] - b["t0"], b["t2"] - b["t0"]))
        page.locator(".jp-OutputArea-output", has_text=f"--undo {plan_id}").wait_for()
        lab.wait_idle()
    return figures


def plans_notebook(path: Path, n: int) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i in range(n):
        plan = Plan(
            id=f"saved_{i:03d}",
            title=f"Saved plan {i}",
            goal="A saved plan.",
            steps=[Step(id=f"S{k}", title=f"Step {k}", description="Do it.") for k in (1, 2, 3)],
        )
        cell = nbformat.v4.new_code_cell(f"%%plan --id saved_{i:03d}\nSaved plan {i}")
        cell.outputs = [nbformat.v4.new_output("display_data", data=plan_bundle(plan))]
        nb.cells.append(cell)
    nbformat.write(nb, path)


def sidebar_render(lab: LabPage, n: int, runs: int) -> tuple[list[float], list[float]]:
    page = lab.page
    opened, activated = [], []
    no_kernel = {"path": lab.notebook, "kernelPreference": {"shouldStart": False}}
    for _ in range(runs):
        # (1) sidebar shown, then the notebook opens.
        page.goto(f"{lab.server.url}/lab?reset")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started")
        page.evaluate("() => window.jupyterapp.restored")
        lab.command("jupyter-plan:open-sidebar")
        lab.sidebar.wait_for(state="visible")
        page.evaluate(ARM_ITEMS, n)
        page.evaluate(
            "(args) => { window.__bench.t0 = performance.now();"
            " window.jupyterapp.commands.execute('docmanager:open', args); }",
            no_kernel,
        )
        page.wait_for_function("() => window.__bench.t1 !== null")
        opened.append(page.evaluate("() => window.__bench.t1 - window.__bench.t0"))
        # (2) notebook open, file browser shown; then the sidebar is activated.
        lab.command("filebrowser:activate")
        lab.sidebar.wait_for(state="hidden")
        page.evaluate(ARM_ITEMS, n)
        page.evaluate(
            "(id) => { window.__bench.t0 = performance.now(); window.jupyterapp.shell"
            ".activateById(id); }",
            SIDEBAR_ID,
        )
        page.wait_for_function("() => window.__bench.t1 !== null")
        activated.append(page.evaluate("() => window.__bench.t1 - window.__bench.t0"))
    count = lab.sidebar.locator(".jp-plan-item").count()
    assert count == n, f"{count} items in the sidebar, expected {n}"
    return opened, activated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--render-runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    base = Path(tempfile.mkdtemp(prefix="jupyter-plan-bench-"))
    responder = SwappableResponder()
    try:
        with FakeModelServer(responder) as model:
            server = start_lab_server(base, model_env(model.base_url, base))
            try:
                write_notebook(server.root_dir / "build.ipynb")
                plans_notebook(server.root_dir / "plans.ipynb", args.plans)
                with sync_playwright() as pw:
                    browser = launch_browser(pw)
                    context = browser.new_context(viewport={"width": 1400, "height": 900})
                    context.set_default_timeout(UI_TIMEOUT_MS)
                    lab = LabPage(context.new_page(), server, "build.ipynb", "bench")
                    lab.open()
                    builds = approve_to_built(lab, responder, args.runs)
                    server.shutdown_sessions("build.ipynb")
                    lab.notebook = "plans.ipynb"
                    opened, activated = sidebar_render(lab, args.plans, args.render_runs)
                    browser.close()
            finally:
                stop_process(server.proc)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def row(name: str, values: list[float], before: str = "") -> str:
        shown = ", ".join(f"{v:.0f}" for v in values)
        return f"{name:<58} {statistics.median(values):>9.0f} {before:>8}   [{shown}]"

    print(f"{'figure (ms, page-side performance.now())':<58} {'median':>9} {'before':>8}   [runs]")
    print(row("Approve click -> Build button in the sidebar", [b[0] for b in builds]))
    # "before": the figures measured before the native cards (issue 11), same machine
    print(row("Approve click -> first built cell in the notebook", [b[1] for b in builds], "811"))
    print(row(f"open notebook ({args.plans} saved plans) -> all sidebar items", opened, "1000"))
    print(row(f"activate sidebar ({args.plans} saved plans) -> all items", activated))


if __name__ == "__main__":
    main()
