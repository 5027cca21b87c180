"""Warm the model layer while the kernel is idle, so the first ``%%plan`` starts at once.

``import litellm`` and its first call (which imports MCP handling and the provider's SDK)
take 2-5 s: the first plan waited for them. :func:`schedule`, called by ``%load_ext``, only
registers two IPython event callbacks (stdlib, microseconds). When the ``%load_ext`` cell
has finished, a daemon thread waits :data:`START_DELAY`, decides whether a warm-up is
wanted (:func:`reason_not_to`), then imports litellm through ``agent/llm.py``, makes one
offline call with ``mock_response`` (no request leaves the machine), builds the SDK client
classes; the planner and the run's card (ipywidgets) come first.

A thread doing imports holds the GIL, so a person's cell running meanwhile would share it.
So the thread imports *only while no cell runs*: a finder first on ``sys.meta_path`` stops
the warm-up thread at its next module while a cell runs (``pre_run_cell`` to
``post_run_cell``); a cell waits at most for the module being executed then (litellm's
largest takes ≈0.15 s). One exception prevents a deadlock: when another thread is itself
importing (it may wait for a module the warm-up holds half-imported — the first plan's own
``import litellm``), the warm-up goes on, at once at each module: pausing a poll per module
first made a ``%%plan`` run just after ``%load_ext`` wait minutes for litellm's ~2,000 modules.

Never warmed (a pure replay never imports litellm): ``warm_up: false`` in settings, no model
configured, ``replay: always``, a headless runner (``jupyter-plan run`` sets
``JUPYTER_PLAN_NOTEBOOK``), or no person's frontend (no JupyterLab session, VS Code or
``JUPYTER_PLAN_INTERACTIVE=1``: nbconvert, papermill, nbclient — nobody waits there, and
cells follow each other without idle time).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

START_DELAY = 0.2  # seconds after the %load_ext cell: a queued next cell (Run All) goes first
_POLL = 0.1  # while a cell runs: how often the paused warm-up looks for an importing thread
_BOOTSTRAP = "<frozen importlib._bootstrap>"
_TOOL = {"type": "function", "function": {"name": "warm_up", "parameters": {"type": "object"}}}
_current: WarmUp | None = None


def reason_not_to(env: Mapping[str, str], cwd: Path) -> str | None:
    """Why no warm-up here (None: warm up). Reads settings, so it runs on the thread."""
    if env.get("JUPYTER_PLAN_NOTEBOOK"):
        return "a headless runner executes this notebook"
    person = (
        env.get("JPY_SESSION_NAME")
        or env.get("VSCODE_PID")
        or env.get("JUPYTER_PLAN_INTERACTIVE") == "1"
    )
    if not person:
        return "no person's frontend (nbconvert, papermill, nbclient)"
    from jupyter_plan.settings import SettingsError, load_settings

    try:
        settings = load_settings(cwd, env).settings
    except SettingsError as exc:
        return f"settings: {exc}"
    if not settings.warm_up:
        return "warm_up is off in settings"
    if settings.model is None:
        return "no model configured (plans can only replay)"
    if settings.replay == "always":
        return "replay is 'always' (the model is never called)"
    return None


class _Gate:
    """A ``sys.meta_path`` finder that finds nothing: it pauses the warm-up thread at each
    module it imports while a cell runs (see the module doc)."""

    def __init__(self, thread_id: int, idle: threading.Event) -> None:
        self.thread_id, self.idle = thread_id, idle
        self.paused = 0  # times the warm-up waited for a cell (tests, the benchmark)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if threading.get_ident() != self.thread_id or self.idle.is_set():
            return None
        if _another_thread_imports(self.thread_id):
            return None  # it may wait for what this thread holds: no poll's pause per module
        self.paused += 1
        while not self.idle.wait(_POLL):
            if _another_thread_imports(self.thread_id):
                return None
        return None


def _another_thread_imports(me: int) -> bool:
    for tid, top in sys._current_frames().items():
        frame: Any = top
        for _ in range(60):
            if tid == me or frame is None:
                break
            if frame.f_code.co_filename == _BOOTSTRAP:
                return True
            frame = frame.f_back
    return False


class WarmUp:
    """One kernel's warm-up: ``state`` is scheduled, running, done, skipped: <why> or
    failed: <why>; ``finished`` is set when it will do nothing more."""

    def __init__(self, env: Mapping[str, str], cwd: Path, delay: float) -> None:
        self.env, self.cwd, self.delay = env, cwd, delay
        self.state = "scheduled"
        self.idle = threading.Event()
        self.finished = threading.Event()
        self.seconds: float | None = None  # time spent warming, pauses included
        self.gate: _Gate | None = None
        self._thread: threading.Thread | None = None

    # IPython events (main thread) ------------------------------------------------------

    def pre_run_cell(self, info: Any = None) -> None:
        self.idle.clear()

    def post_run_cell(self, result: Any = None) -> None:
        self.idle.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jupyter-plan-warm-up")
            self._thread.daemon = True
            self._thread.start()

    # the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        self.gate = _Gate(threading.get_ident(), self.idle)
        sys.meta_path.insert(0, self.gate)
        try:
            if self.finished.wait(self.delay):  # cancelled before it began
                return
            started = time.perf_counter()
            why = reason_not_to(self.env, self.cwd)
            if why is not None:
                self.state = f"skipped: {why}"
                return
            self.state = "running"
            for step in STEPS:
                step()
            self.seconds = time.perf_counter() - started
            self.state = "done"
        except Exception as exc:  # a warm-up never fails a kernel: the first plan imports
            self.state = f"failed: {type(exc).__name__}: {exc}"
            log.debug("jupyter_plan warm-up failed", exc_info=True)
        finally:
            sys.meta_path.remove(self.gate)
            self.finished.set()


def _import_litellm() -> None:
    from jupyter_plan.agent.llm import _litellm

    _litellm()


def _first_call() -> None:
    """What litellm's first call imports (tool handling, MCP, logging), offline: a mock."""
    from jupyter_plan.agent.llm import _litellm
    from jupyter_plan.agent.providers import PLACEHOLDER_KEY

    _litellm().completion(
        model="openai/warm-up",
        messages=[{"role": "user", "content": "warm-up"}],
        mock_response="ok",
        tools=[_TOOL],
        api_key=PLACEHOLDER_KEY,
    )


