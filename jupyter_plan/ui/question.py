"""The ask_user card: several questions at once, answered by clicks or from Python.

Choice questions are toggle buttons (exclusive unless ``multiSelect``) plus an "Other" text;
yes/no is two buttons; text is a text area. Submit stays disabled until every question has
an answer; after it the card locks and shows what was answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]
from traitlets import Bool

from jupyter_plan.models import Answer, Question
from jupyter_plan.ui import controls, render
from jupyter_plan.ui.outcome import Locked, Outcome

#: CSS classes a kernel test uses to find controls in the widget state.
CLASSES = {
    "card": "jp-plan-questions",
    "question": "jp-plan-q{index}",  # on each question's box
    "option": "jp-plan-option",  # every toggle; its description is the option label
    "other": "jp-plan-other",
    "text": "jp-plan-answer-text",
    "submit": "jp-plan-submit",
}


class QuestionField:
    """One question's controls; :meth:`answer` reads them (``None`` while unanswered)."""

    def __init__(
        self,
        index: int,
        question: Question,
        changed: Callable[[], None],
        lock: threading.RLock | None = None,
    ) -> None:
        self.question = question
        self._changed = changed
        self._lock = lock or threading.RLock()  # the card's: clicks may come on any thread
        labels = ["Yes", "No"] if question.type == "yesno" else [o.label for o in question.options]
        tips = [o.description for o in question.options] if question.type == "choice" else []
        self.exclusive = question.type == "yesno" or not question.multiSelect
        self.options: list[Any] = []
        for i, label in enumerate(labels):
            toggle = widgets.ToggleButton(
                description=label,
                tooltip=(tips[i] if i < len(tips) else "") or label,
                layout=widgets.Layout(width="auto"),
            )
            toggle.add_class(CLASSES["option"])
            toggle.observe(self._on_toggle, "value")
            self.options.append(toggle)
        self.text: Any = None
        if question.type == "choice":
            self.text = widgets.Text(placeholder="Other…", layout=widgets.Layout(width="60%"))
            self.text.add_class(CLASSES["other"])
        elif question.type == "text":
            self.text = widgets.Textarea(layout=widgets.Layout(width="100%"))
            self.text.add_class(CLASSES["text"])
        if self.text is not None:
            self.text.observe(self._on_text, "value")
        rows = [controls.html("jp-plan-question-text", render.question_html(question))]
        if self.options:
            rows.append(widgets.HBox(self.options))
        if self.text is not None:
            rows.append(self.text)
        self.box = widgets.VBox(rows)
        self.box.add_class(CLASSES["question"].format(index=index))

    def _on_toggle(self, change: dict[str, Any]) -> None:
        with self._lock:
            self._toggled(change)

    def _toggled(self, change: dict[str, Any]) -> None:
        if change["new"] and self.exclusive:
            for other in self.options:
                if other is not change["owner"]:
                    other.value = False
            if self.text is not None and self.question.type == "choice":
                self.text.value = ""  # one answer: the option replaces "Other"
        self._changed()

    def _on_text(self, change: dict[str, Any]) -> None:
        with self._lock:
            if change["new"].strip() and self.exclusive:
                for option in self.options:
                    option.value = False  # one answer: "Other" replaces the option
            self._changed()

    def answer(self) -> Answer | None:
        selected = [o.description for o in self.options if o.value]
        text = (self.text.value.strip() if self.text is not None else "") or None
        if not selected and text is None:
            return None
        return Answer(header=self.question.header, selected=selected, text=text)

    def choose(self, label: str, selected: bool = True) -> None:
        for option in self.options:
            if option.description.casefold() == label.strip().casefold():
                option.value = selected
                return
        known = ", ".join(repr(o.description) for o in self.options) or "none"
        raise ValueError(f"{self.question.header!r} has no option {label!r} (options: {known})")

    def set_text(self, text: str) -> None:
        if self.text is None:
            raise ValueError(f"{self.question.header!r} is yes/no: choose 'Yes' or 'No'")
        self.text.value = text

    def lock(self) -> None:
        for control in (*self.options, self.text):
            if control is not None:
                control.disabled = True


