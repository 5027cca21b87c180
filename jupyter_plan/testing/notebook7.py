"""Jupyter Notebook 7 for the browser tests: its server, and a page that drives it.

Notebook 7 is built from JupyterLab's packages and loads the same prebuilt labextension,
but its page differs: one notebook per tab (``/notebooks/<path>``), no status bar, the
kernel's state in the notebook's toolbar, side panels opened from the View menu. The
server gets its own jupyter dirs, like :func:`~jupyter_plan.testing.lab_server.start_lab_server`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_plan.testing.lab import LabPage
from jupyter_plan.testing.lab_server import LabServer, start_jupyter_server


def start_notebook_server(base: Path, extra_env: Mapping[str, str] | None = None) -> LabServer:
    """``jupyter notebook`` (7) serving ``base/project``; stopped with ``stop_process``."""
    return start_jupyter_server(
        base, extra_env, app="notebook", app_class="JupyterNotebookApp", news_off=False
    )


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
