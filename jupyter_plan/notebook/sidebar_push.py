"""Sending the sidebar's ``state`` without blocking the kernel, and only what changed.

At 5,000 stored plans, reading the store on the kernel's loop held every cell for seconds
per push. Here the store is read in a worker thread through the plan index
(``record/index.py``: parsed once per file change) and the state is sent from the loop when
read; one worker per sidebar runs at a time and takes every push asked meanwhile, so pushes
never overtake each other. A panel that announced the ``plans_delta`` capability gets, after
its first ``state``, ``plans`` events: the plans that changed (by identity: a plan's JSON is
made once per stored file version) and the ids removed (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import weakref
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from jupyter_plan.bridge.comm import CommBridge
from jupyter_plan.models import Plan

log = logging.getLogger(__name__)

Stored = tuple[Path | None, dict[str, Plan]]
DELTA = "plans_delta"
_WORKERS: weakref.WeakSet[asyncio.Future[None]] = weakref.WeakSet()


class Pusher:
    """Pushes for one sidebar: ``compose(bridge, plan_dir, stored)`` makes the state."""

    def __init__(self, compose: Callable[[CommBridge, Path | None, dict[str, Plan]], Any]):
        self.compose = compose
        self._wanted: dict[int, CommBridge] = {}  # panels waiting for the next push
        self._worker: asyncio.Future[None] | None = None
        self._sent: weakref.WeakKeyDictionary[CommBridge, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._shown: dict[tuple[str, str | None], tuple[Plan, dict[str, Any]]] = {}

    def push(self, targets: list[CommBridge], loop: asyncio.AbstractEventLoop | None) -> int:
        """Send state to ``targets``; how many it goes to. On ``loop`` (the kernel's, when
        this runs on it) the store is read in a worker thread, else here and now."""
        if loop is None or not _on(loop):
            return sum(self.send(t, stored_plans(t)) for t in targets)
        self._wanted.update((id(t), t) for t in targets)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._pushing())
            _WORKERS.add(self._worker)
        return len(targets)

    async def _pushing(self) -> None:
        loop = asyncio.get_running_loop()
        while self._wanted:
            targets = list(self._wanted.values())
            self._wanted.clear()
            read = await loop.run_in_executor(None, _read_all, targets)
            for target, stored in zip(targets, read, strict=True):
                self.send(target, stored)

    def send(self, target: CommBridge, stored: Stored) -> bool:
        """The state (or, after the first to a ``plans_delta`` panel, the delta) to one panel."""
        try:
            state = self.compose(target, *stored)
            before = self._sent.get(target)
            shown = {e["id"]: e for e in state["plans"]}
            if before is not None and DELTA in target.info.capabilities:
                delta = {k: v for k, v in state.items() if k != "plans"}
                delta["changed"] = [e for k, e in shown.items() if before.get(k) is not e]
                delta["removed"] = [k for k in before if k not in shown]
                target.send_event("plans", delta)
            else:
                target.send_event("state", state)
            self._sent[target] = shown
            return True
        except Exception:  # a closed tab or an unreadable store must not break a run
            log.warning("jupyter_plan: state for %s failed", target.path, exc_info=True)
            return False

    def plan_json(self, plan: Plan, file: str | None) -> dict[str, Any]:
        """The plan's JSON: the same object while the plan is (a delta compares identity)."""
        from jupyter_plan.ui.render import plan_json

        held = self._shown.get((plan.id, file))
        if held is None or held[0] is not plan:
            held = self._shown[(plan.id, file)] = (plan, plan_json(plan, file=file))
        return held[1]


def _read_all(targets: list[CommBridge]) -> list[Stored]:
    return [stored_plans(t) for t in targets]


def stored_plans(bridge: CommBridge) -> Stored:
    """The plan directory and the stored plans of the notebook (any thread)."""
    from jupyter_plan.record.index import index_of
    from jupyter_plan.settings import load_settings

    start = bridge.os_path.parent if bridge.os_path is not None else Path.cwd()
    try:
        plan_dir = load_settings(start).plan_dir
        index = index_of(plan_dir)
        outlines = [o for o in index.outlines() if belongs(o.notebook_path, bridge)]
        entries = [index.entry(o) for o in outlines if o.data is not None]
    except Exception as exc:  # broken settings: the sidebar shows live plans only
        log.warning("jupyter_plan: cannot read the plans for %s: %s", bridge.path, exc)
        return None, {}
    return plan_dir, {e.plan.id: e.plan for e in entries if e.plan is not None}


async def pushes_done() -> None:
    """Wait until every push being computed has been sent (tests wait on this, not on time)."""
    while pending := [w for w in _WORKERS if not w.done()]:
        await asyncio.gather(*pending, return_exceptions=True)


def _on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def belongs(notebook_path: str | None, bridge: CommBridge) -> bool:
    """Whether a plan made for ``notebook_path`` belongs to the notebook of ``bridge``
    (unknown: yes)."""
    if not notebook_path:
        return True
    mine = PurePosixPath(bridge.path.replace(os.sep, "/")).parts
    theirs = PurePosixPath(notebook_path.replace(os.sep, "/")).parts
    n = min(len(mine), len(theirs))  # one may be absolute, the other server-relative
    return n > 0 and mine[-n:] == theirs[-n:]


def relative_file(plan_dir: Path | None, plan_id: str, bridge: CommBridge) -> str | None:
    """The plan's Markdown file relative to the notebook's folder (the panel opens it)."""
    if plan_dir is None or bridge.os_path is None:
        return None
    folder = _relative_dir(str(plan_dir), str(bridge.os_path.parent))
    return f"{plan_id}.md" if folder == "." else f"{folder}/{plan_id}.md"


@functools.lru_cache(maxsize=64)
def _relative_dir(plan_dir: str, notebook_dir: str) -> str:
    """Once per folder pair, not once per plan (``relpath`` cost 100 ms at 5,000 plans)."""
    return os.path.relpath(plan_dir, notebook_dir).replace(os.sep, "/")
