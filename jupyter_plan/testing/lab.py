"""A real ``jupyter lab`` driven by Debian's Chromium through Playwright.

Shared by the browser tests (``tests/ui/conftest.py`` wraps these in fixtures) and the
browser benchmark (``benchmarks/lab.py``)::

    with FakeModelServer(script) as model:
        server = start_lab_server(base_dir, model_env(model.base_url, base_dir))
        try:
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                page = LabPage(browser.new_page(), server, "x.ipynb", "demo")
                page.open()
                page.run_cell("%load_ext jupyter_plan")
        finally:
            stop_process(server.proc)

Nothing here downloads a browser (``playwright install`` fails on these machines) or
reaches beyond 127.0.0.1. Playwright objects are typed ``Any``: it is a test dependency,
imported only by the code that launches the browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# The server side lives in lab_server.py; its names stay importable from here.
from jupyter_plan.testing.lab_server import (
    CHROMIUM as CHROMIUM,
)
from jupyter_plan.testing.lab_server import (
    CHROMIUM_ARGS as CHROMIUM_ARGS,
)
from jupyter_plan.testing.lab_server import (
    FAKE_KEY as FAKE_KEY,
)
from jupyter_plan.testing.lab_server import (
    FAKE_MODEL as FAKE_MODEL,
)
from jupyter_plan.testing.lab_server import (
    NEWS_OFF as NEWS_OFF,
)
from jupyter_plan.testing.lab_server import (
    READY_ATTEMPTS as READY_ATTEMPTS,
)
from jupyter_plan.testing.lab_server import (
    SIDEBAR_ID as SIDEBAR_ID,
)
from jupyter_plan.testing.lab_server import (
    STOP_TIMEOUT as STOP_TIMEOUT,
)
from jupyter_plan.testing.lab_server import (
    UI_TIMEOUT_MS as UI_TIMEOUT_MS,
)
from jupyter_plan.testing.lab_server import (
    LabServer as LabServer,
)
from jupyter_plan.testing.lab_server import (
    SwappableResponder as SwappableResponder,
)
from jupyter_plan.testing.lab_server import (
    chromium_available as chromium_available,
)
from jupyter_plan.testing.lab_server import (
    free_port as free_port,
)
from jupyter_plan.testing.lab_server import (
    launch_browser as launch_browser,
)
from jupyter_plan.testing.lab_server import (
    model_env as model_env,
)
from jupyter_plan.testing.lab_server import (
    slug as slug,
)
from jupyter_plan.testing.lab_server import (
    start_lab_server as start_lab_server,
)
from jupyter_plan.testing.lab_server import (
    stop_process as stop_process,
)
from jupyter_plan.testing.lab_server import (
    write_notebook as write_notebook,
)

# -- a page -----------------------------------------------------------------------------


class LabPage:
    """A JupyterLab page with one notebook open, and helpers to drive it."""

    def __init__(
        self,
        page: Any,
        server: LabServer,
        notebook: str,
        name: str,
        screenshots: Path | None = None,
    ) -> None:
        self.page = page
        self.server = server
        self.notebook = notebook
        self.name = name
        self.screenshots = screenshots
        self.console: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.page_errors.append(f"{exc}\n{exc.stack}"))

    # -- navigation ---------------------------------------------------------------------
    def open(self, *, reset: bool = True, wait_kernel: bool = True) -> None:
        """Load ``/lab/tree/<notebook>`` (``?reset``: no restored tabs) and wait for the
        notebook (and, with ``wait_kernel``, for its kernel to be Idle)."""
        suffix = "?reset" if reset else ""
        self.page.goto(f"{self.server.url}/lab/tree/{self.notebook}{suffix}")
        self.page.locator("#jp-main-dock-panel .jp-NotebookPanel").first.wait_for(state="visible")
        if wait_kernel:
            self.wait_idle()

    def wait_idle(self) -> None:
        """Wait until the status bar reads ``... | Idle`` for the open notebook's kernel."""
        self.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle\b")).wait_for(
            state="visible"
        )

    def command(self, command: str, args: Mapping[str, Any] | None = None) -> Any:
        """Execute a JupyterLab command in the page (needs ``expose_app_in_browser``)."""
        return self.page.evaluate(
            "([id, args]) => window.jupyterapp.commands.execute(id, args)",
            [command, dict(args or {})],
        )

    def palette(self, label: str) -> None:
        """Run a command by its label from the command palette (Ctrl+Shift+C)."""
        self.page.keyboard.press("Control+Shift+C")
        search = self.page.locator("#modal-command-palette input, .jp-ModalCommandPalette input")
        search.first.wait_for(state="visible")
        search.first.fill(label)
        item = self.page.locator(
            ".jp-ModalCommandPalette .lm-CommandPalette-item", has_text=label
        ).first
        item.wait_for(state="visible")
        item.click()
        self.page.locator(".jp-ModalCommandPalette").wait_for(state="hidden")

    # -- cells --------------------------------------------------------------------------
    @property
    def notebook_panel(self) -> Any:
        return self.page.locator("#jp-main-dock-panel .jp-NotebookPanel:visible").first

    @property
    def cells(self) -> Any:
        return self.notebook_panel.locator(".jp-Notebook .jp-Cell")

    def cell_with_source(self, text: str) -> Any:
        """Cells whose editor contains ``text``."""
        return self.cells.filter(has=self.page.locator(".jp-InputArea", has_text=text))

    def cell_sources(self) -> list[str]:
        """The sources of the notebook's cells, from its model (not the possibly virtual DOM)."""
        return list(
            self.page.evaluate(
                """() => {
                    const panel = window.jupyterapp.shell.currentWidget;
                    return panel.content.model.sharedModel.cells.map((c) => c.getSource());
                }"""
            )
        )

    def run_cell(self, code: str, *, wait: bool = True) -> Any:
        """Type ``code`` into the last cell (a new one if the last is not empty), run it with
        Shift+Enter, wait for its execution count and for Idle; returns the cell's Locator."""
        cells = self.cells
        last = cells.last
        editor = last.locator(".cm-content")
        if editor.inner_text().strip():
            self.page.keyboard.press("Escape")
            last.locator(".jp-InputPrompt").click()
            self.page.keyboard.press("Escape")
            self.page.keyboard.press("b")  # insert below, command mode
            last = cells.last
            editor = last.locator(".cm-content")
        count = cells.count()
        index = count - 1
        editor.click()
        # insert_text avoids CodeMirror's auto-closing of brackets and quotes.
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Shift+Enter")
        cell = cells.nth(index)
        if wait:
            cell.locator(".jp-InputArea-prompt").get_by_text(re.compile(r"\[\d+\]")).wait_for(
                state="visible"
            )
            self.wait_idle()
        return cell

    def cell_output_text(self, cell: Any) -> str:
        return str(cell.locator(".jp-OutputArea").inner_text())

    def save(self) -> None:
        """Save the notebook (Ctrl+S) and wait until the panel is no longer dirty."""
        self.notebook_panel.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Control+s")
        self.page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty"
        )

    # -- the Plans sidebar --------------------------------------------------------------
    @property
    def sidebar(self) -> Any:
        return self.page.locator(f"#{SIDEBAR_ID}")

    def open_sidebar(self) -> Any:
        """Click the Plans tab in the left area (if the sidebar is not shown) and return it."""
        sidebar = self.sidebar
        if not sidebar.is_visible():
            self.page.locator(f'.jp-SideBar.jp-mod-left [data-id="{SIDEBAR_ID}"]').click()
        sidebar.wait_for(state="visible")
        return sidebar

    def plan_item(self, plan_id: str) -> Any:
        return self.sidebar.locator(".jp-plan-item").filter(
            has=self.page.locator(f'.jp-plan-card[data-plan-id="{plan_id}"]')
        )

    def wait_connected(self) -> None:
        self.sidebar.locator(".jp-plan-connection-connected").wait_for(state="visible")

    @property
    def status_mode(self) -> Any:
        return self.page.locator("#jp-main-statusbar .jp-plan-statusbar-mode")

    # -- plugins ------------------------------------------------------------------------
    def activated_plugins(self, prefix: str = "") -> list[str]:
        """Ids of the activated JupyterLab plugins starting with ``prefix``."""
        return list(
            self.page.evaluate(
                """(prefix) => {
                    const app = window.jupyterapp;
                    if (!app) { throw new Error('window.jupyterapp is not exposed'); }
                    return app.listPlugins()
                      .filter((id) => id.startsWith(prefix) && app.isPluginActivated(id));
                }""",
                prefix,
            )
        )

    # -- evidence -----------------------------------------------------------------------
    def screenshot(self, suffix: str = "") -> Path:
        """Save a full-window screenshot as ``<screenshots>/<name><suffix>.png``."""
        if self.screenshots is None:
            raise RuntimeError("this LabPage has no screenshot folder")
        return save_screenshot(self.page, self.screenshots, self.name + suffix)


def save_screenshot(page: Any, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug(name)}.png"
    page.screenshot(path=str(path))
    return path


def page_timer(page: Any, js_condition: str, start_js: str = "") -> Callable[[], float]:
    """Arm a page-side timer: returns ``finish()``, which waits for ``js_condition`` to be
    true and gives the ms between arming (after ``start_js`` ran) and the first animation
    frame where the condition held, measured with ``performance.now()`` in the page."""
    page.evaluate(
        """([cond, start]) => {
            window.__jpTimer = { t0: performance.now(), t1: null };
            const check = () => {
                let ok = false;
                try { ok = Boolean(new Function('return (' + cond + ')')()); } catch (e) {}
                if (ok) { window.__jpTimer.t1 = performance.now(); return; }
                requestAnimationFrame(check);
            };
            if (start) { new Function(start)(); }
            check();
        }""",
        [js_condition, start_js],
    )

    def finish() -> float:
        page.wait_for_function("() => window.__jpTimer && window.__jpTimer.t1 !== null")
        return float(page.evaluate("() => window.__jpTimer.t1 - window.__jpTimer.t0"))

    return finish
