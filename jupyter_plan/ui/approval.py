"""The approval card: one tool call the policy asks a person about, during a build.

It shows what would happen (a diff, the code, the shell command), why the policy asks and
which rule asked; "Allow once", "Allow for this build" or "Deny" (with an optional reason
told to the model). After the answer the card folds to one line, so a long build stays short.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Literal

import ipywidgets as widgets  # type: ignore[import-untyped]
from traitlets import Bool, Instance

from jupyter_plan.models import ApprovalRequest, Confirmation
from jupyter_plan.ui import controls, render
from jupyter_plan.ui.outcome import Locked, Outcome

#: CSS class of each control (in its ``_dom_classes``), for tests that click over comm.
CLASSES = {
    "card": "jp-plan-approval",
    "once": "jp-plan-allow-once",
    "build": "jp-plan-allow-build",
    "deny": "jp-plan-deny",
    "reason": "jp-plan-deny-reason",
}


class ApprovalCard(widgets.VBox):
    """From Python: ``allow("once" | "build")`` or ``deny(reason)``; the agent awaits
    :meth:`wait`."""

    confirmation = Instance(Confirmation, allow_none=True, help="the answer, once given")
    locked = Bool(False, help="answered (or cancelled)")

    def __init__(
        self,
        request: ApprovalRequest,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        self.request = request
        self._lock = threading.RLock()
        self._outcome: Outcome[Confirmation] = Outcome(loop)
        self.preview = controls.html("jp-plan-preview", render.preview_html(request))
        self.reason = widgets.Text(
            placeholder="Why not? (optional, told to the model)",
            layout=widgets.Layout(width="40%"),
        )
        self.reason.add_class(CLASSES["reason"])
        self.buttons: dict[str, Any] = {
            "once": controls.button(
                "Allow once",
                CLASSES["once"],
                self._clicked("once"),
                tooltip=f"Run this {request.tool} call",
                style="success",
            ),
            "build": controls.button(
                "Allow for this build",
                CLASSES["build"],
                self._clicked("build"),
                tooltip=f"Allow {request.tool} without asking until this build ends",
                style="info",
            ),
            "deny": controls.button(
                "Deny",
                CLASSES["deny"],
                self._clicked("deny"),
                tooltip="Refuse; the reason (if any) is told to the model",
                style="danger",
            ),
        }
        self.actions = widgets.HBox([*self.buttons.values(), self.reason])
        self.actions.add_class("jp-plan-actions")
        self.outcome_view = controls.html("jp-plan-outcome-view")
        super().__init__(
            children=[
                controls.style(),
                controls.html("jp-plan-approval-head", render.approval_html(request)),
                self.preview,
                self.actions,
                self.outcome_view,
            ],
            **kwargs,
        )
        self.add_class(CLASSES["card"])

    def allow(self, scope: Literal["once", "build"] = "once") -> Confirmation:
        return self._answer(Confirmation(allow=True, scope=scope))

    def deny(self, reason: str | None = None) -> Confirmation:
        return self._answer(Confirmation(allow=False, reason=(reason or "").strip() or None))

    async def wait(self) -> Confirmation:
        """The person's answer (awaited on the kernel's loop)."""
        try:
            return await self._outcome.wait()
        except asyncio.CancelledError:  # kernel interrupt: lock the card and say so
            self.cancel()
            raise

    def cancel(self, note: str = "Interrupted: the call was not approved.") -> None:
        with self._lock:
            if self._outcome.cancel():
                self._fold(render.note_html(note, "message"))

    def _answer(self, confirmation: Confirmation) -> Confirmation:
        with self._lock:
            if not self._outcome.pending:
                raise Locked(f"{self.request.tool} was already answered")
            self._outcome.set(confirmation)
            self.confirmation = confirmation
            self._fold(render.note_html(render.confirmation_text(self.request.tool, confirmation)))
        return confirmation

    def _fold(self, outcome_html: str) -> None:
        self.locked = True
        for control in (*self.buttons.values(), self.reason):
            control.disabled = True
        controls.show(self.preview, False)
        controls.show(self.actions, False)
        self.outcome_view.value = outcome_html

    def _clicked(self, choice: str) -> Any:
        def handler() -> None:
            with contextlib.suppress(Locked):  # a stale click: the first answer stands
                if choice == "deny":
                    self.deny(self.reason.value)
                else:
                    self.allow("build" if choice == "build" else "once")

        return handler
