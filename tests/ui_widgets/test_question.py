"""ui/question.py: the ask_user card."""

from __future__ import annotations

import pytest

from jupyter_plan.models import Answer, Question
from jupyter_plan.ui.outcome import Locked
from jupyter_plan.ui.question import CLASSES, QuestionCard

from .conftest import CLICK, Waiting, choice, find_live, on_thread, send, widget_state

pytestmark = pytest.mark.usefixtures("callback_errors")

YESNO = Question(question="Overwrite the file?", header="Overwrite", type="yesno")
TEXT = Question(question="Anything else?", header="Notes", type="text")


def card() -> QuestionCard:
    return QuestionCard([choice("Format"), choice("Columns", multi=True), YESNO, TEXT])


def options(c: QuestionCard, index: int) -> dict[str, bool]:
    return {o.description: o.value for o in c.fields[index].options}


def test_controls_per_question_type() -> None:
    c = card()
    assert list(options(c, 0)) == ["CSV", "Parquet"]
    assert c.fields[0].options[0].tooltip == "plain text"  # the option's description
    assert c.fields[0].text is not None and CLASSES["other"] in c.fields[0].text._dom_classes
    assert list(options(c, 2)) == ["Yes", "No"] and c.fields[2].text is None
    assert c.fields[3].options == [] and CLASSES["text"] in c.fields[3].text._dom_classes
    assert all(CLASSES["question"].format(index=i) in f.box._dom_classes
               for i, f in enumerate(c.fields))  # fmt: skip


def test_submit_is_disabled_until_every_question_is_answered() -> None:
    c = card()
    steps = [
        lambda: c.choose(0, "Parquet"),
        lambda: c.choose(1, "csv"),  # labels match case-insensitively
        lambda: c.choose(2, "No"),
        lambda: c.set_text(3, "use the 2024 data"),
    ]
    for step in steps:
        assert c.submit_button.disabled and not c.complete
        with pytest.raises(ValueError, match="unanswered"):
            c.submit()
        step()
    assert not c.submit_button.disabled and c.complete
    assert c.submit() == [
        Answer(header="Format", selected=["Parquet"]),
        Answer(header="Columns", selected=["CSV"]),
        Answer(header="Overwrite", selected=["No"]),
        Answer(header="Notes", text="use the 2024 data"),
    ]


def test_missing_answers_are_named() -> None:
    c = card()
    c.choose(0, "CSV")
    with pytest.raises(ValueError):
        c.submit()
    assert "Answer Columns, Overwrite, Notes first." in c.message_view.value


def test_single_select_is_exclusive_and_other_replaces_the_option() -> None:
    c = QuestionCard([choice("Format")])
    c.choose(0, "CSV")
    c.choose(0, "Parquet")
    assert options(c, 0) == {"CSV": False, "Parquet": True}
    c.set_text(0, "feather")
    assert options(c, 0) == {"CSV": False, "Parquet": False}
    c.choose(0, "CSV")
    assert c.fields[0].text.value == ""
    assert c.answers() == [Answer(header="Format", selected=["CSV"])]


def test_multi_select_keeps_options_and_other() -> None:
    c = QuestionCard([choice("Columns", multi=True)])
    c.choose(0, "CSV")
    c.choose(0, "Parquet")
    c.set_text(0, "date")
    assert c.answers() == [Answer(header="Columns", selected=["CSV", "Parquet"], text="date")]
    c.choose(0, "CSV", selected=False)
    assert c.answers() == [Answer(header="Columns", selected=["Parquet"], text="date")]


def test_yes_no_is_exclusive_and_takes_no_text() -> None:
    c = QuestionCard([YESNO])
    c.choose(0, "Yes")
    c.choose(0, "No")
    assert options(c, 0) == {"Yes": False, "No": True}
    with pytest.raises(ValueError, match="yes/no"):
        c.set_text(0, "maybe")


def test_unknown_option_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="'CSV', 'Parquet'"):
        QuestionCard([choice("Format")]).choose(0, "XML")


def test_blank_text_is_no_answer() -> None:
    c = QuestionCard([TEXT])
    c.set_text(0, "   ")
    assert c.answers() == [None] and c.submit_button.disabled


async def test_submit_locks_the_card() -> None:
    c = QuestionCard([choice("Format"), YESNO])
    c.choose(0, "CSV")
    c.choose(1, "Yes")
    c.submit_button.click()
    answers = await c.wait_answers()
    assert [a.summary() for a in answers] == ["CSV", "Yes"]
    assert c.locked and c.submit_button.disabled
    assert all(o.disabled for f in c.fields for o in f.options)
    assert c.fields[0].text.disabled
    assert "Answered — Format: CSV; Overwrite: Yes" in c.outcome_view.value
    for action in (lambda: c.choose(0, "Parquet"), lambda: c.set_text(0, "x"), c.submit):
        with pytest.raises(Locked):
            action()
    c.submit_button.click()  # a stale click is ignored


async def test_the_frontend_answers_over_comm_from_another_thread() -> None:
    c = QuestionCard([choice("Format"), TEXT])
    waiting = Waiting(c.wait_answers())
    state = widget_state(c)
    parquet = next(
        comm_id
        for comm_id, s in state.items()
        if CLASSES["option"] in s["_dom_classes"] and s["description"] == "Parquet"
    )
    text = find_live(state, CLASSES["text"])
    on_thread(lambda: send(c, parquet, {"method": "update", "state": {"value": True}}))
    on_thread(lambda: send(c, text, {"method": "update", "state": {"value": "thanks"}}))
    submit = find_live(widget_state(c), CLASSES["submit"])  # live now that all are answered
    on_thread(lambda: send(c, submit, CLICK))
    assert not waiting.resolved_here
    assert await waiting.result() == [
        Answer(header="Format", selected=["Parquet"]),
        Answer(header="Notes", text="thanks"),
    ]


def test_cancel_locks_without_answers() -> None:
    c = QuestionCard([YESNO])
    c.cancel()
    assert c.locked and "Interrupted" in c.outcome_view.value
    with pytest.raises(Locked):
        c.choose(0, "Yes")


def test_a_card_needs_questions() -> None:
    with pytest.raises(ValueError):
        QuestionCard([])
