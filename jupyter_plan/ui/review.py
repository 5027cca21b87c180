"""The plan review widget: the plan, a live status line, and Approve / Iterate / Reject.

It lives for the whole ``%%plan`` → ``%build`` life of a plan: :meth:`present` opens one
decision per revision (Iterate leads to the next one), ``set_step`` ticks steps off during a
build. Clicks may arrive on any thread (ipykernel 7 subshells); decisions go through an
:class:`~jupyter_plan.ui.outcome.Outcome`, so the first one wins and the rest are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal

import ipywidgets as widgets  # type: ignore[import-untyped]
from traitlets import Bool, Instance, List, Unicode, observe

from jupyter_plan.models import BuildMode, Plan, ReviewDecision, Step
from jupyter_plan.ui import controls, render
from jupyter_plan.ui.outcome import Locked, Outcome
from jupyter_plan.ui.progress import EventLike, Progress, advance, status_text

StepStatus = Literal["pending", "in_progress", "done", "failed", "skipped"]

#: CSS class of each button (in its ``_dom_classes``), for tests that click over comm.
BUTTON_CLASSES = {
    "approve_auto_edit": "jp-plan-approve-auto_edit",
    "approve_default": "jp-plan-approve-default",
    "iterate": "jp-plan-iterate",
    "reject": "jp-plan-reject",
    "send": "jp-plan-send",
}
INTERRUPTED = "Interrupted: no decision was taken."
EMPTY_FEEDBACK = "Write what should change, then Send: empty feedback is not sent."


REFUSALS = ("Denied by policy", "Error: unknown tool")


class PlanReviewWidget(widgets.VBox):
    """Shows a plan and takes the person's decision: ``approve(mode)``, ``iterate(text)``,
    ``reject(reason)`` from Python, or the buttons. Traits hold the state; views follow them."""

    plan = Instance(Plan, allow_none=True, help="the plan shown; set it to re-render")
    status_line = Unicode("", help="the live status line (plain text)")
    awaiting = Bool(False, help="a plan is presented and undecided: the buttons are live")
    decision = Instance(ReviewDecision, allow_none=True, help="the last decision taken")
    message = Unicode("", help="a hint or refusal under the buttons")
    error = Unicode("", help="a failure of the run")
    summary = Unicode("", help="the build summary")
    refused = List(Unicode(), help="tool calls refused (policy, unknown tool), newest last")

    def __init__(
        self,
        plan: Plan | None = None,
        *,
        title: str = "",
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        self._loop = loop
        self._lock = threading.RLock()
        self._outcome: Outcome[ReviewDecision] | None = None
        self._progress = Progress()
        self._started: float | None = None
        self._title = title
        self.plan_view = controls.html("jp-plan-view", render.draft_html(title))
        self.status_view = controls.html("jp-plan-status")
        self.buttons: dict[str, Any] = {
            "approve_auto_edit": controls.button(
                "Approve — auto-accept edits",
                BUTTON_CLASSES["approve_auto_edit"],
                self._clicked(lambda: self.approve("auto_edit")),
                tooltip="Approve; the build may edit and run cells without asking",
                style="success",
                disabled=True,
            ),
            "approve_default": controls.button(
                "Approve — review each edit",
                BUTTON_CLASSES["approve_default"],
                self._clicked(lambda: self.approve("default")),
                tooltip="Approve; the build asks before each edit or run",
                style="info",
                disabled=True,
            ),
            "iterate": controls.button(
                "Iterate",
                BUTTON_CLASSES["iterate"],
                self.open_feedback,
                tooltip="Tell the agent what to change; it writes a new revision",
                disabled=True,
            ),
            "reject": controls.button(
                "Reject",
                BUTTON_CLASSES["reject"],
                self._clicked(lambda: self.reject(self.feedback.value.strip() or None)),
                tooltip="Drop this plan",
                style="danger",
                disabled=True,
            ),
        }
        self.feedback = widgets.Textarea(
            placeholder="What should change?", layout=widgets.Layout(width="100%")
        )
        self.feedback.add_class("jp-plan-feedback")
        self.send = controls.button(
            "Send",
            BUTTON_CLASSES["send"],
            self._clicked(lambda: self.iterate(self.feedback.value)),
            style="primary",
        )
        self.feedback_box = widgets.VBox([self.feedback, widgets.HBox([self.send])])
        controls.show(self.feedback_box, False)
        self.message_view = controls.html("jp-plan-message-view")
        self.outcome_view = controls.html("jp-plan-outcome-view")
        self.error_view = controls.html("jp-plan-error-view")
        self.summary_view = controls.html("jp-plan-summary-view")
        self.refused_view = controls.html("jp-plan-refused-view")
        self.actions = actions = widgets.HBox(list(self.buttons.values()))
        actions.add_class("jp-plan-actions")
        super().__init__(
            children=[
                controls.style(),
                self.plan_view,
                self.status_view,
                actions,
                self.feedback_box,
                self.message_view,
                self.outcome_view,
                self.error_view,
                self.refused_view,
                self.summary_view,
            ],
            **kwargs,
        )
        self.add_class("jp-plan-review")
        if plan is not None:
            self.plan = plan

    # -- views follow the traits ----------------------------------------------------

    @observe("plan")
    def _render_plan(self, change: dict[str, Any]) -> None:
        plan = change["new"]
        self.plan_view.value = (
            render.draft_html(self._title) if plan is None else render.plan_html(plan)
        )

    @observe("status_line")
    def _render_status(self, change: dict[str, Any]) -> None:
        self.status_view.value = render.status_html(change["new"])

    @observe("awaiting")
    def _render_awaiting(self, change: dict[str, Any]) -> None:
        for b in (*self.buttons.values(), self.send, self.feedback):
            b.disabled = not change["new"]

    @observe("refused")
    def _render_refused(self, change: dict[str, Any]) -> None:
        self.refused_view.value = "".join(
            render.note_html(f"Refused: {line}", "refused") for line in change["new"]
        )

    @observe("message", "error", "summary")
    def _render_notes(self, change: dict[str, Any]) -> None:
        view = getattr(self, f"{change['name']}_view")
        view.value = render.note_html(change["new"], change["name"])

    # -- a decision -----------------------------------------------------------------

    def present(self, plan: Plan) -> None:
        """Show ``plan`` and open one decision on it (any undecided earlier one is cancelled)."""
        with self._lock:
            if self._outcome is not None:
                self._outcome.cancel()
            self._outcome = Outcome(self._loop)
            self.plan, self.decision, self.message = plan, None, ""
            self.outcome_view.value = ""
            self.feedback.value = ""
            controls.show(self.feedback_box, False)
            self.awaiting = True

    async def wait_decision(self) -> ReviewDecision:
        """The person's decision on the presented plan (awaited on the kernel's loop)."""
        outcome = self._outcome
        if outcome is None:
            raise RuntimeError("present() a plan before waiting for a decision on it")
        try:
            return await outcome.wait()
        except asyncio.CancelledError:  # kernel interrupt: lock the buttons and say so
            self._interrupt(outcome)
            raise

    def approve(self, mode: BuildMode = "auto_edit") -> ReviewDecision:
        return self._decide(ReviewDecision(action="approve", build_mode=mode))

    def iterate(self, feedback: str) -> ReviewDecision:
        """Ask for a new revision; empty feedback is refused (``ValueError``) with a message."""
        text = feedback.strip()
        if text:
            return self._decide(ReviewDecision(action="iterate", feedback=text))
        with self._lock:
            self._require_awaiting()
            self.open_feedback()
            self.message = EMPTY_FEEDBACK
        raise ValueError("iterate needs feedback: say what should change")

    def reject(self, reason: str | None = None) -> ReviewDecision:
        return self._decide(
            ReviewDecision(action="reject", feedback=(reason or "").strip() or None)
        )

    def open_feedback(self) -> None:
        """What the Iterate button does: reveal the feedback box."""
        with self._lock:
            if self.awaiting:
                controls.show(self.feedback_box, True)
                self.message = ""

    def cancel(self, note: str = INTERRUPTED) -> None:
        """Stop waiting for a decision: lock the buttons and say why."""
        self._interrupt(self._outcome, note)

    def _interrupt(self, outcome: Outcome[ReviewDecision] | None, note: str = INTERRUPTED) -> None:
        with self._lock:  # only the decision that was cancelled, never a newer one
            if outcome is not None and outcome.cancel() and outcome is self._outcome:
                self.awaiting = False
                self.outcome_view.value = render.note_html(note, "message")

    def _require_awaiting(self) -> None:
        if self._outcome is None or not self._outcome.pending:
            raise Locked("no plan is awaiting a decision")

    def _decide(self, decision: ReviewDecision) -> ReviewDecision:
        with self._lock:
            self._require_awaiting()
            assert self._outcome is not None
            self._outcome.set(decision)
            self.awaiting, self.decision, self.message = False, decision, ""
            controls.show(self.feedback_box, False)
            self.outcome_view.value = render.note_html(render.decision_text(decision))
        return decision

    @staticmethod
    def _clicked(action: Callable[[], object]) -> Callable[[], None]:
        """A click handler: a stale click (Locked) or refused input (ValueError, with its
        message already shown) is not an error of the widget."""

        def handler() -> None:
            with contextlib.suppress(Locked, ValueError):
                action()

        return handler

    # -- progress (any thread) ------------------------------------------------------

    def on_event(self, event: EventLike) -> None:
        """An agent-loop listener: folds the event into the status line."""
        now = time.monotonic()
        with self._lock:
            if self._started is None:
                self._started = now
            self._progress = advance(self._progress, event, now - self._started)
            self.status_line = status_text(self._progress)
            content = str(event.data.get("content", ""))
            if event.kind == "tool_result" and content.startswith(REFUSALS):
                # the person sees what the policy stopped, not only the model
                self.refused = [*self.refused, f"{event.data.get('name')}: {content}"]

    def reset_progress(self) -> None:
        """Start the status line over (e.g. when ``%build`` starts)."""
        with self._lock:
            self._progress, self._started, self.status_line = Progress(), None, ""

    def set_step(self, step_id: str, status: StepStatus, note: str | None = None) -> None:
        """Tick a step during a build (``note`` replaces the step's note)."""
        with self._lock:
            plan = self.plan
            if plan is None or step_id not in {s.id for s in plan.steps}:
                known = ", ".join(s.id for s in plan.steps) if plan else "no plan shown"
                raise KeyError(f"no step {step_id!r} in the plan ({known})")
            steps = [
                Step.model_validate({**s.model_dump(), "status": status, "note": note})
                if s.id == step_id
                else s
                for s in plan.steps
            ]
            self.plan = plan.model_copy(update={"steps": steps})

    def hand_over(self) -> None:
        """The run is over and the cell's own output now shows the plan (or the build's
        summary), which a saved notebook keeps: hide the views it repeats."""
        for view in (self.plan_view, self.actions, self.feedback_box, self.summary_view):
            controls.show(view, False)
        with self._lock:  # the status line's last word: finished, not "writing"
            self._progress = replace(self._progress, activity="finished")
            self.status_line = status_text(self._progress)

    def show_summary(self, text: str) -> None:
        self.summary = text

    def show_error(self, message: str) -> None:
        self.error = message
