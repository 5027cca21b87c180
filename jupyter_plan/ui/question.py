"""The fallback question form: ``ask_user`` questions as core ipywidgets.

Choice questions are toggle buttons (exclusive unless ``multiSelect``) with each option's
description written beside it, and an "Other" text; yes/no is two buttons; text is a text
area. Submit sends the answers to the run (:meth:`RunState.answer`), which checks them; the
form then locks and says what was answered.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from jupyter_plan.models import Answer, Question
from jupyter_plan.ui import controls, render
from jupyter_plan.ui.answers import options
from jupyter_plan.ui.outcome import Locked
from jupyter_plan.ui.state import RunState

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

    def __init__(self, index: int, question: Question, changed: Callable[[], None]) -> None:
        self.question = question
        self._changed = changed
        self._lock = threading.RLock()  # clicks may come on any thread
        self.exclusive = question.type == "yesno" or not question.multiSelect
        tips = {o.label: o.description for o in question.options}
        self.options: list[Any] = []
        for label in options(question):
            toggle = widgets.ToggleButton(
                description=label,
                tooltip=tips.get(label) or label,
                icon="",
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
        described = "".join(
            f"<li><b>{render.esc(o.label)}</b> — {render.html_line(o.description)}</li>"
            for o in question.options
            if o.description
        )
        hint = "choose any" if not self.exclusive and question.type == "choice" else ""
        rows = [
            controls.html(
                "jp-plan-question-text",
                render.question_html(question)
                + (f'<ul class="jp-plan-option-notes">{described}</ul>' if described else "")
                + (f'<div class="jp-plan-rule">{hint}</div>' if hint else ""),
            )
        ]
        if self.options:
            rows.append(widgets.HBox(self.options))
        if self.text is not None:
            rows.append(self.text)
        self.box = widgets.VBox(rows)
        self.box.add_class(CLASSES["question"].format(index=index))

    def _on_toggle(self, change: dict[str, Any]) -> None:
        with self._lock:
            change["owner"].icon = "check" if change["new"] else ""
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

    def answer(self) -> Answer:
        selected = [o.description for o in self.options if o.value]
        text = (self.text.value.strip() if self.text is not None else "") or None
        return Answer(header=self.question.header, selected=selected, text=text)

    def complete(self) -> bool:
        answer = self.answer()
        return bool(answer.selected or answer.text)

    def lock(self) -> None:
        for control in (*self.options, self.text):
            if control is not None:
                control.disabled = True


class QuestionForm(widgets.VBox):
    """The form for one ``ask_user`` call of ``run``; it locks once answered (or closed)."""

    def __init__(self, run: RunState, questions: Sequence[Question], **kwargs: Any) -> None:
        self.run = run
        self.questions = list(questions)
        self.fields = [QuestionField(i, q, self._refresh) for i, q in enumerate(questions)]
        self.submit_button = controls.button(
            "Submit",
            CLASSES["submit"],
            self._submit,
            tooltip="Send the answers to the agent",
            style="primary",
            disabled=True,
        )
        self.outcome_view = controls.html("jp-plan-outcome-view")
        count = len(questions)
        title = "The agent asks" if count == 1 else f"The agent asks {count} questions"
        super().__init__(
            children=[
                controls.style(),
                controls.html("jp-plan-card-title", render.esc(title)),
                *(f.box for f in self.fields),
                widgets.HBox([self.submit_button]),
                self.outcome_view,
            ],
            **kwargs,
        )
        self.add_class(CLASSES["card"])
        self.locked = False

    def _refresh(self) -> None:
        if not self.locked:
            self.submit_button.disabled = not all(f.complete() for f in self.fields)

    def _submit(self) -> None:
        with contextlib.suppress(Locked, ValueError):  # the run's message says what's missing
            final = self.run.answer([f.answer() for f in self.fields])
            self.close_form(f"Answered — {render.answers_text(final)}")
        if self.run.message:
            self.outcome_view.value = render.note_html(self.run.message, "message")

    def close_form(self, note: str) -> None:
        """Lock every control and say why (answered, or the run ended)."""
        self.locked = True
        self.submit_button.disabled = True
        for f in self.fields:
            f.lock()
        self.outcome_view.value = render.note_html(note)
