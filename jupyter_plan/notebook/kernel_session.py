"""Per-kernel state behind the magics: plans, builds, their widgets, undo, interrupts.

Live (a kernel whose loop is running and a person at a frontend): a plan or build is an
asyncio task on the kernel's loop and the magic returns at once — clicks queue behind a
running cell (ARCHITECTURE §5). Headless (nbclient, papermill, terminal IPython): the run
completes before the magic returns; approvals come from ``--approve``/``--yes`` or a
recorded transcript, and a run that needs a person stops with a clear message.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display

from jupyter_plan.agent.human import Human, NoHuman, YesHuman
from jupyter_plan.bridge.as_run import AsRun
from jupyter_plan.bridge.base import EditableBridge
from jupyter_plan.bridge.detached import DetachedBridge, built_cells_bundle
from jupyter_plan.bridge.execute import Executor, ShellExecutor
from jupyter_plan.bridge.history import RunningCell, history_of, running_cell
from jupyter_plan.bridge.locate import (
    RUNNER_ENV,
    choose_bridge,
    default_registry,
    locate_notebook,
)
from jupyter_plan.models import BuildMode, Plan
from jupyter_plan.policy.types import Mode
from jupyter_plan.record.store import PlanStore
from jupyter_plan.settings import ResolvedSettings, load_settings

INTERACTIVE_ENV = "JUPYTER_PLAN_INTERACTIVE"  # "1": widgets even without the lab extension
# The cell that started the run, and the headless copies it edited (see ``start``).
_RUNNING: contextvars.ContextVar[RunningCell | None] = contextvars.ContextVar(
    "jupyter_plan_running", default=None
)
_DETACHED: contextvars.ContextVar[list[DetachedBridge] | None] = contextvars.ContextVar(
    "jupyter_plan_detached", default=None
)


class SessionObserver(Protocol):
    """Follows a session from above (the Plans sidebar): the session never imports it."""

    def changed(self) -> None:
        """Plans or the mode changed."""

    def human_added(self, human: Human) -> None:
        """A run got its person (the widgets of a live run)."""


@dataclass
class Flags:
    model: str | None = None
    api_base: str | None = None
    notebook: str | None = None

    def settings(self) -> dict[str, Any]:
        return {"model": self.model, "api_base": self.api_base}


class KernelSession:
    """One per shell (``KernelSession.of(shell)``)."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.mode: Mode | None = None  # %plan mode: the session's approval mode for builds
        self.tasks: set[asyncio.Task[Any]] = set()
        self.undo: dict[str, tuple[EditableBridge, str]] = {}  # plan id -> (bridge, token)
        self.last_plan: str | None = None
        self.humans: list[Human] = []  # the widgets of each run, newest last (tests find them)
        # plan id -> shows a plan anew in its %%plan cell's output (a build ticks it off)
        self.plan_outputs: dict[str, Callable[[Plan], None]] = {}
        self.observers: list[SessionObserver] = []  # the Plans sidebar, once a panel connects
        self.built: list[dict[str, Any]] = []  # headless builds' changes, for later copies
        self.choices: dict[str, str] = {}  # cell id -> "live" | "keep", chosen on a drift
        self._saved_sigint: Any = None

    @classmethod
    def of(cls, shell: InteractiveShell) -> KernelSession:
        session = getattr(shell, "_jupyter_plan_session", None)
        if session is None:
            session = cls(shell)
            shell._jupyter_plan_session = session  # type: ignore[attr-defined]
        return session

    def observe(self, observer: SessionObserver) -> None:
        if observer not in self.observers:
            self.observers.append(observer)

    def changed(self) -> None:
        """Plans or the mode changed: the observers (the sidebar, if any) show it."""
        for observer in self.observers:
            observer.changed()

    def runs(self, plan_id: str | None = None) -> list[Any]:
        """The run states of this session (of one plan), oldest first."""
        found = (getattr(h, "state", None) for h in self.humans)
        return [r for r in found if r is not None and (plan_id is None or r.plan_id == plan_id)]

    def keep_checkpoint(self, plan_id: str, bridge: EditableBridge, token: str | None) -> None:
        """Remember (or, with no token, forget) the undo point of a plan's last build."""
        if token is None:
            self.undo.pop(plan_id, None)
        else:
            self.undo[plan_id] = (bridge, token)
        for run in self.runs(plan_id):
            run.undoable = token is not None

    async def undo_build(self, plan_id: str, store: PlanStore) -> Plan:
        """Put the notebook back as before the plan's last build; the plan is approved
        again with its steps unticked, and every run of it shows that."""
        from jupyter_plan.models import PlanStatus
        from jupyter_plan.session import transition

        bridge, token = self.undo[plan_id]
        await bridge.restore_checkpoint(token)
        self.keep_checkpoint(plan_id, bridge, None)
        restored = store.load(plan_id)
        if restored.status is PlanStatus.BUILT:
            restored = transition(restored, PlanStatus.APPROVED)
            fresh = {"status": "pending", "note": None}  # the build's ticks are undone too
            steps = [s.model_copy(update=fresh) for s in restored.steps]
            restored = restored.model_copy(update={"steps": steps})
            store.save(restored)
        for run in self.runs(plan_id):
            run.undone(restored)
        if plan_id in self.plan_outputs:
            self.plan_outputs[plan_id](restored)
        self.changed()
        return restored

    # -- where and how ----------------------------------------------------------------

    def resolve(self, flags: Flags) -> tuple[ResolvedSettings, Path | None]:
        location = self.notebook_path(flags.notebook, required=False)
        start = location.parent if location else Path.cwd()
        return load_settings(start, flags=flags.settings()), location

    def notebook_path(self, explicit: str | None, *, required: bool = True) -> Path | None:
        from jupyter_plan.bridge.base import BridgeError

        try:
            code = self.running().code
            return locate_notebook(explicit, user_ns=self.shell.user_ns, code=code).path
        except BridgeError:
            if required:
                raise
            return None

    def queued(self) -> bool:
        """Whether runs started before are still going (a new one waits for them)."""
        return any(not t.done() for t in self.tasks)

    def choose(self, cell_id: str, choice: str) -> None:
        """The person's answer to a drift for that cell ("live" or "keep"), for its next run."""
        self.choices[cell_id] = choice

    def take_choice(self) -> str | None:
        """The choice made for the running cell, once (it applies to one run)."""
        cell_id = self.running().cell_id
        return self.choices.pop(cell_id, None) if cell_id else None

    def running(self) -> RunningCell:
        """The cell that started this run (its execute request), wherever the run is now."""
        return _RUNNING.get() or running_cell(self.shell)

    def bridge(self, flags: Flags, executor: Executor | None = None) -> EditableBridge:
        """The notebook as this kernel ran it (``bridge/as_run.py``), edited live through
        JupyterLab (waiting for its panel if Run All got here first), through a headless
        runner's copy, or through the file."""
        from jupyter_plan.bridge.awaited import AwaitedComm
        from jupyter_plan.bridge.comm import CommBridge

        running = self.running()
        inner: EditableBridge
        if flags.notebook is None and self._panel_pending(running):
            session_name = os.environ.get("JPY_SESSION_NAME")
            inner = AwaitedComm(default_registry(), Path(session_name) if session_name else None)
        else:
            location = locate_notebook(
                flags.notebook, user_ns=self.shell.user_ns, code=running.code
            )
            inner = choose_bridge(location, executor=executor or ShellExecutor(self.shell))
            if isinstance(inner, CommBridge):  # whichever comm the panel has when asked
                inner = AwaitedComm(default_registry(), location.path)
            if isinstance(inner, DetachedBridge):
                for changes in self.built:  # the runner holds the cells built before
                    inner.apply(changes)
                made = _DETACHED.get()
                if made is not None:
                    made.append(inner)
        return AsRun(inner, history_of(self.shell), running)

    def _panel_pending(self, running: RunningCell) -> bool:
        """JupyterLab (or Notebook 7) sent this cell, and its panel has not connected yet."""
        if default_registry().bridges() or running.cell_id is None:
            return False
        return not (os.environ.get(RUNNER_ENV) or "__vsc_ipynb_file__" in self.shell.user_ns)

    def live(self) -> bool:
        """A running kernel loop and a person's frontend: our lab extension connected (or
        about to: the cell came from JupyterLab), or opted in."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if not loop.is_running():
            return False
        if default_registry().bridges() or os.environ.get(INTERACTIVE_ENV) == "1":
            return True
        return self._panel_pending(running_cell(self.shell))

    def store(self, resolved: ResolvedSettings) -> PlanStore:
        return PlanStore(resolved.plan_dir)

    # -- running ------------------------------------------------------------------------

    def start(
        self,
        run: Callable[[Executor | None], Coroutine[Any, Any, Any]],
        *,
        on_done: Callable[[Any, BaseException | None], None],
    ) -> asyncio.Task[Any] | None:
        """Live: schedule ``run`` and return the task; it starts once the runs started
        before it have finished (Run All queues ``%build`` right behind ``%%plan``).
        Headless: run it now (return None); a build's cells reach the runner as output."""
        running = running_cell(self.shell)
        if self.live():
            earlier = [t for t in self.tasks if not t.done()]
            task = asyncio.ensure_future(_in_order(earlier, lambda: _at(running, None, run(None))))
            self.tasks.add(task)
            self._guard_interrupts()
            task.add_done_callback(lambda t: self._finished(t, on_done))
            return task
        from jupyter_plan.run.headless import PumpedExecutor, run_blocking

        made: list[DetachedBridge] = []
        try:
            value = run_blocking(
                lambda pump: _at(
                    running, made, run(PumpedExecutor(ShellExecutor(self.shell), pump))
                )
            )
        except BaseException as exc:
            self._emit(made)
            on_done(None, exc)
            raise
        self._emit(made)
        on_done(value, None)
        return None

    def _emit(self, made: list[DetachedBridge]) -> None:
        """Show what headless builds changed as the cell's output (``bridge/detached.py``)."""
        for bridge in made:
            changes = bridge.changes()
            if changes is not None:
                self.built.append(changes)
                display(built_cells_bundle(changes), raw=True)

    def _finished(
        self, task: asyncio.Task[Any], on_done: Callable[[Any, BaseException | None], None]
    ) -> None:
        self.tasks.discard(task)
        if not self.tasks:
            self._release_interrupts()
        if task.cancelled():
            on_done(None, asyncio.CancelledError("interrupted"))
        else:
            on_done(task.result() if task.exception() is None else None, task.exception())

    async def wait_idle(self) -> None:
        """Await every running plan and build (tests, and ``await`` in a cell)."""
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    # -- interrupts ---------------------------------------------------------------------

    def _guard_interrupts(self) -> None:
        """An idle kernel ignores SIGINT (ipykernel restores SIG_IGN after each cell); while
        our tasks run, an interrupt cancels them instead. The draft is kept by the runs."""
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None or self._saved_sigint is not None:
            return
        loop = asyncio.get_running_loop()
        previous = getattr(kernel, "saved_sigint_handler", signal.SIG_IGN)

        def on_sigint(signum: int, frame: Any) -> None:
            for task in list(self.tasks):
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(task.cancel)
            if callable(previous):
                previous(signum, frame)

        self._saved_sigint = previous
        kernel.saved_sigint_handler = on_sigint  # what ipykernel reinstates after this cell

    def _release_interrupts(self) -> None:
        kernel = getattr(self.shell, "kernel", None)
        if kernel is not None and self._saved_sigint is not None:
            kernel.saved_sigint_handler = self._saved_sigint
            if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
                signal.signal(signal.SIGINT, self._saved_sigint)
        self._saved_sigint = None

    # -- people -------------------------------------------------------------------------

    def human(self, title: str, approve: BuildMode | None, yes: bool, kind: str = "plan") -> Human:
        """A run's card when live; ``--approve``/``--yes`` answer for a person; else nobody."""
        if self.live():
            from jupyter_plan.ui.human import WidgetHuman, current_cell_id

            human = WidgetHuman(
                title=title, kind="build" if kind == "build" else "plan", cell_id=current_cell_id()
            )
            human.show()
            self.humans.append(human)
            for observer in self.observers:
                observer.human_added(human)
            return human
        if approve is not None or yes:
            return YesHuman(approve or "auto_edit")
        return NoHuman()


