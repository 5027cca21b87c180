"""Sending the sidebar's ``state`` without blocking the kernel, and only what changed.

At 5,000 stored plans, reading the store on the kernel's loop held every cell for seconds
per push. Here the store is read in a worker thread through the plan index
(``record/index.py``: parsed once per file change) and the state is sent from the loop when
read; one worker per sidebar runs at a time and takes every push asked meanwhile, so pushes
never overtake each other. A panel that announced the ``plans_delta`` capability gets, after
its first ``state``, ``plans`` events: the plans that changed (by identity: a plan's JSON is
made once per stored file version) and the ids removed (docs/protocol.md).

Such a panel's first ``state`` holds only the newest :data:`FIRST_PAGE` plans (and ``loading``:
how many more follow); the rest come in ``plans`` events of :data:`PAGE` plans, each read in
the worker, with the loop free between them. A fresh kernel's first push at 5,000 plans read
every plan's revisions, validated and serialised 13.5 MB before the panel showed anything
(1.3-1.9 s, part of it on the loop); a page needs the index and 50 plans.
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
FIRST_PAGE = 50  # plans in a delta panel's first state: more than a screenful
PAGE = 1000  # plans per follow-up ``plans`` event (2.7 MB of JSON)
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
        # panels sent only the newest plans so far: how many stored plans they were sent
        self._partial: weakref.WeakKeyDictionary[CommBridge, int] = weakref.WeakKeyDictionary()

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
            limits = [self._limit(t) for t in targets]
            read = await loop.run_in_executor(None, self._read_all, targets, limits)
            for target, (stored, rest) in zip(targets, read, strict=True):
                self.send(target, stored, rest)
                if target in self._partial and not target.closed:
                    self._wanted.setdefault(id(target), target)  # the next page

    def _limit(self, target: CommBridge) -> int | None:
        """How many stored plans to read for ``target`` (None: all)."""
        if DELTA not in target.info.capabilities:
            return None  # a panel that cannot take ``plans`` events gets the whole state
        if target not in self._sent:
            return FIRST_PAGE
        sent = self._partial.get(target)
        return None if sent is None else sent + PAGE

    def _read_all(
        self, targets: list[CommBridge], limits: list[int | None]
    ) -> list[tuple[Stored, frozenset[str] | None]]:
        """In the worker: each target's plans, their JSON made here rather than on the loop."""
        read = []
        for target, limit in zip(targets, limits, strict=True):
            stored, rest = paged_plans(target, limit)
            for plan in stored[1].values():
                self.plan_json(plan, relative_file(stored[0], plan.id, target))
            read.append((stored, rest))
        return read

    def send(self, target: CommBridge, stored: Stored, every: frozenset[str] | None = None) -> bool:
        """The state (or, after the first to a ``plans_delta`` panel, the delta) to one panel.
        ``every``: the ids of all its stored plans when ``stored`` holds only the newest."""
        try:
            state = self.compose(target, *stored)
            before = self._sent.get(target)
            shown = {e["id"]: e for e in state["plans"]}
            if every is not None:  # plans sent before and not read this time are still there
                if before is not None:
                    shown = {**{k: e for k, e in before.items() if k in every}, **shown}
                state["loading"] = len(every - shown.keys())
            elif target in self._partial:
                state["loading"] = 0  # the last page
            if before is not None and DELTA in target.info.capabilities:
                delta = {k: v for k, v in state.items() if k != "plans"}
                delta["changed"] = [e for k, e in shown.items() if before.get(k) is not e]
                delta["removed"] = [k for k in before if k not in shown]
                target.send_event("plans", delta)
            else:
                target.send_event("state", state)
            self._sent[target] = shown
            if state.get("loading"):
                self._partial[target] = len(stored[1])
            else:
                self._partial.pop(target, None)
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


def stored_plans(bridge: CommBridge) -> Stored:
    """The plan directory and the stored plans of the notebook (any thread)."""
    return paged_plans(bridge, None)[0]


def paged_plans(bridge: CommBridge, limit: int | None) -> tuple[Stored, frozenset[str] | None]:
    """The notebook's newest ``limit`` stored plans that have a revision (None: every stored
    plan) and, when that is not all of them, the ids of all (any thread). Only the plans
    returned are read whole (revision Markdown, validation): the rest stay index entries."""
    from jupyter_plan.record.index import index_of
    from jupyter_plan.settings import load_settings

    start = bridge.os_path.parent if bridge.os_path is not None else Path.cwd()
    try:
        plan_dir = load_settings(start).plan_dir
        index = index_of(plan_dir)
        outlines = [
            o
            for o in index.outlines()
            if o.data is not None and belongs(o.notebook_path, bridge)
            if limit is None or o.revision  # a page counts the plans the sidebar lists
        ]
        every = None
        if limit is not None and len(outlines) > limit:
            every = frozenset(o.id for o in outlines)
            outlines = outlines[:limit]  # newest first
        entries = [index.entry(o) for o in outlines]
    except Exception as exc:  # broken settings: the sidebar shows live plans only
        log.warning("jupyter_plan: cannot read the plans for %s: %s", bridge.path, exc)
        return (None, {}), None
    return (plan_dir, {e.plan.id: e.plan for e in entries if e.plan is not None}), every


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
    return not notebook_path or _same_notebook(notebook_path, bridge.path)


@functools.lru_cache(maxsize=1024)
def _same_notebook(notebook_path: str, path: str) -> bool:
    """Once per pair, not once per plan (100 ms at 5,000 plans: most share one notebook)."""
    mine = PurePosixPath(path.replace(os.sep, "/")).parts
    theirs = PurePosixPath(notebook_path.replace(os.sep, "/")).parts
    n = min(len(mine), len(theirs))  # one may be absolute, the other server-relative
    return n > 0 and mine[-n:] == theirs[-n:]


def relative_file(plan_dir: Path | None, plan_id: str, bridge: CommBridge) -> str | None:
    """The plan's Markdown file relative to the notebook's folder (the panel opens it)."""
    if plan_dir is None or bridge.os_path is None:
        return None
    folder = _relative_dir(str(plan_dir), os.path.dirname(str(bridge.os_path)))
    return f"{plan_id}.md" if folder == "." else f"{folder}/{plan_id}.md"


@functools.lru_cache(maxsize=64)
def _relative_dir(plan_dir: str, notebook_dir: str) -> str:
    """Once per folder pair, not once per plan (``relpath`` cost 100 ms at 5,000 plans)."""
    return os.path.relpath(plan_dir, notebook_dir).replace(os.sep, "/")
