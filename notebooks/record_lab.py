"""Re-record lab_revenue.ipynb's plan and build live, in a real JupyterLab, by clicking.

    .venv/bin/python notebooks/record_lab.py [FOLDER]

A person's session, driven by Playwright (Debian's Chromium) against ``jupyter lab`` on
127.0.0.1, with jupyter-plan's fake OpenAI-compatible server playing the model's side below:
run the cells one by one from the Run menu, approve the plan on its card (Approve —
auto-accept edits), run ``%build``. The kernel records everything as it would for a person
with a real model. The recordings of the notebook's ``%%plan`` cell in FOLDER (default: this
script's folder) are replaced by the new ones; the notebook itself is not changed (saved
without outputs or built cells, so every run replays the plan and the build). Change the
conversation here, never the transcripts by hand. The notebook is a project of its own
(``lab/``, with its ``.jupyter_plan``), so its ``%build`` has one plan to build.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.lab import (
    UI_TIMEOUT_MS,
    LabPage,
    launch_browser,
    start_lab_server,
    stop_process,
)
from jupyter_plan.testing.recording import (
    Script,
    built_step,
    live_settings,
    submitted_plan,
    target_folder,
)
from jupyter_plan.testing.replays import (
    BUILT_JS,
    menu,
    offline_env,
    plan_files,
    plan_of_cell,
    runs_held,
    select_code_cell,
    wait_until,
)

HERE = Path(__file__).resolve().parent
NOTEBOOK = "lab/lab_revenue.ipynb"  # relative to the notebooks folder (it reads ../data)
PLAN_CELL = "lab-plan"
FAKE_KEY = "sk-lab-recording-not-a-real-key-0000"  # must never reach a transcript

PLAN = """\
# Total revenue by product

## Context found
- `orders` (cell `lab-data`): 59 sales with `product`, `units`, `unit_price` and `revenue`.
- One `unit_price` is missing, so one `revenue` is NaN; `sum` skips it.

## Steps
### S1. Sum revenue by product
Insert a cell that sums `revenue` by `product` and sorts it, largest first.
Verify: one row per product, in decreasing order.

## Verification
The table lists every product once, largest revenue first.
"""

TABLE = """\
by_product = orders.groupby("product")["revenue"].sum().sort_values(ascending=False)
by_product.round(2)"""


def conversation() -> list[Any]:
    """The model's side: look, write the plan, submit it; then insert, run, tick off."""
    return [
        tool_call("inspect_variable", {"name": "orders", "rows": 5}),
        *submitted_plan(PLAN),
        *built_step("S1", TABLE, "3 products"),
        text("Done: `by_product` holds the revenue by product, largest first."),
    ]


def _forget(folder: Path) -> None:
    """Delete the recordings of the notebook's %%plan cell (and their plan files)."""
    plans = folder / ".jupyter_plan" / "plans"
    try:
        plan_id = plan_of_cell(folder, PLAN_CELL)
    except LookupError:
        return
    shutil.rmtree(plans / plan_id, ignore_errors=True)
    (plans / f"{plan_id}.md").unlink(missing_ok=True)


def _session(server: Any, page: LabPage, plans: Path) -> None:
    """What the person does in the browser."""
    p = page.page
    page.open()
    for start in ("%load_ext", "import pandas", "%%plan"):
        select_code_cell(p, start)
        menu(p, "Run", "Run Selected Cell and Do not Advance")
        page.wait_idle()
    approve = p.locator(".jp-OutputArea button", has_text="Approve — auto-accept edits").first
    approve.wait_for(state="visible")
    approve.click()
    wait_until(lambda: "status: approved" in _plan_text(plans), 60, "the plan approved")
    select_code_cell(p, "%build")
    menu(p, "Run", "Run Selected Cell and Do not Advance")
    p.wait_for_function(BUILT_JS, arg=1)
    wait_until(lambda: "status: built" in _plan_text(plans), 60, "the plan built")
    wait_until(lambda: any(plans.glob("*/build.r1.json")), 60, "the build's transcript")
    wait_until(lambda: not runs_held(plans), 60, "the build to end")


def _plan_text(plans: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in plans.glob("*.md"))


def record(folder: Path = HERE) -> None:
    """Record lab/lab_revenue.ipynb's plan and build in ``folder`` (the notebooks folder);
    raises if the run fails or turns are left."""
    from playwright.sync_api import sync_playwright

    lab = folder / "lab"
    settings = lab / ".jupyter_plan" / "settings.json"
    _forget(lab)
    script = Script(conversation())
    with FakeModelServer(script) as model, tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = offline_env(base / "home")
        # The model settings are the project's (what a replay has); only the way to the fake
        # server and a key come from the environment, and neither is in a transcript key.
        env.update(OPENAI_BASE_URL=model.base_url, JUPYTER_PLAN_API_KEY=FAKE_KEY)
        server = start_lab_server(base, env)
        try:
            project = server.root_dir
            shutil.copytree(folder, project, dirs_exist_ok=True, ignore=_ignored)
            (project / "lab" / ".jupyter_plan" / "settings.json").write_text(
                live_settings(settings), "utf-8"
            )
            before = plan_files(project / "lab")
            plans = project / "lab" / ".jupyter_plan" / "plans"
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.set_default_timeout(UI_TIMEOUT_MS)
                page = LabPage(context.new_page(), server, NOTEBOOK, "record")
                try:
                    _session(server, page, plans)
                except BaseException:
                    page.page.screenshot(path=str(base.parent / "record_lab-failure.png"))
                    raise
                finally:
                    browser.close()
            for name in set(plan_files(project / "lab")) - set(before):
                target = lab / ".jupyter_plan" / "plans" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(plans / name, target)
        finally:
            stop_process(server.proc)
    script.check_used()


def _ignored(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("__pycache__", ".locks") or n.endswith(".executed.ipynb")]


if __name__ == "__main__":
    target = target_folder(HERE)
    record(target)
    print(f"recorded {target / NOTEBOOK}: plans in {target}/lab/.jupyter_plan/plans")