async def _at(
    running: RunningCell, made: list[DetachedBridge] | None, run: Coroutine[Any, Any, Any]
) -> Any:
    """Run ``run`` knowing its cell (and collecting headless copies), on any thread."""
    token, token2 = _RUNNING.set(running), _DETACHED.set(made)
    try:
        return await run
    finally:
        _RUNNING.reset(token)
        _DETACHED.reset(token2)


async def _in_order(
    earlier: list[asyncio.Task[Any]], run: Callable[[], Coroutine[Any, Any, Any]]
) -> Any:
    """Wait for the runs started before; if one stopped, this one does not start."""
    from jupyter_plan.agent.runs import RunSetupError

    if earlier:
        results = await asyncio.gather(*earlier, return_exceptions=True)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            why = str(failed).splitlines()[0] if str(failed) else type(failed).__name__
            raise RunSetupError(
                f"not started: the jupyter-plan run before it stopped ({why}); run this cell "
                "again once that is settled"
            )
    return await run()


def placeholder(text: str) -> Any:
    """A display to fill in later (from a background task: updates are routed by id)."""
    return display({"text/markdown": text, "text/plain": text}, raw=True, display_id=True)


def bundle(plan: Plan, resolved: ResolvedSettings, notebook: Path | None) -> dict[str, Any]:
    """The plan as Markdown plus its JSON: a saved notebook shows it anywhere, and the
    sidebar links to the plan's file (relative to the notebook's folder)."""
    from jupyter_plan.ui.render import plan_bundle

    file = None  # never an absolute path of this machine in a shared notebook
    if notebook is not None:
        file = Path(os.path.relpath(resolved.plan_dir / f"{plan.id}.md", notebook.parent))
    return plan_bundle(plan, file=file.as_posix() if file else None)
