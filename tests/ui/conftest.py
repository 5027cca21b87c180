"""Real-browser test harness: Debian's Chromium (via Playwright) driving a real ``jupyter lab``.

Fixtures
--------
``lab_server`` (session)
    A :class:`LabServer`: ``jupyter lab`` on 127.0.0.1 and a free port, no token, serving a
    temporary ``project`` folder, with its own config/data/runtime/settings/workspaces dirs and
    the news toast turned off. Stopped by process id at the end of the session.
``browser`` (session)
    A Playwright ``Browser``: ``/usr/bin/chromium`` launched headless with the flags in
    ENVIRONMENT.md and a fresh ``--user-data-dir``. Closed at the end of the session.
``notebook_path`` (function)
    A fresh empty notebook for this test in the project folder; its path relative to the root.
``lab`` (function)
    A :class:`LabPage` with that notebook open (``/lab/tree/<nb>?reset``) and its kernel Idle.
    ``lab.page`` is the Playwright ``Page``; ``lab.console`` collects console messages;
    ``lab.run_cell(code)`` runs code in a new cell; ``lab.screenshot()`` saves
    ``tests/ui/screenshots/<test>.png``. Its kernel is shut down after the test, and a
    ``<test>-failure.png`` screenshot is saved when the test fails.

Every test here is marked ``ui`` (added at collection too). Without ``/usr/bin/chromium`` the
tests are skipped with the command that installs it (``./scripts/setup`` does, as root).
No test tool downloads a browser: never run ``playwright install``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

CHROMIUM = "/usr/bin/chromium"
# Flags measured to work here as root with no network (ENVIRONMENT.md, "Browser tests").
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEWS_OFF = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    }
}
SCREENSHOTS = Path(__file__).parent / "screenshots"
READY_ATTEMPTS = 240  # /api/status polls, each waiting up to 1 s for the HTTP answer
STOP_TIMEOUT = 10.0  # seconds for jupyter lab to exit after SIGTERM before SIGKILL
UI_TIMEOUT_MS = 60_000  # Playwright waits (page load, kernel start on 2 cores)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.ui)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"ui_report_{report.when}", report)
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slug(nodeid_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid_name).strip("_") or "test"


@dataclass
class LabServer:
    """A running ``jupyter lab``; ``url`` has no trailing slash."""

    url: str
    port: int
    root_dir: Path  # the served project folder
    base_dir: Path  # the temporary folder holding root_dir and the jupyter dirs
    log_path: Path
    proc: subprocess.Popen[bytes]
    env: dict[str, str] = field(repr=False)

    def api(self, method: str, path: str, body: object | None = None) -> Any:
        """Call the server's REST API (no token); returns the decoded JSON or None."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process group of ``proc`` (jupyter lab and its kernels) by id."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT)
    # Kernels run in the same process group; make sure none outlive the server.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_ready(server: LabServer) -> None:
    last = "no answer yet"
    for _ in range(READY_ATTEMPTS):
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with {server.proc.returncode} before it was ready:\n"
                + server.log_tail()
            )
        try:
            with urllib.request.urlopen(server.url + "/api/status", timeout=1) as resp:
                if resp.status == 200:
                    json.loads(resp.read())
                    return
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = repr(exc)
            # Connection refused returns at once: pace the next attempt.
            time.sleep(0.25)
    raise RuntimeError(
        f"jupyter lab not ready after {READY_ATTEMPTS} attempts ({last}):\n" + server.log_tail()
    )


