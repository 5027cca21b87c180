"""The fallback approval form: one tool call the policy asks about, as core ipywidgets.

It says in the notebook's words what would happen, where and for which plan step, shows the
code, diff or command, and keeps the asking rule in a details line. "Allow once", "Allow for
this build" or "Deny" (with a reason told to the model) answer the run
(:meth:`RunState.allow` / :meth:`RunState.deny`); the form then folds to one line.
"""

from __future__ import annotations

import contextlib
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from jupyter_plan.models import ApprovalRequest
from jupyter_plan.ui import controls, render
from jupyter_plan.ui.outcome import Locked
from jupyter_plan.ui.state import RunState
from jupyter_plan.ui.words import approval_words

#: CSS class of each control (in its ``_dom_classes``), for tests that click over comm.
CLASSES = {
    "card": "jp-plan-approval",
    "once": "jp-plan-allow-once",
    "build": "jp-plan-allow-build",
    "deny": "jp-plan-deny",
    "reason": "jp-plan-deny-reason",
}


class ApprovalForm(widgets.VBox):
    """The form for ``request``; :attr:`request` is what the policy asked about."""

    def __init__(self, run: RunState, request: ApprovalRequest, **kwargs: Any) -> None:
        self.run = run
        self.request = request
        words = approval_words(request, run.plan)
        self.preview = controls.html("jp-plan-preview", render.preview_html(request))
        self.reason = widgets.Text(
            placeholder="Why not? (optional, told to the model)",
            layout=widgets.Layout(width="40%"),
        )
        self.reason.add_class(CLASSES["reason"])
        self.buttons: dict[str, Any] = {
            "once": controls.button(
                "Allow once", CLASSES["once"], self._clicked("once"), style="success"
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
                controls.html("jp-plan-approval-head", render.approval_html(request, words)),
                self.preview,
                self.actions,
                self.outcome_view,
            ],
            **kwargs,
        )
        self.add_class(CLASSES["card"])
        self.locked = False

    def close_form(self, note: str) -> None:
        """Fold to one line: the answer (or why none is needed any more)."""
        self.locked = True
        for control in (*self.buttons.values(), self.reason):
            control.disabled = True
        controls.show(self.preview, False)
        controls.show(self.actions, False)
        self.outcome_view.value = render.note_html(note)

    def _clicked(self, choice: str) -> Any:
        def handler() -> None:
            with contextlib.suppress(Locked):  # a stale click: the first answer stands
                if choice == "deny":
                    self.run.deny(self.reason.value)
                else:
                    self.run.allow("build" if choice == "build" else "once")

        return handler
