"""The tools that change who works on a task: ``enter_plan_mode`` and ``investigate``.

``enter_plan_mode`` only records the model's request: the policy decides it like any call
(it asks the person in ``default`` and ``auto_edit``), and once it ran, the agent loop ends
so ``agent/mode.py`` can continue the same cell as a planning run. ``investigate`` hands a
question to the read-only research sub-agent the run installed (``agent/investigator.py``);
the tools floor cannot import the agent floor, so the run puts it in the context.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel, Field, create_model

from jupyter_plan.policy.types import ToolKind
from jupyter_plan.tools.base import Tool, ToolContext, ToolError


class EnterPlanModeArgs(BaseModel):
    reason: str = Field(
        min_length=1, description="Why this task needs a plan before anything is changed."
    )


class InvestigateArgs(BaseModel):
    question: str = Field(
        min_length=1,
        description="What to find out: the notebook's cells, the kernel's variables, files.",
    )


async def enter_plan_mode(args: EnterPlanModeArgs, ctx: ToolContext) -> str:
    ctx.enter_plan = args.reason
    return "Plan mode entered: read the notebook, write the plan and submit it for review."


async def investigate(args: InvestigateArgs, ctx: ToolContext) -> str:
    if ctx.investigator is None:
        raise ToolError("investigate is not available in this run")
    return str(await ctx.investigator(args.question))


async def _reason_preview(args: EnterPlanModeArgs, ctx: ToolContext) -> tuple[str, str]:
    return f"Switch to plan mode: {args.reason}", "text"


ENTER_PLAN_MODE = Tool(
    name="enter_plan_mode",
    description=(
        "Switch to plan mode when the task is large, risky or unclear enough to deserve a "
        "reviewed plan first, or when the person asks to start a plan. The person confirms. "
        "If they decline, you stay in the current mode: do the task in small steps or answer."
    ),
    args=EnterPlanModeArgs,
    kind=ToolKind.INTERACT,
    run=enter_plan_mode,
    preview=_reason_preview,
)
INVESTIGATE = Tool(
    name="investigate",
    description=(
        "Ask a read-only research sub-agent a question about the notebook, the kernel's "
        "variables or the project's files; it reads with its own context and returns a "
        "findings report. Use it for questions that need many reads."
    ),
    args=InvestigateArgs,
    kind=ToolKind.READ,
    run=investigate,
)
TOOLS: tuple[Tool[Any], ...] = (ENTER_PLAN_MODE, INVESTIGATE)


def without_steps(tool: Tool[Any]) -> Tool[Any]:
    """``tool`` for ``%%agent``, where no plan has steps: ``step_id`` is not asked for (the
    edited cell's tag says ``step_id: null``); the build's own schema stays as recorded."""
    if "step_id" not in tool.args.model_fields:
        return tool
    args = create_model(
        tool.args.__name__,
        __base__=tool.args,
        step_id=(str | None, Field(None, description="Not used outside a plan's build.")),
    )
    return replace(tool, args=args)
