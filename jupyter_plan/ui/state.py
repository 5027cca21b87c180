"""One run (a ``%%plan`` or a ``%build``) as the one state every view draws.

The kernel is the source of truth: a :class:`RunState` holds the run's phase, its plan,
progress, the pending question or approval, and how it ended. Views — the native card,
the Plans sidebar, the ipywidgets fallback — draw it and call :meth:`RunState.act`; the
agent awaits the person through :meth:`ask`, :meth:`wait_decision` and :meth:`confirm`.

Answers may come on any thread (ipykernel 7 subshells): each pending decision is an
:class:`~jupyter_plan.ui.outcome.Outcome` resolved on the kernel's loop, and the first
answer wins. No ipywidgets here: the sidebar reads this state without loading them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

from traitlets import Bool, HasTraits, Instance, Int, List, Unicode

from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    BuildMode,
    Comment,
    Confirmation,
    Plan,
    Question,
    ReviewDecision,
    Step,
)
from jupyter_plan.session import InvalidTransition, apply_review
from jupyter_plan.ui import phases
from jupyter_plan.ui.actions import act
from jupyter_plan.ui.answers import check_answers
from jupyter_plan.ui.errors import describe
from jupyter_plan.ui.outcome import Locked, Outcome
from jupyter_plan.ui.progress import EventLike, Progress, advance
from jupyter_plan.ui.render import answers_text, decision_text
from jupyter_plan.ui.words import approval_words

StepStatus = Literal["pending", "in_progress", "done", "failed", "skipped"]
REFUSALS = ("Denied by policy", "Error: unknown tool")
NARRATION_CHARS = 1200
EMPTY_FEEDBACK = "Write what should change, then Send: empty feedback is not sent."
#: ``controller(state, action)`` does what needs the notebook: build, retry, undo …
Controller = Callable[["RunState", str], object]


class RunState(HasTraits):
    """A run's state; traits change as it goes, views observe them."""

    kind = Unicode("plan", help="plan | build")
    title = Unicode("", help="what the card's header says before there is a plan")
    key = Unicode("", help="this run's id (a sidebar entry before its plan has an id)")
    cell_id = Unicode(None, allow_none=True, help="the cell that started the run")
    phase = Unicode("starting", help="see jupyter_plan.ui.phases")
    plan = Instance(Plan, allow_none=True, help="the plan as it now stands")
    awaiting = Bool(False, help="a plan is presented and undecided")
    decision = Instance(ReviewDecision, allow_none=True, help="the last review decision")
    questions = List(Instance(Question), help="the questions waiting for answers")
    approval = Instance(ApprovalRequest, allow_none=True, help="the call waiting for approval")
    history: List[dict[str, str]] = List(
        help="answered questions and approvals, oldest first: {kind, text}"
    )
    progress = Instance(Progress, args=(), help="turn, activity, tokens, cost, elapsed")
    narration = Unicode("", help="the agent's own words in its latest turn")
    error = Unicode("", help="why the run did not finish (a failure or a stop)")
    fix = Unicode("", help="what the person can do about the failure")
    details = Unicode("", help="the raw error (a provider's chain), behind a disclosure")
    summary = Unicode("", help="the build's summary")
    message = Unicode("", help="a hint under the card (empty feedback, missing answers)")
    refused = List(Unicode(), help="tool calls refused (policy, unknown tool), newest last")
    undoable = Bool(False, help="this kernel holds the checkpoint of the plan's last build")
    handed_over = Bool(False, help="the cell's own output now shows the plan or summary")
    superseded = Bool(False, help="its cell ran again: a newer run replaces this one")
    drifted = Bool(False, help="it failed as a replay that drifted: re-plan live or keep")
    suggest_after_chars = Int(
        None, allow_none=True, help="pages.suggest_after_chars: a longer plan may become a page"
    )

    def __init__(
        self,
        *,
        kind: phases.Kind = "plan",
        title: str = "",
        loop: asyncio.AbstractEventLoop | None = None,
        cell_id: str | None = None,
    ) -> None:
        super().__init__(kind=kind, title=title, key=f"run-{uuid.uuid4().hex[:10]}")
        self.cell_id = cell_id
        self._loop = loop
        self._lock = threading.RLock()
        self._review: Outcome[ReviewDecision] | None = None
        self._answers: Outcome[list[Answer]] | None = None
        self._confirmation: Outcome[Confirmation] | None = None
        self._started: float | None = None
        self._ended: float | None = None
        self._approved_code: set[str] = set()
        self._turn_text = -1
        self.on_stop: Callable[[], object] | None = None
        self.controller: Controller | None = None

    # -- reading --------------------------------------------------------------------

    @property
    def plan_id(self) -> str | None:
        return self.plan.id if self.plan is not None else None

    @property
    def working(self) -> bool:
        """The agent is at work (not waiting for the person, not ended)."""
        return self.phase in phases.WORKING

    @property
    def live(self) -> bool:
        return self.phase in phases.LIVE

    @property
    def shown_phase(self) -> str:
        return phases.shown_phase(self.kind, self.phase, self._plan_status())  # type: ignore[arg-type]

    @property
    def actions(self) -> list[str]:
        kind: phases.Kind = "build" if self.kind == "build" else "plan"
        return phases.actions(
            kind, self.phase, self._plan_status(), undoable=self.undoable, drifted=self.drifted
        )

    def elapsed(self) -> float:
        """Seconds since the run's first event (frozen once it ended)."""
        if self._started is None:
            return 0.0
        return (self._ended or time.monotonic()) - self._started

    def _plan_status(self) -> str | None:
        return self.plan.status.value if self.plan is not None else None

    # -- the review -----------------------------------------------------------------

    def present(self, plan: Plan) -> None:
        """Show ``plan`` and open one decision on it (an undecided earlier one is cancelled)."""
        with self._lock:
            if self._review is not None:
                self._review.cancel()
            self._review = Outcome(self._loop)
            self.plan, self.decision, self.message = plan, None, ""
            self.phase, self.awaiting = "awaiting_review", True

    async def wait_decision(self) -> ReviewDecision:
        outcome = self._review
        if outcome is None:
            raise RuntimeError("present() a plan before waiting for a decision on it")
        try:
            return await outcome.wait()
        except asyncio.CancelledError:
            with self._lock:
                if outcome is self._review:
                    self.awaiting = False
            raise

    def approve(self, mode: BuildMode = "auto_edit") -> ReviewDecision:
        return self._decide(ReviewDecision(action="approve", build_mode=mode))

    def iterate(self, feedback: str, comments: Sequence[Comment] = ()) -> ReviewDecision:
        """Ask for a new revision; no feedback and no comment is refused (``ValueError``)."""
        if not feedback.strip() and not comments:
            with self._lock:
                self._require_review()
                self.message = EMPTY_FEEDBACK
            raise ValueError("iterate needs feedback: say what should change")
        decision = ReviewDecision(
            action="iterate", feedback=feedback.strip() or None, comments=list(comments)
        )
        return self._decide(decision)

    def reject(self, reason: str | None = None) -> ReviewDecision:
        return self._decide(
            ReviewDecision(action="reject", feedback=(reason or "").strip() or None)
        )

    def _require_review(self) -> None:
        if self._review is None or not self._review.pending:
            raise Locked("no plan is awaiting a decision")

    def _decide(self, decision: ReviewDecision) -> ReviewDecision:
        with self._lock:
            self._require_review()
            assert self._review is not None and self.plan is not None
            self._review.set(decision)
            self.awaiting, self.decision, self.message = False, decision, ""
            with contextlib.suppress(InvalidTransition):  # a plan presented as it stands
                self.plan = apply_review(self.plan, decision)
            self._note("decision", decision_text(decision))
            # iterate: the agent writes the next revision; nothing of this one is decidable
            self.phase = {"approve": "approved", "reject": "rejected"}.get(
                decision.action, "working"
            )
        return decision

    # -- questions ------------------------------------------------------------------

    async def ask(self, questions: Sequence[Question]) -> list[Answer]:
        if not questions:
            return []
        with self._lock:
            outcome: Outcome[list[Answer]] = Outcome(self._loop)
            self._answers = outcome
            self.questions, self.message, self.phase = list(questions), "", "asking"
        try:
            return await outcome.wait()
        except asyncio.CancelledError:
            with self._lock:
                if outcome is self._answers:
                    self.questions = []
            raise

    def answer(self, answers: Sequence[Answer]) -> list[Answer]:
        """The person's answers, one per question in order; ``ValueError`` names what is
        missing or wrong (and the card says it)."""
        with self._lock:
            if self._answers is None or not self._answers.pending:
                raise Locked("no questions are waiting for answers")
            try:
                final = check_answers(self.questions, answers)
            except ValueError as exc:
                self.message = str(exc)
                raise
            self._answers.set(final)
            self._note("answers", f"Answered — {answers_text(final)}")
            self.questions, self.message = [], ""
            self.phase = "working" if self.kind == "plan" else "building"
        return final

    # -- approvals ------------------------------------------------------------------

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        """The person's answer to a call the policy asks about. Running a cell whose code
        the person just approved (inserting or changing it) needs no second approval."""
        with self._lock:
            if request.tool == "run_cell" and request.preview in self._approved_code:
                self._note("approval", "Ran the cell just approved (no second approval)")
                return Confirmation(allow=True, scope="once")
            outcome: Outcome[Confirmation] = Outcome(self._loop)
            self._confirmation = outcome
            self.approval, self.message, self.phase = request, "", "confirming"
        try:
            return await outcome.wait()
        except asyncio.CancelledError:
            with self._lock:
                if outcome is self._confirmation:
                    self.approval = None
            raise

    def allow(self, scope: Literal["once", "build"] = "once") -> Confirmation:
        return self._confirm(Confirmation(allow=True, scope=scope))

    def deny(self, reason: str | None = None) -> Confirmation:
        return self._confirm(Confirmation(allow=False, reason=(reason or "").strip() or None))

    def _confirm(self, confirmation: Confirmation) -> Confirmation:
        with self._lock:
            request = self.approval
            if self._confirmation is None or not self._confirmation.pending or request is None:
                raise Locked("no call is waiting for approval")
            self._confirmation.set(confirmation)
            if confirmation.allow and request.tool in ("insert_cell", "edit_cell"):
                self._approved_code.add(str(request.args.get("source", "")))
            words = approval_words(request, self.plan).sentence().rstrip("?")
            self._note("approval", _answered(confirmation, words))
            self.approval, self.message = None, ""
            self.phase = "building"
        return confirmation

    # -- progress (any thread) ------------------------------------------------------

    def on_event(self, event: EventLike) -> None:
        """An agent-loop listener: progress, the agent's words, refused calls."""
        now = time.monotonic()
        with self._lock:
            if self._started is None:
                self._started = now
            if self.phase == "starting":
                self.phase = "working" if self.kind == "plan" else "building"
            self.progress = advance(self.progress, event, now - self._started)
            if event.kind == "text":
                delta = str(event.data.get("delta", ""))
                start = "" if self._turn_text != event.turn else self.narration
                self._turn_text = event.turn
                self.narration = (start + delta)[-NARRATION_CHARS:]
            content = str(event.data.get("content", ""))
            if event.kind == "tool_result" and content.startswith(REFUSALS):
                self.refused = [*self.refused, f"{event.data.get('name')}: {content}"]

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

    # -- endings ----------------------------------------------------------------------

    def finish(self, plan: Plan | None, summary: str = "") -> None:
        """The run ended as it should: the plan decided (or an inquiry answered), or built."""
        with self._lock:
            if plan is not None:
                self.plan = plan
            self.summary = summary
            if self.kind == "build":
                self._end("built")
            elif plan is None:
                self._end("answered")
            else:
                self._end("rejected" if plan.status.value == "rejected" else "approved")

    def end_with(self, error: BaseException, note: str = "") -> None:
        """The run failed (``error``) or was stopped (a cancellation; ``note`` says what is
        kept). Pending questions or approvals close: nothing is left to click."""
        with self._lock:
            if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
                self.error, self.fix, self.details = note, "", ""
                self._end("stopped")
            else:
                view = describe(error)
                self.error, self.fix, self.details = view.message, view.fix, view.details
                self.drifted = type(error).__name__ == "ReplayDrift"
                self._end("failed")

    def undone(self, plan: Plan) -> None:
        """The plan's build was undone: the notebook is as before it."""
        with self._lock:
            self.plan = plan
            if self.kind == "build" and not self.live:
                self._note("undo", "Undone: the notebook is as it was before the build.")
                self.phase = "undone"

    def sync_plan(self, plan: Plan) -> None:
        """Another run changed this run's plan (a build ticked it off, an undo reset it), or
        the person saved a hand edit of the plan under review: the card shows their revision
        ("edited by you") at once, and the decision is then taken on it."""
        with self._lock:
            if self.plan is None or self.plan.id != plan.id:
                return
            reviewed = self.awaiting and self.phase == "awaiting_review"
            if not self.live or (reviewed and plan.revision > self.plan.revision):
                self.plan = plan

    def hand_over(self) -> None:
        """The cell's own output now shows the plan or the summary (a saved notebook
        keeps it): the card keeps only its header and actions."""
        self.handed_over = True

    def _end(self, phase: str) -> None:
        """Enter a final ``phase``; whatever was pending closes (nothing is left to click)."""
        self.phase = phase
        self._ended = time.monotonic()
        if self._started is None:
            self._started = self._ended
        for outcome in (self._review, self._answers, self._confirmation):
            if outcome is not None:
                outcome.cancel()
        self.awaiting, self.questions, self.approval, self.message = False, [], None, ""
        self.progress = replace(self.progress, elapsed=self.elapsed(), activity="Finished")

    def _note(self, kind: str, text: str) -> None:
        self.history = [*self.history, {"kind": kind, "text": text}]

    # -- what views call ------------------------------------------------------------

    def act(self, action: str, **args: Any) -> None:
        """One action from a view (see :func:`jupyter_plan.ui.actions.act`)."""
        act(self, action, **args)


def _answered(confirmation: Confirmation, words: str) -> str:
    """An approval as the card's history says it: "Allowed: Insert a code cell …"."""
    if confirmation.allow:
        scope = " for this build" if confirmation.scope == "build" else ""
        return f"Allowed{scope}: {words}"
    why = f" ({confirmation.reason})" if confirmation.reason else ""
    return f"Denied: {words}{why}"
