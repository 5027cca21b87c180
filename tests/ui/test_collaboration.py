"""(2) The core flow with real-time collaboration (jupyter-collaboration) on.

jupyter-collaboration is never installed into the venv (the rest of the suite and the user's
lab run without RTC): ``./scripts/setup`` puts it, pinned, in ``.venv/rtc`` (a ``pip --target``
folder). This module's lab server, and only it, finds it there through ``PYTHONPATH`` (the
server extensions ``jupyter_server_ydoc`` and ``jupyter_server_fileid``), ``JUPYTER_CONFIG_PATH``
(their ``jupyter_server_config.d`` entries) and ``JUPYTER_PATH`` (the frontend extensions
``@jupyter/docprovider-extension`` and ``@jupyter/collaboration-extension``).

The test checks that RTC is really on in the page (the docprovider plugins are activated, the
notebook's model is collaborative and its document comes through a collaboration room), then:
``%load_ext jupyter_plan``, a ``%%plan`` approved in the sidebar, ``%build`` inserts and runs
a cell in the open notebook (with its ``jupyter_plan`` metadata), ``%build --undo`` restores
the cells.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_plan.testing.fake_server import FakeModelServer
from jupyter_plan.testing.lab import (
    LabPage,
    LabServer,
    SwappableResponder,
    model_env,
    start_lab_server,
    stop_process,
)

from .steps import DATA, build_in_page, build_turns, load_extension, planning_turns, undo_in_page

pytestmark = pytest.mark.ui

RTC_DIR = Path(__file__).resolve().parents[2] / ".venv" / "rtc"
PLAN_ID = "rtc_revenue"
# Frontend plugins that only exist (and are activated) with jupyter-collaboration: the
# notebook's shared model comes from a collaboration room through these.
RTC_PLUGINS = (
    "@jupyter/docprovider-extension:content-provider",
    "@jupyter/docprovider-extension:ynotebook",
)


def rtc_env(rtc: Path) -> dict[str, str]:
    """Where ``jupyter lab`` finds the isolated jupyter-collaboration install. The search
    paths are used besides the server's own config/data dirs, which ``start_lab_server``
    sets; kernels inherit ``PYTHONPATH`` too (harmless: nothing there imports it)."""
    python_path = [str(rtc), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {
        "PYTHONPATH": os.pathsep.join(python_path),
        "JUPYTER_CONFIG_PATH": str(rtc / "etc" / "jupyter"),
        "JUPYTER_PATH": str(rtc / "share" / "jupyter"),
    }


@pytest.fixture(scope="module")
def lab_server(
    _model_server: tuple[FakeModelServer, SwappableResponder],
) -> Iterator[LabServer]:
    """Overrides the session's lab server for this module: one with RTC on, whose kernels
    reach the session's fake model (``fake_model`` drives it as usual)."""
    if not (RTC_DIR / "jupyter_collaboration").is_dir():
        why = (
            f"jupyter-collaboration is not installed in {RTC_DIR} (kept out of the venv on "
            "purpose): run ./scripts/setup, which installs it there"
        )
        if os.environ.get("CI"):  # CI ran the set-up: a missing install is a failure
            pytest.fail(why)
        pytest.skip(why)
    base = Path(tempfile.mkdtemp(prefix="jupyter-plan-rtc-"))
    try:
        env = {**model_env(_model_server[0].base_url, base), **rtc_env(RTC_DIR)}
        server = start_lab_server(base, env)
        try:
            yield server
        finally:
            stop_process(server.proc)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def assert_rtc_active(lab: LabPage) -> None:
    """RTC is on in this page, for this notebook, and on the server."""
    activated = lab.activated_plugins("@jupyter/")
    missing = [p for p in RTC_PLUGINS if p not in activated]
    assert not missing, f"RTC plugins not activated: {missing}; activated: {activated}"
    state = lab.page.evaluate(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            return {
              collaborative: panel.context.model.collaborative,
              path: panel.context.path,
            };
        }"""
    )
    assert state["collaborative"] is True, state
    log = lab.server.log_path.read_text(errors="replace")
    assert "jupyter_server_ydoc | extension was successfully loaded" in log, lab.server.log_tail()
    # The server holds a collaboration room for the open notebook (it answers the room's
    # session request only with the extension loaded).
    session = lab.server.api(
        "PUT",
        f"/api/collaboration/session/{lab.notebook}",
        {"format": "json", "type": "notebook"},
    )
    assert session and session.get("fileId"), session


def test_plan_build_undo_with_rtc(lab: LabPage, fake_model: SwappableResponder) -> None:
    assert_rtc_active(lab)
    load_extension(lab)
    lab.run_cell(DATA)
    fake_model.use([*planning_turns(PLAN_ID, ask=False), *build_turns()])
    plan_cell = lab.run_cell(f"%%plan --id {PLAN_ID}\nSummarise revenue by region")

    # Approve in the sidebar; the cell's widget follows.
    item = lab.plan_item(PLAN_ID)
    item.locator(".jp-plan-status-awaiting_review").wait_for()
    item.locator("button.jp-plan-act-approve_auto_edit").click()
    item.locator(".jp-plan-status-approved").wait_for()
    plan_cell.locator(".jp-plan-history", has_text="Approved").wait_for()
    lab.wait_idle()

    # %build inserts the summary cell and runs it, in this page's (collaborative) notebook.
    before = build_in_page(lab, item, PLAN_ID)
    assert fake_model.remaining == 0
    lab.screenshot("-built")

    # %build --undo: the cells are as they were when the build started.
    undo_in_page(lab, item, before)
    assert_rtc_active(lab)  # still the collaborative model after the edits
    lab.screenshot()
    assert not lab.page_errors, lab.page_errors
