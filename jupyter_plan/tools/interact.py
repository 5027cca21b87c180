"""Talking to the person: ``ask_user`` (Gemini CLI shape) and ``exit_plan_mode``.

``ask_user`` waits for the person's answers through :class:`~jupyter_plan.agent.human.Human`
(a question card in JupyterLab, a recording on replay) and records every question with its
answer in ``ctx.questions``, so the plan keeps them. ``exit_plan_mode`` checks the plan file
(inside the plan directory, Markdown, in the plan format) before it is shown for review;
a format problem goes back to the model to fix, not to the person.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from jupyter_plan.models import Answer, Question, QuestionRecord
from jupyter_plan.plan_format import PlanFormatError, parse_plan
from jupyter_plan.policy.paths import PathEscapeError, confine
from jupyter_plan.policy.types import TOOL_KINDS
from jupyter_plan.tools.base import Tool, ToolContext, ToolError, cap

# -- ask_user -----------------------------------------------------------------------


class AskUserArgs(BaseModel):
    questions: list[Question] = Field(
        min_length=1,
        max_length=4,
        description=(
            "1 to 4 questions, asked together. Each has: question (the full question), "
            "header (a chip label of at most 24 characters, e.g. 'Approach'), type "
            "('choice' with 2-4 options, each a label and a description of its trade-off; "
            "'text' for a free answer; 'yesno'), and multiSelect (choice only: allow several "
            "options). The person can always answer 'Other' in their own words."
        ),
    )


def answer_text(answer: Answer) -> str:
    """One answer as the model reads it: chosen labels, then any words of the person's own."""
    chosen = ", ".join(answer.selected)
    own = f'in their own words: "{answer.text}"' if answer.text else ""
    body = "; ".join(p for p in (chosen, own) if p) or "(no answer: decide, and say so in the plan)"
    return f"{answer.header}: {body}"


async def ask_user(args: AskUserArgs, ctx: ToolContext) -> str:
    answers = await ctx.human.ask(args.questions)
    if len(answers) != len(args.questions):  # a broken Human: fail loudly, not misattribute
        raise RuntimeError(f"{len(args.questions)} questions got {len(answers)} answers")
    for question, answer in zip(args.questions, answers, strict=True):
        ctx.questions.append(QuestionRecord(question=question, answer=answer))
    return cap("The person answered:\n" + "\n".join(f"- {answer_text(a)}" for a in answers))


# -- exit_plan_mode -----------------------------------------------------------------


class ExitPlanModeArgs(BaseModel):
    plan_filename: str = Field(
        description="The plan document you wrote (a .md file in the plan directory)."
    )


async def exit_plan_mode(args: ExitPlanModeArgs, ctx: ToolContext) -> str:
    try:
        path = confine(args.plan_filename, ctx.plan_dir)
    except PathEscapeError as exc:
        raise ToolError(str(exc)) from None
    if path.suffix.lower() != ".md":
        raise ToolError(f"the plan must be a Markdown (.md) file, not {args.plan_filename!r}")
    if not path.is_file():
        raise ToolError(f"no plan file {args.plan_filename!r}: write it with write_file first")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolError(f"cannot read the plan {args.plan_filename!r}: {exc}") from None
    try:
        plan = parse_plan(text)  # front matter, if any, is stripped by the parser
    except PlanFormatError as exc:
        raise ToolError(f"the plan is not ready: {exc}") from None
    ctx.submitted_plan = path
    return (
        f"Plan submitted for review: {plan.title!r}, {len(plan.steps)} steps. "
        "The person will approve it, ask for changes, or reject it."
    )


ASK_USER = Tool(
    name="ask_user",
    description=(
        "Ask the person 1-4 clarifying questions at once and wait for the answers. Use it "
        "when the task is ambiguous or has real choices (e.g. offer two or more approaches "
        "as a 'choice' question, marking your recommendation). Don't ask what you can find "
        "out yourself by reading the notebook, variables or files."
    ),
    args=AskUserArgs,
    kind=TOOL_KINDS["ask_user"],
    run=ask_user,
)
EXIT_PLAN_MODE = Tool(
    name="exit_plan_mode",
    description=(
        "Submit your finished plan document for the person's review. The file is checked "
        "first: a title, a '## Steps' section with '### S1. Title' steps, each with a "
        "'Verify:' line. If the check fails, fix the file and call this again."
    ),
    args=ExitPlanModeArgs,
    kind=TOOL_KINDS["exit_plan_mode"],
    run=exit_plan_mode,
)
TOOLS: tuple[Tool[Any], ...] = (ASK_USER, EXIT_PLAN_MODE)
