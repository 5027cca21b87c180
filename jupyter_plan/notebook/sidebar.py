"""The kernel side of JupyterLab's Plans sidebar: its buttons, and the ``state`` it shows.

The sidebar sends ``set_mode``, ``cycle_mode``, ``approve``, ``iterate``, ``reject``,
``build`` and ``act`` (``{plan_id, action, ...}``: any action a run offers) over a panel's
``jupyter_plan`` comm (ARCHITECTURE §7). They settle the same run state as the card's
buttons, so a click in either place is one decision. This module is also every run's
controller for what needs the notebook: Build inserts a ``%build ID`` cell below the plan's
cell and runs it (a cell of the notebook, recorded and re-runnable like one typed by hand),
Rebuild a ``%build --rebuild ID`` cell; Retry runs the run's own cell again; Undo build
restores the build's checkpoint.

The kernel pushes ``state`` (the notebook's plans with their live runs, the approval mode,
the plan awaiting a decision) when a panel connects and whenever one of those changes; a panel
announcing ``plans_delta`` gets ``plans`` events after its first state: only the plans that
changed. Pushes are coalesced on the kernel's loop (a build ticking steps sends one event per
loop turn, not per tick), and the plan store is read in a worker thread through the plan index
(``record/index.py``), so the kernel answers cells while a push is computed.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_plan.agent.human import Human
from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.comm import CommBridge
from jupyter_plan.bridge.locate import CommRegistry, default_registry
from jupyter_plan.models import NewCell, Plan
from jupyter_plan.notebook.kernel_session import KernelSession
from jupyter_plan.notebook.mode_cycle import next_mode, plan_blocked
from jupyter_plan.notebook.sidebar_push import Pusher, belongs, relative_file, stored_plans
from jupyter_plan.policy.types import Mode

if TYPE_CHECKING:
    from jupyter_plan.ui.state import RunState

log = logging.getLogger(__name__)

PLAN_MIME = "application/vnd.jupyter-plan+json"  # ui.render.PLAN_MIME, without ipywidgets


def connect_sidebar(session: KernelSession) -> Sidebar:
    """Answer the Plans sidebar's ops and follow ``session`` (once, at the first panel)."""
    found = next((o for o in session.observers if isinstance(o, Sidebar)), None)
    if found is None:
        found = Sidebar(session).attach()
        session.observe(found)
    return found


