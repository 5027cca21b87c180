"""The replay matrix, JupyterLab half: the quickstart (recorded headless) and the notebook
recorded live in JupyterLab, each under Run All, Restart Kernel and Run All, and running
the cells one by one (the plan cell then ``%build``, then the plan cell again and ``%build``
again), in a real JupyterLab with no model and no key. Everything is done from the menus,
as a person does it; no comm message is sent by the test. Every cell of the matrix leaves
the plan files byte for byte as recorded and gives the built cells the recording says.
The headless half is ``tests/run/test_replay_matrix.py``."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.testing.lab import (
    UI_TIMEOUT_MS,
    LabPage,
    LabServer,
    slug,
    start_lab_server,
    stop_process,
)
from jupyter_plan.testing.replays import (
    BUILT_JS,
    QUICKSTART,
    copy_notebooks,
    lab_built_cells,
    menu,
    offline_env,
    plan_files,
    plan_of_cell,
    recorded_built_cells,
    runs_held,
    select_code_cell,
    wait_until,
)

pytestmark = pytest.mark.ui
SCREENSHOTS = Path(__file__).parent / "screenshots"

NOTEBOOKS = {QUICKSTART: "quickstart.ipynb", "lab_revenue.ipynb": "lab/lab_revenue.ipynb"}
CASE = itertools.count()
SETTLE = 90.0  # seconds for a run's last plan-file write after its cells show


@pytest.fixture(scope="module")
def offline_lab() -> Iterator[LabServer]:
    """One ``jupyter lab`` for this module, started with no model, key or api_base."""
    base = Path(tempfile.mkdtemp(prefix="jupyter-plan-replay-"))
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("JUPYTER_PLAN_")]:
            mp.delenv(name)
        server = start_lab_server(base, offline_env(base / "home"))
    try:
        yield server
    finally:
        stop_process(server.proc)
        shutil.rmtree(base, ignore_errors=True)


def _open(browser: Any, server: LabServer, path: str, name: str) -> tuple[Any, LabPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = LabPage(context.new_page(), server, path, name, SCREENSHOTS)
    page.open()
    return context, page


def _run_all(page: LabPage) -> None:
    menu(page.page, "Run", "Run All Cells")


def _restart_run_all(page: LabPage) -> None:
    menu(page.page, "Kernel", "Restart Kernel and Run All Cells…")
    page.page.locator(".jp-Dialog .jp-mod-accept").click()


def _one_by_one(page: LabPage) -> None:
    """Each cell with Run > Run Selected Cell (which moves the selection to the next cell:
    the kernel must still know which cell ran); the plan cell and %build twice."""
    for start in ("%load_ext", "import pandas", "%%plan", "%build", "%%plan", "%build"):
        select_code_cell(page.page, start)
        menu(page.page, "Run", "Run Selected Cell")
        page.wait_idle()


FLOWS = {"run-all": _run_all, "restart-run-all": _restart_run_all, "one-by-one": _one_by_one}


@pytest.mark.parametrize("flow", sorted(FLOWS))
@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_jupyterlab_replays_the_recorded_plan_and_build(
    browser: Any, offline_lab: LabServer, notebook: str, flow: str
) -> None:
    case = f"case-{next(CASE)}"
    copy_notebooks(offline_lab.root_dir / case)
    path = f"{case}/{NOTEBOOKS[notebook]}"
    project = (offline_lab.root_dir / path).parent
    recorded = plan_files(project)
    plan_id = "quickstart-sales" if notebook == QUICKSTART else plan_of_cell(project, "lab-plan")
    expected = recorded_built_cells(project, plan_id)
    plans = project / ".jupyter_plan" / "plans"
    context, page = _open(browser, offline_lab, path, slug(f"replay-{notebook}-{flow}"))
    try:
        FLOWS[flow](page)
        page.page.wait_for_function(BUILT_JS, arg=len(expected))
        page.wait_idle()
        wait_until(lambda: not runs_held(plans), SETTLE, "the runs to end")
        wait_until(lambda: plan_files(project) == recorded, SETTLE, "the plan files as recorded")
        assert lab_built_cells(page.page) == expected  # ids, sources, metadata.jupyter_plan
        assert not page.page_errors, page.page_errors
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot("-failure")  # tests/ui/screenshots/
        raise
    finally:
        context.close()
        offline_lab.shutdown_sessions(path)