def _sdk() -> None:
    """The OpenAI SDK's client classes, which a real (not mocked) request builds first."""
    import importlib

    try:
        import openai
    except ImportError:
        return
    client = openai.AsyncOpenAI(api_key="warm-up", base_url="http://127.0.0.1:9")
    client.chat.completions  # noqa: B018 - the attribute imports the resource modules
    for name in (
        "litellm._service_logger",
        "litellm.llms.openai.openai",
        "litellm.litellm_core_utils.default_encoding",  # the tokenizer, for costs (0.3 s)
    ):
        importlib.import_module(name)


def _ours() -> None:
    """The agent, and the card a live run shows (ipywidgets)."""
    import jupyter_plan.agent.planner
    import jupyter_plan.agent.runs
    import jupyter_plan.ui.human  # noqa: F401


#: What ``%%plan`` imports at once comes first (ours: 0.2 s), then litellm (2-4 s), its first
#: call and the SDK's classes and tokenizer (counting a known model's tokens, and costs).
STEPS: list[Callable[[], None]] = [_ours, _import_litellm, _first_call, _sdk]


def schedule(shell: Any) -> WarmUp | None:
    """Register the warm-up with ``shell``'s cell events (``%load_ext``): it starts once
    this cell has finished. Once per kernel; light (stdlib only, no thread yet)."""
    global _current
    if _current is not None or getattr(shell, "events", None) is None:
        return _current
    _current = WarmUp(os.environ, Path.cwd(), START_DELAY)
    shell.events.register("pre_run_cell", _current.pre_run_cell)
    shell.events.register("post_run_cell", _current.post_run_cell)
    return _current


def current() -> WarmUp | None:
    """This kernel's warm-up, if ``%load_ext`` scheduled one."""
    return _current
