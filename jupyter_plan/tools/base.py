"""Tools the model may call: a name, a description, a pydantic args model and a kind.

Arguments are validated here, before the policy is asked. A bad call (unknown tool, invalid
JSON, wrong arguments) becomes a :class:`ToolError` whose message goes back to the model.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from jupyter_plan.models import QuestionRecord, Step
from jupyter_plan.policy.types import ToolKind

if TYPE_CHECKING:
    from jupyter_plan.agent.human import Human
    from jupyter_plan.bridge.base import NotebookBridge

ArgsT = TypeVar("ArgsT", bound=BaseModel)

#: Default cap on what one tool call returns to the model, in characters.
OUTPUT_CAP = 12_000


class ToolError(Exception):
    """A failed call, told to the model (not raised to the person)."""


@dataclass
class ToolContext:
    """What tools may touch. Plan-mode tools only read, except the plan document itself."""

    bridge: NotebookBridge
    workspace_root: Path
    plan_dir: Path
    human: Human
    namespace: Mapping[str, Any] | None = None  # the kernel's user_ns; None when unavailable
    skill_dirs: list[Path] = field(default_factory=list)  # project first, then user
    plan_id: str | None = None  # the plan being made: the only plan document it may write
    # State the tools leave for the agent loop:
    questions: list[QuestionRecord] = field(default_factory=list)
    activated_skills: dict[str, str] = field(default_factory=dict)  # name -> instructions
    submitted_plan: Path | None = None  # set by exit_plan_mode once the file is valid
    build: BuildState | None = None  # set for %build: which plan, and step progress
    enter_plan: str | None = None  # set by enter_plan_mode: the reason (agent/mode.py)
    investigator: Callable[[str], Awaitable[str]] | None = None  # agent/investigator.py


@dataclass
class BuildState:
    """A build in progress: built cells are tagged with these ids; steps are ticked off."""

    plan_id: str
    revision: int
    steps: dict[str, Step]  # step id -> step (status updated in place)
    touched: list[str] = field(default_factory=list)  # cell ids inserted or edited, in order
    on_step: Callable[[Step], None] | None = None  # the widget ticks the step off

    def tag(self, step_id: str | None) -> dict[str, Any]:
        """``metadata.jupyter_plan`` of a built cell."""
        return {"plan_id": self.plan_id, "revision": self.revision, "step_id": step_id}

    def set_step(self, step_id: str, status: str, note: str | None = None) -> Step:
        step = self.steps.get(step_id)
        if step is None:
            raise ToolError(
                f"unknown step {step_id!r}; the plan's steps are {', '.join(self.steps)}"
            )
        step.status = status  # type: ignore[assignment]  # validated by the tool's args model
        step.note = note
        if self.on_step is not None:
            self.on_step(step)
        return step


@dataclass(frozen=True)
class Tool(Generic[ArgsT]):
    name: str
    description: str
    args: type[ArgsT]
    kind: ToolKind
    run: Callable[[ArgsT, ToolContext], Awaitable[str]]
    #: What the person sees when the policy asks: (text, kind) — a diff, code or a command.
    preview: Callable[[ArgsT, ToolContext], Awaitable[tuple[str, str]]] | None = None

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling schema litellm passes on to any provider."""
        return copy.deepcopy(_schema(self.name, self.description, self.args))


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool[Any]]) -> None:
        self._tools: dict[str, Tool[Any]] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"tool {tool.name!r} registered twice")
            self._tools[tool.name] = tool

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def tools(self) -> list[Tool[Any]]:
        return list(self._tools.values())

    def get(self, name: str) -> Tool[Any]:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools)
            raise ToolError(f"unknown tool {name!r}; the tools are: {known}")
        return tool

    def schemas(self, names: Iterable[str]) -> list[dict[str, Any]]:
        return [self._tools[n].schema() for n in names if n in self._tools]

    def parse_args(self, tool: Tool[ArgsT], raw: str) -> ArgsT:
        """Validate the model's raw JSON text against the tool's args model."""
        try:
            data = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ToolError(f"arguments for {tool.name} are not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ToolError(f"arguments for {tool.name} must be a JSON object")
        try:
            return tool.args.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(arguments)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ToolError(f"invalid arguments for {tool.name}: {problems}") from None


@functools.cache  # pydantic builds a JSON schema in ~1 ms: once per tool, not per turn
def _schema(name: str, description: str, args: type[BaseModel]) -> dict[str, Any]:
    params = args.model_json_schema()
    params.pop("title", None)
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": params},
    }


def cap(text: str, limit: int = OUTPUT_CAP) -> str:
    """Trim ``text`` to ``limit`` characters, saying how much was cut (the model can ask again)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit} more characters truncated]"
