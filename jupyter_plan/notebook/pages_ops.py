"""The panel's ops for pages and hand edits, answered by the kernel over the comm.

The plan and page folders are hidden by default (``.jupyter_plan/…``), and jupyter-server
refuses hidden paths unless ``ContentsManager.allow_hidden`` is set, so the panel reads and
saves these files through the kernel: JupyterLab's editor shows the text, the kernel writes
it (atomically) and checks it. A plan saved with a change is a hand edit (``record/edits.py``):
revision N+1 by the person, or an error naming file:line, the file keeping the text.

Ops: ``pages``, ``page_read {name}``, ``page_new {name}``, ``page_save {name, text}``,
``plan_file_read {plan_id}``, ``plan_file_save {plan_id, text}``, ``page_from_plan
{plan_id}`` (Turn into a page: the page, and a ``%%plan --page`` cell run below the plan),
``approve_stored {plan_id, build_mode}`` (approve a plan edited after its run ended).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.comm import CommBridge
from jupyter_plan.models import NewCell, ReviewDecision
from jupyter_plan.notebook.kernel_session import KernelSession
from jupyter_plan.notebook.sidebar import plan_cell
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.record.edits import EditRefused, HandEditError, absorb_edit
from jupyter_plan.record.pages import PageError, PageStore, next_plan_cell, page_from_plan
from jupyter_plan.record.store import PlanStore, PlanStoreError
from jupyter_plan.session import apply_review
from jupyter_plan.settings import ResolvedSettings, load_settings

log = logging.getLogger(__name__)
OPS = (
    "pages",
    "page_read",
    "page_new",
    "page_save",
    "plan_file_read",
    "plan_file_save",
    "page_from_plan",
    "approve_stored",
)


class PageOps:
    """Registered on the comm registry next to the sidebar's ops (``attach``)."""

    def __init__(self, session: KernelSession, changed: Any = None) -> None:
        self.session = session
        self.changed = changed or (lambda: None)

    def attach(self, registry: Any) -> PageOps:
        for op in OPS:
            registry.on(op, getattr(self, f"op_{op}"))
        return self

    # -- where -----------------------------------------------------------------------

    def _resolved(self, bridge: CommBridge) -> ResolvedSettings:
        start = bridge.os_path.parent if bridge.os_path is not None else Path.cwd()
        try:
            return load_settings(start)
        except Exception as exc:  # a broken settings file: said in one line
            raise BridgeError(f"cannot read the settings: {exc}") from None

    def _pages(self, bridge: CommBridge) -> PageStore:
        return PageStore(self._resolved(bridge).pages_dir)

    def _plans(self, bridge: CommBridge) -> PlanStore:
        return PlanStore(self._resolved(bridge).plan_dir)

    # -- pages -----------------------------------------------------------------------

    def op_pages(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        store = self._pages(bridge)
        pages = [{"name": p.name, "title": p.title, "chars": len(p.text)} for p in store.list()]
        return {"pages": pages, "folder": str(store.pages_dir)}

    def op_page_read(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        page = _page_call(lambda: self._pages(bridge).read(_name(args)))
        return {"name": page.name, "text": page.text, "path": str(page.path)}

    def op_page_new(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        page = _page_call(lambda: self._pages(bridge).new(_name(args)))
        self.changed()
        return {"name": page.name, "text": page.text, "path": str(page.path)}

    def op_page_save(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        """The person's save of a page (the person writes pages; no agent tool does)."""
        text = _text(args)
        path = _page_call(lambda: self._pages(bridge).path_of(_name(args)))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
        return {"name": path.stem, "saved": True}

    # -- the plan file -----------------------------------------------------------------

    def op_plan_file_read(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        path = self._plans(bridge).path_of(_plan_id(args))
        try:
            return {"text": path.read_bytes().decode("utf-8"), "path": str(path)}
        except (OSError, UnicodeDecodeError) as exc:
            raise BridgeError(f"cannot read {path}: {exc}") from None

    def op_plan_file_save(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        """Write the person's text, then keep it as a revision, or say file:line why not."""
        store, plan_id, text = self._plans(bridge), _plan_id(args), _text(args)
        path = store.path_of(plan_id)
        if not path.exists():
            raise BridgeError(f"no plan {plan_id!r} in {store.plan_dir}")
        if path.read_bytes() != text.encode("utf-8"):
            write_atomic(path, text)  # the person's text is on disk whatever comes next
        try:
            plan = absorb_edit(store, plan_id)
        except HandEditError as exc:
            return {"saved": True, "error": str(exc), "line": exc.line, "problem": exc.problem}
        except (EditRefused, PlanStoreError) as exc:
            return {"saved": True, "error": str(exc), "line": None, "problem": str(exc)}
        if plan is None:
            return {"saved": True, "revision": None}  # opened and saved as it was
        for run in self.session.runs(plan_id):  # the card shows "edited by you" too
            run.sync_plan(plan)
        self.changed()
        return {"saved": True, "revision": plan.revision, "edited_by": "person"}

    async def op_page_from_plan(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        """Turn into a page: the plan becomes a page; a new plan referencing it starts."""
        plan_id = _plan_id(args)
        try:
            plan = self._plans(bridge).load(plan_id)
        except PlanStoreError as exc:
            raise BridgeError(str(exc)) from None
        page = _page_call(lambda: page_from_plan(self._pages(bridge), plan))
        for run in self.session.runs(plan_id):  # its review ends: the page carries it on
            if run.awaiting:
                run.reject(f"turned into the page {page.name!r}; a new plan references it")
        snapshot = await bridge.get_notebook()
        after = plan_cell(snapshot.cells, plan_id)
        [cell_id] = await bridge.insert_cells(
            [NewCell(source=next_plan_cell(page, plan))], after=after
        )
        self.changed()
        if args.get("run", True):  # not awaited: the new plan waits for its review
            task = asyncio.ensure_future(bridge.run_cells([cell_id]))
            task.add_done_callback(_said)
        return {"page": page.name, "cell_id": cell_id}

    def op_approve_stored(self, bridge: CommBridge, args: dict[str, Any]) -> dict[str, Any]:
        """Approve a stored plan awaiting review (edited by hand after its run ended)."""
        mode = args.get("build_mode", "auto_edit")
        if mode not in ("auto_edit", "default"):
            raise BridgeError(f"approve_stored: build_mode {mode!r} is not auto_edit or default")
        store = self._plans(bridge)
        try:
            plan = store.load(_plan_id(args))
            plan = apply_review(plan, ReviewDecision(action="approve", build_mode=mode))
        except (PlanStoreError, ValueError) as exc:
            raise BridgeError(f"approve_stored: {exc}") from None
        store.save(plan)
        self.changed()
        return {"status": plan.status.value, "revision": plan.revision}


def attach_page_ops(session: KernelSession, registry: Any, changed: Any = None) -> PageOps:
    return PageOps(session, changed).attach(registry)


def _said(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("jupyter_plan: running the new %%%%plan cell failed: %s", task.exception())


def _page_call(call: Any) -> Any:
    try:
        return call()
    except PageError as exc:
        raise BridgeError(str(exc)) from None


def _name(args: dict[str, Any]) -> str:
    name = args.get("name")
    if not isinstance(name, str) or not name:
        raise BridgeError("this op needs {name}: the page's name")
    return name


def _plan_id(args: dict[str, Any]) -> str:
    plan_id = args.get("plan_id")
    if not isinstance(plan_id, str) or not plan_id:
        raise BridgeError("this op needs {plan_id}")
    return plan_id


def _text(args: dict[str, Any]) -> str:
    text = args.get("text")
    if not isinstance(text, str):
        raise BridgeError("this op needs {text}: the file's new content")
    return text


__all__ = ["OPS", "PageOps", "attach_page_ops"]
