"""Answers to ``ask_user`` questions, checked against the questions before the agent sees them.

Whatever view collected them (the native card, the fallback widgets, a test), the agent gets
one answer per question, in order, naming only offered options: a single-choice question
has at most one option chosen, and "Other" text may stand alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_plan.models import Answer, Question


def options(question: Question) -> list[str]:
    """The labels a person may pick (yes/no questions offer Yes and No)."""
    if question.type == "yesno":
        return ["Yes", "No"]
    return [o.label for o in question.options]


def check_answers(questions: Sequence[Question], answers: Sequence[Answer]) -> list[Answer]:
    """``answers`` cleaned (labels as offered, blank text dropped); ``ValueError`` names
    the unanswered questions or the option that was not offered."""
    if len(answers) != len(questions):
        raise ValueError(f"{len(questions)} questions need {len(questions)} answers")
    final, missing = [], []
    for question, answer in zip(questions, answers, strict=True):
        offered = {label.casefold(): label for label in options(question)}
        selected = []
        for label in answer.selected:
            if label.strip().casefold() not in offered:
                known = ", ".join(repr(o) for o in offered.values()) or "none"
                raise ValueError(f"{question.header!r} has no option {label!r} (options: {known})")
            selected.append(offered[label.strip().casefold()])
        text = (answer.text or "").strip() or None
        if question.type == "yesno" and text:
            raise ValueError(f"{question.header!r} is yes/no: choose Yes or No")
        single = question.type == "yesno" or not question.multiSelect
        if single and len(selected) + (text is not None) > 1:
            raise ValueError(f"{question.header!r} takes one answer")
        if not selected and text is None:
            missing.append(question.header)
        final.append(Answer(header=question.header, selected=selected, text=text))
    if missing:
        raise ValueError(f"Answer {', '.join(missing)} first.")
    return final
