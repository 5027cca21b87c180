"""A real ``jupyter lab`` server for the browser tests and benchmarks: started on 127.0.0.1
with a fake model behind its kernels, waited for, and stopped by process id; plus the
Chromium launch that drives it (Debian's, never a downloaded one). The page side is
:mod:`jupyter_plan.testing.lab`."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
READY_ATTEMPTS = 240  # /api/status polls, each waiting up to 1 s for the HTTP answer
STOP_TIMEOUT = 10.0  # seconds for jupyter lab to exit after SIGTERM before SIGKILL
UI_TIMEOUT_MS = 60_000  # Playwright waits (page load, kernel start on 2 cores)
FAKE_MODEL = "openai/fake"
FAKE_KEY = "sk-ui-test-0123456789"
SIDEBAR_ID = "jupyter-plan-sidebar"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "test"


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


# -- the model the kernels talk to ------------------------------------------------------


class SwappableResponder:
    """A fake-server responder whose turns are replaced per test (``use``), thread-safe.

    Turns play in order; a callable turn gets the request body (to echo a tool result or
    read an inserted cell's id). With no turns left the server answers an error, which the
    kernel reports in the cell: a test never hangs on a missing turn.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turns: list[Any] = []
        self.bodies: list[dict[str, Any]] = []

    def use(self, turns: Iterable[Any]) -> None:
        with self._lock:
            self._turns = list(turns)
            self.bodies = []

    def __call__(self, body: dict[str, Any]) -> Any:
        with self._lock:
            self.bodies.append(body)
            if not self._turns:
                return None
            turn = self._turns.pop(0)
        return turn(body) if callable(turn) else turn

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._turns)


def model_env(api_base: str, base_dir: Path) -> dict[str, str]:
    """What a kernel needs to plan with the fake model, and nothing of this machine's
    jupyter-plan settings (user and admin dirs are empty folders under ``base_dir``)."""
    user, admin = base_dir / "jp-user", base_dir / "jp-admin"
    user.mkdir(exist_ok=True)
    admin.mkdir(exist_ok=True)
    return {
        "JUPYTER_PLAN_MODEL": FAKE_MODEL,
        "JUPYTER_PLAN_API_BASE": api_base,
        "JUPYTER_PLAN_API_KEY": FAKE_KEY,
        "JUPYTER_PLAN_USER_DIR": str(user),
        "JUPYTER_PLAN_ADMIN_DIR": str(admin),
    }


# -- the server -------------------------------------------------------------------------


@dataclass
class LabServer:
    """A running ``jupyter lab``; ``url`` has no trailing slash."""

    url: str
    port: int
    root_dir: Path  # the served project folder
    base_dir: Path  # the folder holding root_dir and the jupyter dirs
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

    def shutdown_sessions(self, notebook: str) -> None:
        """Shut down the kernels of ``notebook`` (best effort)."""
        try:
            for session in self.api("GET", "/api/sessions") or []:
                if session.get("path") == notebook:
                    self.api("DELETE", f"/api/sessions/{session['id']}")
        except (urllib.error.URLError, OSError, ValueError):
            pass


def stop_process(proc: subprocess.Popen[bytes]) -> None:
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


def start_lab_server(base: Path, extra_env: Mapping[str, str] | None = None) -> LabServer:
    """Start ``jupyter lab`` serving ``base/project`` (a jupyter-plan project: it holds
    ``.jupyter_plan/``) with its own jupyter dirs under ``base``; wait until it answers.

    Kernels inherit the server's environment: ``extra_env`` is how they reach a fake model.
    The caller stops it with :func:`stop_process` (``server.proc``).
    """
    return start_jupyter_server(base, extra_env, app="jupyterlab", app_class="LabApp")


def start_jupyter_server(
    base: Path,
    extra_env: Mapping[str, str] | None,
    *,
    app: str,
    app_class: str,
    news_off: bool = True,
) -> LabServer:
    """``python -m <app>`` (JupyterLab or Notebook 7) as :func:`start_lab_server` describes.

    ``news_off``: the settings override that silences JupyterLab's news plugin; Notebook 7
    lacks that plugin, and an override for a missing plugin fails its settings registry.
    """
    root = base / "project"
    dirs = {
        name: base / name
        for name in ("config", "data", "runtime", "app-settings", "user-settings", "workspaces")
    }
    (root / ".jupyter_plan").mkdir(parents=True)
    for d in dirs.values():
        d.mkdir()
    if news_off:
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
    env.update(extra_env or {})
    env.pop("JUPYTER_TOKEN", None)
    env.pop("JUPYTER_PLAN_INTERACTIVE", None)  # widgets because the lab extension connects
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        app,
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
        f"--{app_class}.app_settings_dir={dirs['app-settings']}",
        f"--{app_class}.expose_app_in_browser=True",
    ]
    log_path = base / f"{app}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop_process stops it and its kernels
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
    except BaseException:
        stop_process(proc)
        raise
    return server


def write_notebook(path: Path, sources: Iterable[str] = ()) -> None:
    """A Python notebook with these code cells (none: one empty notebook)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def launch_browser(playwright: Any) -> Any:
    """Debian's Chromium, headless. Playwright passes it a fresh temporary
    ``--user-data-dir`` itself (removed on close)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