class QuestionCard(widgets.VBox):
    """The ``ask_user`` card. From Python: ``choose(i, label)``, ``set_text(i, text)``,
    ``submit()``; the agent awaits :meth:`wait_answers`."""

    complete = Bool(False, help="every question has an answer: Submit is live")
    locked = Bool(False, help="submitted (or cancelled): nothing can change")

    def __init__(
        self,
        questions: Sequence[Question],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        if not questions:
            raise ValueError("a question card needs at least one question")
        self.questions = list(questions)
        self._lock = threading.RLock()
        self._outcome: Outcome[list[Answer]] = Outcome(loop)
        self.fields = [
            QuestionField(i, q, self._refresh, self._lock) for i, q in enumerate(self.questions)
        ]
        self.submit_button = controls.button(
            "Submit",
            CLASSES["submit"],
            self._on_submit,
            tooltip="Send the answers to the agent",
            style="primary",
            disabled=True,
        )
        self.message_view = controls.html("jp-plan-message-view")
        self.outcome_view = controls.html("jp-plan-outcome-view")
        title = (
            "The agent asks"
            if len(questions) == 1
            else f"The agent asks {len(questions)} questions"
        )
        super().__init__(
            children=[
                controls.style(),
                controls.html("jp-plan-card-title", render.esc(title)),
                *(f.box for f in self.fields),
                widgets.HBox([self.submit_button]),
                self.message_view,
                self.outcome_view,
            ],
            **kwargs,
        )
        self.add_class(CLASSES["card"])

    def _refresh(self) -> None:
        with self._lock:
            self.complete = all(a is not None for a in self.answers())
            self.submit_button.disabled = self.locked or not self.complete
            if self.complete:
                self.message_view.value = ""

    def answers(self) -> list[Answer | None]:
        """The answers as they stand (``None`` for an unanswered question)."""
        return [f.answer() for f in self.fields]

    def choose(self, index: int, label: str, selected: bool = True) -> None:
        """Select (or, for a multi-select, unselect) an option of question ``index``."""
        with self._lock:
            self._require_open()
            self.fields[index].choose(label, selected)

    def set_text(self, index: int, text: str) -> None:
        """The "Other" answer of a choice question, or the answer of a text question."""
        with self._lock:
            self._require_open()
            self.fields[index].set_text(text)

    def submit(self) -> list[Answer]:
        """Send the answers; ``ValueError`` (and a message) while one is missing."""
        with self._lock:
            self._require_open()
            answers = self.answers()
            missing = [q.header for q, a in zip(self.questions, answers, strict=True) if a is None]
            if missing:
                self.message_view.value = render.note_html(
                    f"Answer {', '.join(missing)} first.", "message"
                )
                raise ValueError(f"unanswered: {', '.join(missing)}")
            final = [a for a in answers if a is not None]
            self._outcome.set(final)
            self._lock_controls()
            self.outcome_view.value = render.note_html(f"Answered — {render.answers_text(final)}")
        return final

    async def wait_answers(self) -> list[Answer]:
        """The answers, in the order of the questions (awaited on the kernel's loop)."""
        try:
            return await self._outcome.wait()
        except asyncio.CancelledError:  # kernel interrupt: lock the card and say so
            self.cancel()
            raise

    def cancel(self, note: str = "Interrupted: the questions were not answered.") -> None:
        with self._lock:
            if self._outcome.cancel():
                self._lock_controls()
                self.outcome_view.value = render.note_html(note, "message")

    def _on_submit(self) -> None:
        with contextlib.suppress(Locked, ValueError):  # stale, or the message says what's missing
            self.submit()

    def _require_open(self) -> None:
        if self.locked or not self._outcome.pending:
            raise Locked("the questions were already answered")

    def _lock_controls(self) -> None:
        self.locked = True
        self.submit_button.disabled = True
        for f in self.fields:
            f.lock()