class Sidebar:
    """One per kernel session: answers the sidebar's ops and keeps its panels up to date.
    It observes the session (:meth:`changed`, :meth:`human_added`)."""

    def __init__(self, session: KernelSession, registry: CommRegistry | None = None) -> None:
        self.session = session
        self.registry = registry if registry is not None else default_registry()
        self._watched: set[int] = set()
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.pusher = Pusher(self._compose)  # off the loop, deltas (notebook/sidebar_push.py)

    def attach(self) -> Sidebar:
        """Register the op handlers and the on-open push (idempotent)."""
        for op in ("set_mode", "cycle_mode", "approve", "iterate", "reject", "build", "act"):
            self.registry.on(op, getattr(self, f"_op_{op}"))
        self.registry.on_open(self._opened)
        for run in self._runs():
            self.watch(run)
        return self

    # -- what the panels see ----------------------------------------------------------

    def human_added(self, human: Human) -> None:
        run = getattr(human, "state", None)
        if run is not None:
            self.watch(run)

    def watch(self, run: RunState) -> None:
        """Follow a run: its phase, plan and what it waits for are state. A run from a cell
        that ran before replaces that cell's older run; a plan changed by one run (a build
        ticking it off) shows in the others of that plan."""
        if id(run) not in self._watched:
            self._watched.add(id(run))
            for older in self._runs():
                if older is not run and run.cell_id and older.cell_id == run.cell_id:
                    older.superseded = True
            run.controller = self._control
            run.undoable = run.plan_id in getattr(self.session, "undo", {})
            run.observe(lambda _change: self.changed(), names=list(_SHOWN))
            run.observe(self._share_plan, names=["plan"])
        self.changed()

    def _runs(self) -> list[RunState]:
        """The runs of the session that still show, oldest first."""
        found = (getattr(h, "state", None) for h in self.session.humans)
        return [r for r in found if r is not None and not r.superseded]

    def _share_plan(self, change: dict[str, Any]) -> None:
        plan = change["new"]
        if plan is not None and not change["owner"].live:
            for run in self._runs():
                if run is not change["owner"]:
                    run.sync_plan(plan)

    def changed(self) -> None:
        """Something the sidebar shows changed: push ``state`` soon (any thread)."""
        loop = self._loop_now()
        if loop is None:  # no running kernel loop (tests, terminal IPython): push now
            self.push()
            return
        if self._scheduled:
            return
        self._scheduled = True
        try:
            loop.call_soon_threadsafe(self._push_scheduled)
        except RuntimeError:  # the loop closed under us
            self._scheduled = False

    def _push_scheduled(self) -> None:
        self._scheduled = False
        self.push()

    def push(self, bridge: CommBridge | None = None) -> int:
        """Send ``state`` to one panel, or to every open one; how many it goes to. On the
        kernel's loop the store is read in a worker thread and the state sent when read."""
        targets = [bridge] if bridge is not None else self.registry.bridges()
        return self.pusher.push(targets, self._loop_now())

    def state(self, bridge: CommBridge) -> dict[str, Any]:
        """``{plans, mode, pending_approval}`` for the notebook ``bridge`` edits; a plan with
        a run in this kernel carries ``run`` (phase, valid actions, what waits), and a run
        still drafting its first revision is listed under its run key."""
        return self._compose(bridge, *stored_plans(bridge))

    def _compose(
        self, bridge: CommBridge, store_dir: Path | None, stored: dict[str, Plan]
    ) -> dict[str, Any]:
        from jupyter_plan.ui.snapshot import run_summary

        # never-submitted drafts (a failed or stopped first run) show through their run only
        plans = {k: p for k, p in stored.items() if p.revisions}
        runs: dict[str, RunState] = {}
        for run in self._runs():  # a run's own copy is newer (drafts, build progress)
            plan = run.plan
            if plan is None:
                runs[run.key] = run
            elif belongs(plan.notebook_path, bridge):
                plans[plan.id], runs[plan.id] = plan, run
        entries = [_draft_entry(run) for run in runs.values() if run.plan is None]
        for p in sorted(plans.values(), key=lambda p: p.created):
            entry = self.pusher.plan_json(p, relative_file(store_dir, p.id, bridge))
            if p.id in runs:
                entry = {**entry, "run": run_summary(runs[p.id])}
            entries.append(entry)
        pending = next(
            (r.plan.id for r in reversed(self._runs()) if r.awaiting and r.plan is not None),
            None,
        )
        mode = self.session.mode
        return {
            "plans": entries,
            "mode": mode.value if mode is not None else None,
            "default_mode": _chosen_default_mode(bridge),
            "pending_approval": pending,
        }

    def _opened(self, bridge: CommBridge) -> None:
        self.push(bridge)

    def _loop_now(self) -> asyncio.AbstractEventLoop | None:
        loop: asyncio.AbstractEventLoop | None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loop
        else:
            self._loop = loop
        return loop if loop is not None and not loop.is_closed() else None

    # -- the sidebar's buttons -----------------------------------------------------------

    def _op_set_mode(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        mode = _mode_arg(args.get("mode"), "set_mode")
        if mode is None:
            raise BridgeError("set_mode needs {mode: default|auto_edit|plan|yolo}")
        self.session.mode = mode
        self.changed()
        return {"mode": self.session.mode.value}

    def _op_cycle_mode(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        """``{from?}``: the next mode of the cycle after ``from``, the mode the panel showed
        when pressed (so quick presses stay in step even if one is lost), else after the one
        the panels show; whether plan is offered is decided here (notebook/mode_cycle.py)."""
        if "from" in args:
            shown = _mode_arg(args["from"], "cycle_mode")
        else:
            chosen = _chosen_default_mode(bridge)
            shown = self.session.mode or (Mode.parse(chosen) if chosen else None)
        self.session.mode = next_mode(shown, plan_blocked(self._runs()) is not None)
        self.changed()
        return {"mode": self.session.mode.value}

    def _op_approve(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        build_mode = args.get("build_mode", "auto_edit")
        if build_mode not in ("auto_edit", "default"):
            raise BridgeError(f"approve: build_mode {build_mode!r} is not auto_edit or default")
        decision = self._awaiting(args, "approve").approve(build_mode)
        return {"decision": decision.action}

    def _op_iterate(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        feedback = args.get("feedback")
        if not isinstance(feedback, str) or not feedback.strip():
            raise BridgeError("iterate needs feedback: say what should change")
        decision = self._awaiting(args, "iterate").iterate(feedback)
        return {"decision": decision.action}

    def _op_reject(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        reason = args.get("reason")
        review = self._awaiting(args, "reject")
        decision = review.reject(reason if isinstance(reason, str) else None)
        return {"decision": decision.action}

    def _awaiting(self, args: dict[str, Any], op: str) -> RunState:
        plan_id = _plan_id(args, op)
        for run in reversed(self._runs()):
            if run.awaiting and run.plan_id == plan_id:
                return run
        raise BridgeError(
            f"{op}: plan {plan_id!r} is not awaiting a decision in this kernel "
            "(run its %%plan cell again to review it)"
        )

    def _op_act(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        """``{plan_id, action, ...}``: the action on the plan's newest run (a draft's run
        is named by its key)."""
        from jupyter_plan.ui.actions import ActionRefused

        plan_id, action = _plan_id(args, "act"), args.get("action")
        run = next((r for r in reversed(self._runs()) if plan_id in (r.plan_id, r.key)), None)
        if run is None or not isinstance(action, str):
            raise BridgeError(f"act: no run of {plan_id!r} in this kernel (or no action given)")
        rest = {k: v for k, v in args.items() if k not in ("plan_id", "action")}
        try:
            run.act(action, **rest)
        except ActionRefused as exc:
            raise BridgeError(str(exc)) from None
        return {"phase": run.shown_phase}

    async def _op_build(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        plan_id = _plan_id(args, "build")
        rebuild = " --rebuild" if args.get("rebuild") else ""
        return {
            "cell_id": await self._insert_and_run(bridge, f"%build{rebuild} {plan_id}", plan_id)
        }

    async def _insert_and_run(self, bridge: CommBridge, source: str, plan_id: str) -> str:
        """A cell with ``source`` below the plan's cell (the end without one), then run it."""
        snapshot = await bridge.get_notebook()
        after = plan_cell(snapshot.cells, plan_id)
        [cell_id] = await bridge.insert_cells([NewCell(source=source)], after=after)
        # Not awaited: the run answers when the cell finishes, and this reply should not
        # wait for a whole build. Errors show in the cell, like any cell's.
        task = asyncio.ensure_future(bridge.run_cells([cell_id]))
        task.add_done_callback(_log_failure)
        return cell_id

    # -- what a run's card asks of the notebook ---------------------------------------

    def _control(self, run: RunState, action: str) -> None:
        """Build, rebuild, retry, resume or undo for ``run`` (any thread; not awaited: the
        card shows what happens)."""
        bridge = self._bridge_of(run)
        loop = self._loop_now()
        if bridge is None or loop is None:
            from jupyter_plan.ui.actions import ActionRefused

            raise ActionRefused("the notebook is not connected to this kernel")
        coroutine = self._perform(bridge, run, action)
        loop.call_soon_threadsafe(
            lambda: asyncio.ensure_future(coroutine).add_done_callback(
                lambda task: _told(run, action, task)
            )
        )

    async def _perform(self, bridge: CommBridge, run: RunState, action: str) -> None:
        plan_id = run.plan_id or ""
        if action in ("build", "rebuild"):
            await self._op_build(bridge, {"plan_id": plan_id, "rebuild": action == "rebuild"})
            return
        if action in ("live", "keep"):  # the person's answer to a drift, for the cell's next run
            if not run.cell_id:
                raise BridgeError("the cell that started this run is unknown: run it again")
            self.session.choose(run.cell_id, action)
            task = asyncio.ensure_future(bridge.run_cells([run.cell_id]))
            task.add_done_callback(_log_failure)
            return
        if action == "undo" or (run.kind == "build" and run.undoable):
            await self._undo(plan_id)  # a build's retry starts again from its checkpoint
        if action in ("retry", "resume"):
            if not run.cell_id:
                raise BridgeError("the cell that started this run is unknown: run it again")
            task = asyncio.ensure_future(bridge.run_cells([run.cell_id]))
            task.add_done_callback(_log_failure)

    async def _undo(self, plan_id: str) -> None:
        from jupyter_plan.notebook.kernel_session import Flags

        resolved, _ = self.session.resolve(Flags())
        await self.session.undo_build(plan_id, self.session.store(resolved))

    def _bridge_of(self, run: RunState) -> CommBridge | None:
        bridges = self.registry.bridges()
        plan = run.plan
        mine = [b for b in bridges if plan is None or belongs(plan.notebook_path, b)]
        found = mine or bridges
        return found[0] if found else None


def _plan_id(args: dict[str, Any], op: str) -> str:
    plan_id = args.get("plan_id")
    if not isinstance(plan_id, str) or not plan_id:
        raise BridgeError(f"{op} needs {{plan_id}}")
    return plan_id


def plan_cell(cells: list[Any], plan_id: str) -> str | None:
    """The last cell showing the plan (its ``%%plan`` cell), else None (the end)."""
    found = None
    for cell in cells:
        for output in cell.outputs:
            plan = (output.get("data") or {}).get(PLAN_MIME)
            if isinstance(plan, dict) and plan.get("id") == plan_id:
                found = cell.id
    return found


_SHOWN = ("plan", "phase", "awaiting", "questions", "approval", "error", "undoable", "superseded")


def _draft_entry(run: RunState) -> dict[str, Any]:
    """A run with no plan yet, listed from the moment it starts drafting."""
    from jupyter_plan.ui.render import PLAN_MIME_VERSION
    from jupyter_plan.ui.snapshot import run_summary

    return {
        "version": PLAN_MIME_VERSION,
        "id": run.key,
        "title": run.title or "New plan",
        "status": "drafting",
        "revision": 0,
        "steps": [],
        "run": run_summary(run),
    }


def _told(run: RunState, action: str, task: asyncio.Future[Any]) -> None:
    """A card action that failed says so on the card (not in a log nobody reads)."""
    if not task.cancelled() and task.exception() is not None:
        run.message = f"{action} failed: {task.exception()}"


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("jupyter_plan: running the %%build cell failed: %s", task.exception())


def _mode_arg(value: Any, op: str) -> Mode | None:
    """A mode sent by the panel (None: unset); anything else is refused, naming ``op``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BridgeError(f"{op} needs a mode: default|auto_edit|plan|yolo")
    try:
        return Mode.parse(value)
    except ValueError as exc:
        raise BridgeError(f"{op}: {exc}") from None


def _chosen_default_mode(bridge: CommBridge) -> str | None:
    """``default_approval_mode`` when a settings source chose it (shown before a mode is set)."""
    from jupyter_plan.settings import load_settings

    try:
        resolved = load_settings(bridge.os_path.parent if bridge.os_path else Path.cwd())
    except Exception:  # broken settings are reported where they are used
        return None
    chosen = resolved.source_of("default_approval_mode").layer != "default"
    return str(resolved.settings.default_approval_mode) if chosen else None
