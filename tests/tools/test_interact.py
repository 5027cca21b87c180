"""ask_user with a scripted person, and exit_plan_mode accepting or rejecting a plan file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.agent.human import NeedsPerson, NoHuman
from jupyter_plan.models import Answer, Option, Question
from jupyter_plan.plan_format import EXAMPLE
from jupyter_plan.tools.base import ToolContext, ToolError

from .conftest import Call, ScriptedHuman

APPROACH: dict[str, Any] = {
    "question": "How should monthly revenue be computed?",
    "header": "Approach",
    "type": "choice",
    "options": [
        {"label": "groupby (Recommended)", "description": "simple, in pandas"},
        {"label": "pivot table", "description": "wide output"},
    ],
}
COLUMNS: dict[str, Any] = {
    "question": "Which columns?",
    "header": "Columns",
    "type": "choice",
    "multiSelect": True,
    "options": [{"label": "revenue"}, {"label": "cost"}, {"label": "units"}],
}
NAME: dict[str, Any] = {"question": "Name of the chart?", "header": "Title", "type": "text"}
CONFIRM: dict[str, Any] = {"question": "Drop empty rows?", "header": "Drop", "type": "yesno"}


async def test_ask_user_returns_and_records_answers(call: Call, ctx: ToolContext) -> None:
    answers = [
        Answer(header="Approach", selected=["groupby (Recommended)"]),
        Answer(header="Columns", selected=["revenue", "cost"], text="and margin"),
        Answer(header="Title", text="Revenue by month"),
        Answer(header="Drop"),
    ]
    human = ScriptedHuman(answers)
    ctx.human = human
    out = await call("ask_user", questions=[APPROACH, COLUMNS, NAME, CONFIRM])
    assert out.splitlines() == [
        "The person answered:",
        "- Approach: groupby (Recommended)",
        '- Columns: revenue, cost; in their own words: "and margin"',
        '- Title: in their own words: "Revenue by month"',
        "- Drop: (no answer: decide, and say so in the plan)",
    ]
    asked = human.asked[0]
    assert [q.header for q in asked] == ["Approach", "Columns", "Title", "Drop"]
    assert asked[0].options[0] == Option(
        label="groupby (Recommended)", description="simple, in pandas"
    )
    assert [(r.question.header, r.answer) for r in ctx.questions] == [
        (q.header, a) for q, a in zip(asked, answers, strict=True)
    ]


@pytest.mark.parametrize(
    ("questions", "problem"),
    [
        ([], "questions: List should have at least 1 item"),
        ([NAME] * 5, "questions: List should have at most 4 items"),
        ([{**APPROACH, "options": APPROACH["options"][:1]}], "2 to 4 options"),
        ([{**NAME, "options": [{"label": "x"}]}], "a text question takes no options"),
        ([{**NAME, "header": "a header far too long for a chip"}], "at most 24 characters"),
        ([{**NAME, "type": "slider"}], "questions.0.type"),
    ],
)
async def test_ask_user_invalid_questions(
    call: Call, ctx: ToolContext, questions: list[dict[str, Any]], problem: str
) -> None:
    with pytest.raises(ToolError, match="invalid arguments for ask_user") as err:
        await call("ask_user", questions=questions)
    assert problem in str(err.value)
    assert ctx.questions == []


async def test_ask_user_without_a_person_stops_the_run(call: Call, ctx: ToolContext) -> None:
    ctx.human = NoHuman()
    with pytest.raises(NeedsPerson, match=r"answer \(Title\)"):
        await call("ask_user", questions=[NAME])
    assert ctx.questions == []


async def test_ask_user_with_a_broken_person(call: Call, ctx: ToolContext) -> None:
    ctx.human = ScriptedHuman([])
    with pytest.raises(RuntimeError, match="1 questions got 0 answers"):
        await call("ask_user", questions=[NAME])


def test_the_other_answer_is_described_to_the_model() -> None:
    from jupyter_plan.tools.interact import ASK_USER

    schema = ASK_USER.schema()["function"]
    assert "'Other'" in schema["parameters"]["properties"]["questions"]["description"]
    assert Question.model_validate(NAME).type == "text"


FRONT = "---\nid: p1\nstatus: drafting\n---\n"


@pytest.mark.parametrize("name", ["plan.md", "./plan.md", "sub/../plan.md", "PLAN.MD"])
async def test_exit_plan_mode_accepts_a_valid_plan(
    call: Call, ctx: ToolContext, plan_dir: Path, name: str
) -> None:
    (plan_dir / "sub").mkdir()
    target = Path(os.path.normpath(plan_dir / name))
    target.write_text(FRONT + EXAMPLE)
    out = await call("exit_plan_mode", plan_filename=name)
    assert out.startswith("Plan submitted for review: 'Clean the sales data and chart monthly")
    assert "2 steps" in out
    assert ctx.submitted_plan == target.resolve()


async def test_exit_plan_mode_takes_an_absolute_path_inside(
    call: Call, ctx: ToolContext, plan_dir: Path
) -> None:
    (plan_dir / "p.md").write_text(EXAMPLE)
    await call("exit_plan_mode", plan_filename=str(plan_dir / "p.md"))
    assert ctx.submitted_plan == (plan_dir / "p.md").resolve()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the plan has no title"),
        ("# Title\n\nJust prose.\n", "no '## Steps' section"),
        ("# T\n## Steps\n### S1. Load\nRead it.\n", "add a 'Verify: …' line"),
        ("# T\n## Steps\n### S2. Load\nVerify: ok\n", "step 2 is out of order"),
    ],
)
async def test_exit_plan_mode_rejects_a_bad_plan(
    call: Call, ctx: ToolContext, plan_dir: Path, text: str, problem: str
) -> None:
    (plan_dir / "plan.md").write_text(text)
    with pytest.raises(ToolError, match="the plan is not ready") as err:
        await call("exit_plan_mode", plan_filename="plan.md")
    assert problem in str(err.value)
    assert "### S1. Load and inspect sales.csv" in str(err.value)  # the example shape
    assert ctx.submitted_plan is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("missing.md", "no plan file 'missing.md': write it with write_file first"),
        ("plan.txt", "must be a Markdown (.md) file"),
        ("folder.md", "no plan file"),
        ("latin.md", "cannot read the plan"),
    ],
)
async def test_exit_plan_mode_refuses(
    call: Call, ctx: ToolContext, plan_dir: Path, name: str, problem: str
) -> None:
    (plan_dir / "plan.txt").write_text(EXAMPLE)
    (plan_dir / "folder.md").mkdir()
    (plan_dir / "latin.md").write_bytes("# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ToolError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        await call("exit_plan_mode", plan_filename=name)
    assert ctx.submitted_plan is None
