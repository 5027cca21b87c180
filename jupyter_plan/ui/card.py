"""The native card: one Jupyter widget per run whose view is the labextension's React card.

State travels as one synced trait, :attr:`RunCard.state` (:func:`~jupyter_plan.ui.snapshot.
card_state` of the run); actions come back as custom messages ``{action, ...args}`` and go
to :meth:`RunState.act <jupyter_plan.ui.state.RunState.act>`. The view (``RunCardView`` of
the widget module ``jupyter-plan``) is registered by the labextension, so it exists wherever
our bridge does: JupyterLab and Notebook 7. Syncs are coalesced on the kernel's loop; the
agent's streamed words and the status line at most every :data:`PROGRESS_EVERY` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]
from traitlets import Dict, Unicode

from jupyter_plan.ui.actions import ActionRefused
from jupyter_plan.ui.snapshot import card_state
from jupyter_plan.ui.state import RunState

MODULE = "jupyter-plan"
MODULE_VERSION = "^0.1.0"  # labextension/package.json's version
PROGRESS_EVERY = 0.1
_PROGRESS = frozenset({"progress", "narration"})
log = logging.getLogger(__name__)


class RunCard(widgets.DOMWidget):
    """Draws a :class:`RunState` natively; ``card.state`` is what the view last got."""

    _model_name = Unicode("RunCardModel").tag(sync=True)
    _model_module = Unicode(MODULE).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_name = Unicode("RunCardView").tag(sync=True)
    _view_module = Unicode(MODULE).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    state = Dict(help="the run as JSON (jupyter_plan.ui.snapshot.card_state)").tag(sync=True)

    def __init__(
        self, run: RunState, *, loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.run = run
        self.file: str | None = None  # the plan file's link, once the run knows it
        self._loop = loop
        self._lock = threading.Lock()
        self._due: str | None = None  # None | "soon" | "later": a flush is scheduled
        self.add_class("jp-plan-run-card")
        run.observe(self._changed)
        self.on_msg(self._message)
        self.flush()

    def flush(self) -> None:
        """Send the run's state now."""
        with self._lock:
            self._due = None
        self.state = card_state(self.run, file=self.file)

    def _changed(self, change: dict[str, Any]) -> None:
        later = change["name"] in _PROGRESS
        loop = self._loop
        if loop is None or loop.is_closed():
            self.flush()  # no kernel loop (tests, terminal IPython): send right away
            return
        with self._lock:
            if self._due == "soon" or (self._due == "later" and later):
                return
            self._due = "later" if later else "soon"
        try:
            if later:
                loop.call_soon_threadsafe(loop.call_later, PROGRESS_EVERY, self._flush_due)
            else:
                loop.call_soon_threadsafe(self._flush_due)
        except RuntimeError:  # the loop closed under us
            self.flush()

    def _flush_due(self) -> None:
        with self._lock:
            due = self._due
        if due is not None:
            self.flush()

    def _message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """``{action, ...args}`` from the view; a refusal is told on the card."""
        if not isinstance(content, dict) or not isinstance(content.get("action"), str):
            return
        args = {k: v for k, v in content.items() if k != "action"}
        try:
            self.run.act(content["action"], **args)
        except ActionRefused as exc:
            self.run.message = str(exc)
        except Exception:  # a view must never break the run: log, tell the person
            log.exception("jupyter_plan: card action %r failed", content["action"])
            with contextlib.suppress(Exception):
                self.run.message = f"{content['action']} failed; see the kernel log"
