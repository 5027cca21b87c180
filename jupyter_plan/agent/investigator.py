"""The research sub-agent behind ``investigate``: its own thread, read-only, on a budget.

It answers one question with a findings report. It has only the read tools (a registry of
``READ`` tools, checked here, so it can never mutate whatever a policy says), its own
messages and its own token budget (``investigate_budget_tokens``). Its calls are decided by
the caller's policy *as the sub-agent*: Gemini's ``subagent = "codebase_investigator"``
rules apply to them. It talks through the caller's client, so a recording holds its turns
and a replay answers them; its usage is added to the caller's, so it counts in the plan's.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from jupyter_plan.agent.client import ModelClient, ModelRequest
from jupyter_plan.agent.loop import AgentLoop, LoopEvent, LoopStopped, Outcome
from jupyter_plan.agent.runs import render
from jupyter_plan.models import ModelResponse
from jupyter_plan.policy import matching
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.types import ToolKind
from jupyter_plan.tools.base import ToolRegistry

NAME = "investigate"
#: What a nested progress event is named by: the card shows ``investigate > read_cells``.
NESTED = " > "


class BudgetSpent(RuntimeError):
    """The sub-agent used its token budget before it answered."""


def for_subagent(policy: PolicyEngine, name: str) -> PolicyEngine:
    """The same rules, deciding as the sub-agent ``name``: its ``subagent`` rules apply."""
    engine = copy.copy(policy)
    engine.subagent = matching.aliases(name)
    engine.forget()  # candidates depend on the sub-agent: never share the caller's
    return engine


def read_only_tools() -> ToolRegistry:
    """Only what reads: the notebook, the kernel's variables, files and skills."""
    from jupyter_plan.tools import files, kernel, notebook, skills

    tools = [*notebook.TOOLS, *kernel.TOOLS, *files.TOOLS, *skills.TOOLS]
    return ToolRegistry([t for t in tools if t.kind is ToolKind.READ])


class _Budgeted:
    """The caller's client, refusing a turn once the budget is spent."""

    def __init__(self, client: ModelClient, budget: int) -> None:
        self.client, self.budget, self.spent = client, budget, 0

    async def complete(self, request: ModelRequest, on_text: Any = None) -> ModelResponse:
        if self.spent >= self.budget:
            raise BudgetSpent(f"its token budget ({self.budget}) is spent")
        response = await self.client.complete(request, on_text=on_text)
        self.spent += response.usage.total_tokens
        return response


class Investigator:
    """``ctx.investigator`` for one run: ``await investigator(question)`` → the report."""

    def __init__(self, caller: AgentLoop, budget: int) -> None:
        self.caller, self.budget = caller, budget

    async def __call__(self, question: str) -> str:
        caller = self.caller
        ctx = replace(  # the caller's notebook and person; none of its run state
            caller.ctx,
            questions=[],
            activated_skills={},
            submitted_plan=None,
            build=None,
            enter_plan=None,
            investigator=None,
            plan_id=None,
        )
        client = _Budgeted(caller.client, self.budget)
        loop = AgentLoop(
            client=client,  # a ModelClient by shape
            registry=read_only_tools(),
            policy=for_subagent(caller.policy, NAME),
            ctx=ctx,
            model=caller.model,
            api_base=caller.api_base,
            messages=[
                {"role": "system", "content": render("investigate_system.md")},
                {"role": "user", "content": question},
            ],
            mode=caller.mode,
            interactive=caller.interactive,
            max_turns=caller.max_turns,
            listener=self._nested,
        )
        try:
            result = await loop.run()
            report = result.text if result.outcome is Outcome.ANSWERED else ""
        except (BudgetSpent, LoopStopped) as exc:
            said = [m.get("content") for m in loop.messages if m.get("role") == "assistant"]
            notes = "\n".join(str(s) for s in said if s)
            report = f"Investigation stopped: {exc}. Notes so far:\n{notes or '(none)'}"
        finally:
            caller.usage = caller.usage + loop.usage  # counts in the caller's (the plan's) total
        return f"Findings report:\n{report.strip() or '(empty)'}"

    def _nested(self, event: LoopEvent) -> None:
        """The sub-agent's progress, as the caller's events marked ``agent: investigate``."""
        if self.caller.listener is None or event.kind == "usage":
            return  # the caller reports usage once its total includes the sub-agent's
        data = {**event.data, "agent": NAME}
        if "name" in data:
            data["name"] = f"{NAME}{NESTED}{data['name']}"
        self.caller.listener(LoopEvent(event.kind, self.caller.turns, data))


def install(loop: AgentLoop, budget: int) -> AgentLoop:
    """Give ``loop``'s tools the sub-agent (``investigate`` calls it)."""
    loop.ctx.investigator = Investigator(loop, budget)
    return loop


__all__ = ["Investigator", "for_subagent", "install", "read_only_tools"]
