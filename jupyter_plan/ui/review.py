"""The fallback review view: a run's plan, status and decision as core ipywidgets.

Used where the labextension's native card is not there (``JUPYTER_PLAN_INTERACTIVE=1`` in
a frontend without our extension): it draws the same :class:`~jupyter_plan.ui.state.
RunState` and calls the same actions. Buttons show only when valid in the run's phase.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from jupyter_plan.ui import controls, phases, render
from jupyter_plan.ui.actions import ActionRefused
from jupyter_plan.ui.outcome import Locked
from jupyter_plan.ui.progress import status_text
from jupyter_plan.ui.state import RunState

#: CSS class of each button (in its ``_dom_classes``), for tests that click over comm.
BUTTON_CLASSES = {
    "approve_auto_edit": "jp-plan-approve-auto_edit",
    "approve_default": "jp-plan-approve-default",
    "iterate": "jp-plan-iterate",
    "reject": "jp-plan-reject",
    "stop": "jp-plan-stop",
    "live": "jp-plan-live",
    "keep": "jp-plan-keep",
    "send": "jp-plan-send",
}
_TIPS = {
    "approve_auto_edit": "Approve; the build may edit and run cells without asking",
    "approve_default": "Approve; the build asks before each edit or run",
    "iterate": "Tell the agent what to change; it writes a new revision",
    "reject": "Drop this plan",
    "stop": "Stop the run; the draft (or the build's checkpoint) is kept",
    "live": "The notebook changed since the recording: run the cell again with the model",
    "keep": "Show the recorded plan as it is: no model, no replay",
}
# live and keep: a drifted replay's choice (re-plan live, or keep the recorded plan)
BUTTONS = ("approve_auto_edit", "approve_default", "iterate", "reject", "stop", "live", "keep")
_STYLES = {"approve_auto_edit": "success", "approve_default": "info", "reject": "danger"}


class ReviewView(widgets.VBox):
    """The plan (or "drafting" before it), a status line, the valid buttons, and notes."""

    def __init__(self, run: RunState, **kwargs: Any) -> None:
        self.run = run
        self.plan_view = controls.html("jp-plan-view")
        self.status_view = controls.html("jp-plan-status")
        self.buttons: dict[str, Any] = {
            name: controls.button(
                phases.ACTION_LABELS[name],
                BUTTON_CLASSES[name],
                self._clicked(name),
                tooltip=_TIPS[name],
                style=_STYLES.get(name, ""),
            )
            for name in BUTTONS
        }
        self.feedback = widgets.Textarea(
            placeholder="What should change?", layout=widgets.Layout(width="100%")
        )
        self.feedback.add_class("jp-plan-feedback")
        self.send_button = controls.button(
            "Send", BUTTON_CLASSES["send"], self._send_feedback, style="primary"
        )
        self.feedback_box = widgets.VBox([self.feedback, widgets.HBox([self.send_button])])
        self.actions = widgets.HBox(list(self.buttons.values()))
        self.actions.add_class("jp-plan-actions")
        self.notes = controls.html("jp-plan-notes")
        super().__init__(
            children=[
                controls.style(),
                self.plan_view,
                self.status_view,
                self.actions,
                self.feedback_box,
                self.notes,
            ],
            **kwargs,
        )
        self.add_class("jp-plan-review")
        self._iterating = False
        run.observe(self._draw)
        self._draw()

    def _draw(self, _change: Any = None) -> None:
        run = self.run
        plan = run.plan
        handed = run.handed_over
        self.plan_view.value = (
            ""
            if handed
            else render.draft_html(run.title)
            if plan is None
            else render.plan_html(plan)
        )
        self.status_view.value = render.status_html(self._status())
        valid = set(run.actions)
        for name, button in self.buttons.items():
            controls.show(button, name in valid)
            button.disabled = name not in valid
        self._iterating = self._iterating and "iterate" in valid
        controls.show(self.feedback_box, self._iterating)
        self.feedback.disabled = self.send_button.disabled = not self._iterating
        self.notes.value = "".join(
            [
                *(render.note_html(h["text"]) for h in run.history if h["kind"] == "decision"),
                render.note_html(run.message, "message"),
                render.note_html(run.error, "error"),
                render.note_html(run.fix, "message"),
                *(render.note_html(f"Refused: {r}", "refused") for r in run.refused),
                "" if handed else render.note_html(run.summary, "summary"),
            ]
        )

    def _status(self) -> str:
        run = self.run
        shown = phases.label(run.shown_phase)
        if run.live and run.progress.turn:
            return f"{shown} · {status_text(run.progress)}"
        return shown

    def _clicked(self, name: str) -> Callable[[], None]:
        def handler() -> None:
            if name == "iterate":
                self._iterating = True
                self._draw()
                return
            with contextlib.suppress(ActionRefused, Locked):  # stale: the card says why
                self.run.act(name)

        return handler

    def _send_feedback(self) -> None:
        with contextlib.suppress(ActionRefused, Locked):
            self.run.act("iterate", feedback=self.feedback.value)
            self._iterating = False
            self.feedback.value = ""
        self._draw()
