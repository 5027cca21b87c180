"""The kernel side of JupyterLab's Plans sidebar: its buttons, and the ``state`` it shows.

The sidebar sends ``set_mode``, ``approve``, ``iterate``, ``reject`` and ``build`` over a
panel's ``jupyter_plan`` comm (ARCHITECTURE §7). Approve, Iterate and Reject settle the
same decision as the review widget's buttons (its Python actions), so a click in either
place is one decision. Build inserts a ``%build ID`` cell below the plan's cell and runs
it: the build is a cell of the notebook, recorded and re-runnable like one typed by hand.

The kernel pushes ``state`` (the notebook's plans, the approval mode, the plan awaiting a
decision) when a panel connects and whenever one of those changes. Pushes are coalesced
on the kernel's loop: a build ticking steps sends one event per loop turn, not per tick.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from jupyter_plan.agent.human import Human
from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.comm import CommBridge
from jupyter_plan.bridge.locate import CommRegistry, default_registry
from jupyter_plan.models import NewCell, Plan
from jupyter_plan.notebook.kernel_session import KernelSession
from jupyter_plan.policy.types import Mode

if TYPE_CHECKING:
    from jupyter_plan.ui.review import PlanReviewWidget

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

    def attach(self) -> Sidebar:
        """Register the op handlers and the on-open push (idempotent)."""
        for op in ("set_mode", "approve", "iterate", "reject", "build"):
            self.registry.on(op, getattr(self, f"_op_{op}"))
        self.registry.on_open(self._opened)
        for review in self._reviews():
            self.watch(review)
        return self

    # -- what the panels see ----------------------------------------------------------

    def human_added(self, human: Human) -> None:
        review = getattr(human, "review_widget", None)
        if review is not None:
            self.watch(review)

    def watch(self, review: PlanReviewWidget) -> None:
        """Follow a run's review widget: its plan and its pending decision are state."""
        if id(review) not in self._watched:
            self._watched.add(id(review))
            review.observe(lambda _change: self.changed(), names=["plan", "awaiting"])
        self.changed()

    def _reviews(self) -> list[PlanReviewWidget]:
        """The review widgets of the session's runs, oldest first."""
        found = (getattr(h, "review_widget", None) for h in self.session.humans)
        return [r for r in found if r is not None]

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
        """Send ``state`` to one panel, or to every open one; how many got it."""
        targets = [bridge] if bridge is not None else self.registry.bridges()
        sent = 0
        for target in targets:
            try:
                target.send_event("state", self.state(target))
                sent += 1
            except Exception:  # a closed tab or an unreadable store must not break a run
                log.warning("jupyter_plan: state for %s failed", target.path, exc_info=True)
        return sent

    def state(self, bridge: CommBridge) -> dict[str, Any]:
        """``{plans, mode, pending_approval}`` for the notebook ``bridge`` edits."""
        from jupyter_plan.ui.render import plan_json

        store_dir, plans = self._stored(bridge)
        for review in self._reviews():  # a run's own copy is newer (drafts, build progress)
            plan = review.plan
            if plan is not None and _belongs(plan, bridge):
                plans[plan.id] = plan
        pending = next(
            (r.plan.id for r in reversed(self._reviews()) if r.awaiting and r.plan is not None),
            None,
        )
        mode = self.session.mode
        return {
            "plans": [
                plan_json(p, file=_relative_file(store_dir, p.id, bridge))
                for p in sorted(plans.values(), key=lambda p: p.created)
            ],
            "mode": mode.value if mode is not None else None,
            "pending_approval": pending,
        }

    def _stored(self, bridge: CommBridge) -> tuple[Path | None, dict[str, Plan]]:
        from jupyter_plan.record.store import PlanStore
        from jupyter_plan.settings import load_settings

        start = bridge.os_path.parent if bridge.os_path is not None else Path.cwd()
        try:
            plan_dir = load_settings(start).plan_dir
            entries = PlanStore(plan_dir).scan()
        except Exception as exc:  # broken settings: the sidebar shows live plans only
            log.warning("jupyter_plan: cannot read the plans for %s: %s", bridge.path, exc)
            return None, {}
        found = {e.plan.id: e.plan for e in entries if e.plan and _belongs(e.plan, bridge)}
        return plan_dir, found

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
        text = args.get("mode")
        if not isinstance(text, str):
            raise BridgeError("set_mode needs {mode: default|auto_edit|plan|yolo}")
        try:
            self.session.mode = Mode.parse(text)
        except ValueError as exc:
            raise BridgeError(f"set_mode: {exc}") from None
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

    def _awaiting(self, args: dict[str, Any], op: str) -> PlanReviewWidget:
        plan_id = _plan_id(args, op)
        for review in reversed(self._reviews()):
            if review.awaiting and review.plan is not None and review.plan.id == plan_id:
                return review
        raise BridgeError(
            f"{op}: plan {plan_id!r} is not awaiting a decision in this kernel "
            "(run its %%plan cell again to review it)"
        )

    async def _op_build(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        plan_id = _plan_id(args, "build")
        snapshot = await bridge.get_notebook()
        after = _plan_cell(snapshot.cells, plan_id)
        [cell_id] = await bridge.insert_cells([NewCell(source=f"%build {plan_id}")], after=after)
        # Not awaited: the run answers when the cell finishes, and this reply should not
        # wait for a whole build. Errors show in the cell, like any cell's.
        task = asyncio.ensure_future(bridge.run_cells([cell_id]))
        task.add_done_callback(_log_failure)
        return {"cell_id": cell_id}


def _plan_id(args: dict[str, Any], op: str) -> str:
    plan_id = args.get("plan_id")
    if not isinstance(plan_id, str) or not plan_id:
        raise BridgeError(f"{op} needs {{plan_id}}")
    return plan_id


def _plan_cell(cells: list[Any], plan_id: str) -> str | None:
    """The last cell showing the plan (its ``%%plan`` cell), else None (the end)."""
    found = None
    for cell in cells:
        for output in cell.outputs:
            plan = (output.get("data") or {}).get(PLAN_MIME)
            if isinstance(plan, dict) and plan.get("id") == plan_id:
                found = cell.id
    return found


def _belongs(plan: Plan, bridge: CommBridge) -> bool:
    """Whether ``plan`` was made for the notebook of ``bridge`` (unknown: yes)."""
    if not plan.notebook_path:
        return True
    mine = PurePosixPath(bridge.path.replace(os.sep, "/")).parts
    theirs = PurePosixPath(plan.notebook_path.replace(os.sep, "/")).parts
    n = min(len(mine), len(theirs))  # one may be absolute, the other server-relative
    return n > 0 and mine[-n:] == theirs[-n:]


def _relative_file(plan_dir: Path | None, plan_id: str, bridge: CommBridge) -> str | None:
    """The plan's Markdown file relative to the notebook's folder (the panel opens it)."""
    if plan_dir is None or bridge.os_path is None:
        return None
    return os.path.relpath(plan_dir / f"{plan_id}.md", bridge.os_path.parent).replace(os.sep, "/")


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("jupyter_plan: running the %%build cell failed: %s", task.exception())
