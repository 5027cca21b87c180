"""The agent loop: a small explicit state machine over model turns and tool calls.

    REQUEST ──(tool calls)──▶ TOOLS ──▶ REQUEST …
       │                        └──(exit_plan_mode accepted)──▶ SUBMITTED
       └──(text only)──▶ ANSWERED

Every tool call is validated (pydantic), then decided by the policy engine, then run. A
bad call goes back to the model as an error message; repeated bad calls, or ``max_turns``
turns without finishing, end the run with a clear :class:`LoopStopped`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from jupyter_plan.agent.client import ModelClient, ModelRequest
from jupyter_plan.models import ApprovalRequest, ModelResponse, ToolCall, Usage
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.types import Decision, Mode
from jupyter_plan.tools.base import ToolContext, ToolError, ToolRegistry, cap

#: Consecutive failed calls (unknown tool, invalid arguments, tool errors) before we stop.
MAX_FAILURES = 4


class Outcome(StrEnum):
    SUBMITTED = "submitted"  # exit_plan_mode accepted a plan file
    ANSWERED = "answered"  # the model replied in text (an inquiry, or a build summary)
    ENTER_PLAN = "enter_plan"  # enter_plan_mode ran: the run continues as a plan


class LoopStopped(RuntimeError):
    """The run ended without an outcome; the message says why and what to do."""


@dataclass
class LoopEvent:
    """Progress for the UI's status line (never printed: see ARCHITECTURE §5)."""

    kind: str  # turn | text | tool_call | tool_result | usage
    turn: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoopResult:
    outcome: Outcome
    text: str
    turns: int
    usage: Usage


Listener = Callable[[LoopEvent], None]


class AgentLoop:
    """One agent thread: its messages persist across :meth:`run` calls (e.g. Iterate)."""

    def __init__(
        self,
        *,
        client: ModelClient,
        registry: ToolRegistry,
        policy: PolicyEngine,
        ctx: ToolContext,
        model: str,
        api_base: str | None,
        messages: list[dict[str, Any]],
        mode: Mode = Mode.PLAN,
        interactive: bool = True,
        max_turns: int = 40,
        listener: Listener | None = None,
    ) -> None:
        self.client, self.registry, self.policy, self.ctx = client, registry, policy, ctx
        self.model, self.api_base, self.mode = model, api_base, mode
        self.messages = messages
        self.interactive = interactive
        self.max_turns = max_turns
        self.listener = listener
        self.usage = Usage()
        self.turns = 0
        self.started = time.monotonic()
        self._last_error = ""
        self.allowed_for_run: set[str] = set()  # "Allow for this build" answers

    def _emit(self, kind: str, **data: Any) -> None:
        if self.listener is not None:
            self.listener(LoopEvent(kind, self.turns, data))

    def visible_tools(self) -> list[str]:
        """Tools the policy denies outright in this mode are not shown to the model."""
        return self.policy.visible_tools(
            self.registry.names, self.mode, interactive=self.interactive
        )

    async def run(self) -> LoopResult:
        failures = 0
        budget_end = self.turns + self.max_turns
        while self.turns < budget_end:
            response = await self._request()
            if not response.tool_calls:
                if response.content.strip():
                    return LoopResult(Outcome.ANSWERED, response.content, self.turns, self.usage)
                failures += 1
                self._say("Your reply was empty. Continue with a tool call or an answer.")
            for call in response.tool_calls:
                ok = await self._call(call)
                failures = 0 if ok else failures + 1
            if self.ctx.submitted_plan is not None:
                return LoopResult(Outcome.SUBMITTED, response.content, self.turns, self.usage)
            if self.ctx.enter_plan is not None:
                return LoopResult(Outcome.ENTER_PLAN, response.content, self.turns, self.usage)
            if failures >= MAX_FAILURES:
                raise LoopStopped(
                    f"stopped after {failures} failed tool calls in a row (last: "
                    f"{self._last_error}); the model is not making progress"
                )
        raise LoopStopped(
            f"stopped after {self.max_turns} model turns without "
            f"{'submitting a plan (exit_plan_mode)' if self.mode is Mode.PLAN else 'finishing'}; "
            "raise max_turns in settings or simplify the task"
        )

    async def _request(self) -> ModelResponse:
        self.turns += 1
        self._emit("turn", elapsed=time.monotonic() - self.started)
        tools = self.registry.schemas(self.visible_tools())
        request = ModelRequest(
            model=self.model, messages=self.messages, tools=tools, api_base=self.api_base
        )
        response = await self.client.complete(
            request, on_text=lambda delta: self._emit("text", delta=delta)
        )
        self.usage = self.usage + response.usage
        self._emit("usage", usage=self.usage.model_dump())
        self.messages.append(_assistant_message(response))
        return response

    async def _call(self, call: ToolCall) -> bool:
        """Run one call and answer it in the thread; False when the call failed."""
        self._emit("tool_call", name=call.name, arguments=call.arguments)
        try:
            tool = self.registry.get(call.name)
            args = self.registry.parse_args(tool, call.arguments)
        except ToolError as exc:
            return self._answer(call, f"Error: {exc}", ok=False)
        raw = args.model_dump(mode="json", exclude_none=True)
        decision = self.policy.decide(
            call.name, raw, self.mode, interactive=self.interactive, kind=tool.kind
        )
        if decision.decision is Decision.ASK_USER and call.name not in self.allowed_for_run:
            preview, kind = "", "text"
            if tool.preview is not None:
                try:
                    preview, kind = await tool.preview(args, self.ctx)
                except ToolError as exc:
                    return self._answer(call, f"Error: {exc}", ok=False)
            rule = decision.rule
            answer = await self.ctx.human.confirm(
                ApprovalRequest(
                    tool=call.name,
                    args=raw,
                    reason=decision.reason,
                    rule=f"{rule.location} ({rule.tier.label} tier)" if rule else None,
                    preview=preview,
                    preview_kind=kind,
                )
            )
            if not answer.allow:
                why = f": {answer.reason}" if answer.reason else "."
                return self._answer(call, f"Denied by the person{why}", ok=True)
            if answer.scope == "build":
                self.allowed_for_run.add(call.name)
        elif decision.decision is Decision.DENY:
            return self._answer(call, f"Denied by policy: {decision.reason}", ok=True)
        try:
            output = await tool.run(args, self.ctx)
        except ToolError as exc:
            return self._answer(call, f"Error: {exc}", ok=False)
        return self._answer(call, cap(output), ok=True)

    def _answer(self, call: ToolCall, content: str, *, ok: bool) -> bool:
        if not ok:
            self._last_error = content
        self._emit("tool_result", name=call.name, ok=ok, content=content[:200])
        self.messages.append(
            {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}
        )
        return ok

    def _say(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})


def _assistant_message(response: ModelResponse) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": response.content or None}
    if response.tool_calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": _valid_json_or_empty(c.arguments)},
            }
            for c in response.tool_calls
        ]
    return message


def _valid_json_or_empty(arguments: str) -> str:
    """Providers reject a history holding invalid JSON arguments; the error is in the reply."""
    try:
        json.loads(arguments)
    except (json.JSONDecodeError, TypeError):
        return "{}"
    return arguments
