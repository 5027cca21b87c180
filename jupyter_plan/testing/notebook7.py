"""Jupyter Notebook 7 for the browser tests: its server, and a page that drives it.

Notebook 7 is built from JupyterLab's packages and loads the same prebuilt labextension,
but its page differs: one notebook per tab (``/notebooks/<path>``), no status bar, the
kernel's state in the notebook's toolbar, side panels opened from the View menu. The
server gets its own jupyter dirs, like :func:`~jupyter_plan.testing.lab_server.start_lab_server`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_plan.testing.lab import LabPage
from jupyter_plan.testing.lab_server import (
    LabServer,
    _wait_ready,
    free_port,
    stop_process,
)


def start_notebook_server(base: Path, extra_env: Mapping[str, str] | None = None) -> LabServer:
    """``jupyter notebook`` (7) serving ``base/project``; stopped with ``stop_process``."""
    root = base / "project"
    dirs = {n: base / n for n in ("config", "data", "runtime", "app-settings", "user-settings")}
    (root / ".jupyter_plan").mkdir(parents=True)
    for d in dirs.values():
        d.mkdir()
    # no overrides.json: JupyterLab's news plugin is not in Notebook 7, and an override for a
    # plugin it lacks fails its settings registry ("reading 'schema'")
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["user-settings"]),
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_MODE="PRODUCTION",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    env.pop("JUPYTER_TOKEN", None)
    env.pop("JUPYTER_PLAN_INTERACTIVE", None)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "notebook",
        "--no-browser",
        "--allow-root",
        "--ip",
        "127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        f"--JupyterNotebookApp.app_settings_dir={dirs['app-settings']}",
        "--JupyterNotebookApp.expose_app_in_browser=True",
    ]
    log_path = base / "jupyter-notebook.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LabServer(f"http://127.0.0.1:{port}", port, root, base, log_path, proc, env)
    try:
        _wait_ready(server)
    except BaseException:
        stop_process(proc)
        raise
    return server


class NotebookPage(LabPage):
    """A Notebook 7 page with one notebook open (the helpers of :class:`LabPage` that do
    not depend on JupyterLab's layout work here too)."""

    def open(self, *, reset: bool = True, wait_kernel: bool = True) -> None:
        self.page.goto(f"{self.server.url}/notebooks/{self.notebook}")
        self.notebook_panel.wait_for(state="visible")
        if wait_kernel:
            self.wait_idle()

    def wait_idle(self) -> None:
        """The kernel of the open notebook is idle (Notebook 7 has no status bar)."""
        self.page.wait_for_function(
            """() => {
                const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                const kernel = panel && panel.sessionContext && panel.sessionContext.session
                  && panel.sessionContext.session.kernel;
                return kernel && kernel.status === 'idle';
            }"""
        )

    @property
    def status_mode(self) -> Any:
        """Notebook 7 shows the approval mode in the notebook's toolbar."""
        return self.page.locator(".jp-plan-toolbar-mode .jp-plan-statusbar-mode")

    @property
    def notebook_panel(self) -> Any:
        return self.page.locator(".jp-NotebookPanel").first

    def open_sidebar(self) -> Any:
        """View → Left Sidebar → Show Plans (Notebook 7's left side area)."""
        sidebar = self.sidebar
        if not sidebar.is_visible():
            self.page.locator(".lm-MenuBar-itemLabel", has_text="View").click()
            self.page.locator(".lm-Menu-itemLabel", has_text="Left Sidebar").hover()
            self.page.locator(".lm-Menu-itemLabel").get_by_text("Show Plans", exact=True).click()
        sidebar.wait_for(state="visible")
        return sidebar