@pytest.fixture(scope="session")
def lab_server() -> Iterator[LabServer]:
    base = Path(tempfile.mkdtemp(prefix="jupyter-plan-ui-"))
    root = base / "project"
    dirs = {
        name: base / name
        for name in ("config", "data", "runtime", "app-settings", "user-settings", "workspaces")
    }
    root.mkdir()
    for d in dirs.values():
        d.mkdir()
    (dirs["app-settings"] / "overrides.json").write_text(json.dumps(NEWS_OFF))

    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["user-settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        # No model provider is ever reached from the kernel either (the fake server is local).
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_MODE="PRODUCTION",
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_TOKEN", None)
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
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
        f"--LabApp.app_settings_dir={dirs['app-settings']}",
        "--LabApp.expose_app_in_browser=True",
    ]
    log_path = base / "jupyter-lab.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: teardown stops it and its kernels
        )
    server = LabServer(
        url=f"http://127.0.0.1:{port}",
        port=port,
        root_dir=root,
        base_dir=base,
        log_path=log_path,
        proc=proc,
        env=env,
    )
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")  # Playwright's sync API marks a loop running in this thread:
def browser() -> Iterator[Any]:  # it must end before other modules' asyncio tests run
    if not os.access(CHROMIUM, os.X_OK):
        why = (
            f"{CHROMIUM} is missing: run ./scripts/setup as root "
            "(or: apt-get update && apt-get install -y chromium)"
        )
        if os.environ.get("CI"):  # CI must run the browser tests, never skip them quietly
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Playwright refuses a --user-data-dir in `args`; `launch` itself passes Chromium a fresh
        # temporary --user-data-dir (removed on close), and each test gets its own context.
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def notebook_path(lab_server: LabServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty Python notebook named after the test; path relative to the root."""
    name = _slug(request.node.name)[:80] + ".ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(nb, lab_server.root_dir / name)
    return name


class LabPage:
    """A JupyterLab page with one notebook open, and helpers to drive it."""

    def __init__(self, page: Any, server: LabServer, notebook: str, test_name: str) -> None:
        self.page = page
        self.server = server
        self.notebook = notebook
        self.test_name = test_name
        self.console: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    # -- navigation ---------------------------------------------------------------------------
    def open(self) -> None:
        """Load ``/lab/tree/<notebook>?reset`` and wait for the notebook's kernel to be Idle."""
        self.page.goto(f"{self.server.url}/lab/tree/{self.notebook}?reset")
        self.page.locator("#jp-main-dock-panel .jp-NotebookPanel").first.wait_for(state="visible")
        self.wait_idle()

    def wait_idle(self) -> None:
        """Wait until the status bar reads ``... | Idle`` for the open notebook's kernel."""
        self.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle\b")).wait_for(
            state="visible"
        )

    # -- cells --------------------------------------------------------------------------------
    @property
    def notebook_panel(self) -> Any:
        return self.page.locator("#jp-main-dock-panel .jp-NotebookPanel:visible").first

    @property
    def cells(self) -> Any:
        return self.notebook_panel.locator(".jp-Notebook .jp-Cell")

    def run_cell(self, code: str) -> Any:
        """Type ``code`` into the last cell (a new one if the last is not empty), run it with
        Shift+Enter, wait for its execution count and for Idle; returns the cell's Locator."""
        cells = self.cells
        last = cells.last
        editor = last.locator(".cm-content")
        if editor.inner_text().strip():
            self.page.keyboard.press("Escape")
            last.click()
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
        cell.locator(".jp-InputArea-prompt").get_by_text(re.compile(r"\[\d+\]")).wait_for(
            state="visible"
        )
        self.wait_idle()
        return cell

    def cell_output_text(self, cell: Any) -> str:
        return str(cell.locator(".jp-OutputArea").inner_text())

    # -- plugins ------------------------------------------------------------------------------
    def activated_plugins(self, prefix: str = "") -> list[str]:
        """Ids of the activated JupyterLab plugins starting with ``prefix`` (needs
        ``expose_app_in_browser``, which ``lab_server`` sets)."""
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

    # -- evidence -----------------------------------------------------------------------------
    def screenshot(self, suffix: str = "") -> Path:
        """Save a full-window screenshot as ``tests/ui/screenshots/<test><suffix>.png``."""
        return save_screenshot(self.page, self.test_name + suffix)


def save_screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{_slug(name)}.png"
    page.screenshot(path=str(path))
    return path


@pytest.fixture
def lab(
    browser: Any, lab_server: LabServer, notebook_path: str, request: pytest.FixtureRequest
) -> Iterator[LabPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    lab_page = LabPage(page, lab_server, notebook_path, _slug(request.node.name))
    try:
        lab_page.open()
        yield lab_page
    finally:
        report = getattr(request.node, "ui_report_call", None)
        if report is None or report.failed:
            # The page may be gone; the failure itself is what matters.
            with contextlib.suppress(Exception):
                lab_page.screenshot("-failure")
        context.close()
        _shutdown_sessions(lab_server, notebook_path)


def _shutdown_sessions(server: LabServer, notebook: str) -> None:
    """Shut down this test's kernel so kernels do not pile up over the session."""
    try:
        for session in server.api("GET", "/api/sessions") or []:
            if session.get("path") == notebook:
                server.api("DELETE", f"/api/sessions/{session['id']}")
    except (urllib.error.URLError, OSError, ValueError):
        pass
