"""The nouns of jupyter-plan, as pydantic models shared by every layer.

Nothing here does I/O. A ``Plan`` is what the plan file stores; ``Cell``/``NotebookSnapshot``
are what a bridge returns; ``ToolCall``/``ModelResponse`` are what the model layer returns.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def now() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the notebook -------------------------------------------------------------------


class Cell(_Model):
    """One cell as a bridge reports it. Outputs are nbformat output dicts."""

    id: str
    cell_type: Literal["code", "markdown", "raw"]
    source: str
    outputs: list[dict[str, Any]] = Field(default_factory=list)
    execution_count: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class NotebookSnapshot(_Model):
    """The notebook at one moment: what the agent may read."""

    path: str | None = None
    cells: list[Cell]
    active_cell_id: str | None = None  # the %%plan cell, when known

    def cell(self, cell_id: str) -> Cell | None:
        return next((c for c in self.cells if c.id == cell_id), None)


# -- asking the person --------------------------------------------------------------


class Option(_Model):
    label: str = Field(min_length=1, max_length=80)
    description: str = ""


class Question(_Model):
    """One ``ask_user`` question, in the Gemini CLI shape. "Other" is always offered."""

    question: str = Field(min_length=1)
    header: str = Field(min_length=1, max_length=24, description="a short chip label")
    type: Literal["choice", "text", "yesno"] = "choice"
    options: list[Option] = Field(default_factory=list, max_length=4)
    multiSelect: bool = False  # camelCase: the name the model sees (Gemini's)

    @model_validator(mode="after")
    def _options_fit_type(self) -> Question:
        if self.type == "choice" and not 2 <= len(self.options) <= 4:
            raise ValueError("a choice question needs 2 to 4 options")
        if self.type != "choice" and self.options:
            raise ValueError(f"a {self.type} question takes no options")
        return self


class Answer(_Model):
    """The person's answer to one question: chosen labels and/or free text ("Other")."""

    header: str
    selected: list[str] = Field(default_factory=list)
    text: str | None = None

    def summary(self) -> str:
        parts = [*self.selected]
        if self.text:
            parts.append(self.text)
        return ", ".join(parts) if parts else "(no answer)"


class QuestionRecord(_Model):
    """A question asked during planning and how it was answered (kept in the plan)."""

    question: Question
    answer: Answer
    at: datetime = Field(default_factory=now)


# -- the plan -----------------------------------------------------------------------


class PlanStatus(StrEnum):
    DRAFTING = "drafting"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    BUILDING = "building"
    BUILT = "built"
    REJECTED = "rejected"


BuildMode = Literal["auto_edit", "default"]


class Step(_Model):
    """One addressable step of a plan: a build ticks these off by id."""

    id: str  # "S1", "S2", ...
    title: str
    description: str = ""
    verification: str = ""
    status: Literal["pending", "in_progress", "done", "failed", "skipped"] = "pending"
    note: str | None = None


class Approach(_Model):
    title: str
    summary: str = ""
    recommended: bool = False


def _empty(value: Any) -> bool:
    return not value  # new optional fields stay out of files that never used them


class Comment(_Model):
    """The person's comment on one part of a revision: a step (``S2``) or a section."""

    anchor: str = Field(min_length=1, max_length=120)  # a step id, or a section's heading
    text: str = Field(min_length=1)


class CommentMark(_Model):
    """The model's answer, in the next revision, to one comment: addressed or not, and why."""

    anchor: str
    text: str  # the comment, as the person wrote it
    addressed: bool
    note: str = ""


class Revision(_Model):
    number: int = Field(ge=1)
    markdown: str
    feedback: str | None = None  # the Iterate feedback that led to this revision
    created: datetime = Field(default_factory=now)
    author: Literal["agent", "person"] | None = Field(None, exclude_if=_empty)  # None: agent
    comments: list[Comment] = Field(default_factory=list, exclude_if=_empty)  # sent by Iterate
    marks: list[CommentMark] = Field(default_factory=list, exclude_if=_empty)  # on the last's


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # None: litellm does not know this model's price

    def __add__(self, other: Usage) -> Usage:
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=cost,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ApprovedRevision(_Model):
    """What the person approved: the revision, and the sha256 of its Markdown (UTF-8) that a
    build checks again (``record/approval.py``)."""

    revision: int = Field(ge=1)
    sha256: str

    @staticmethod
    def fingerprint(markdown: str) -> str:
        return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


class Plan(_Model):
    """One execution goal, its revisions and everything that shaped it."""

    id: str
    title: str
    goal: str  # the task text of the %%plan cell
    status: PlanStatus = PlanStatus.DRAFTING
    revisions: list[Revision] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    approaches: list[Approach] = Field(default_factory=list)
    chosen_approach: str | None = None
    questions: list[QuestionRecord] = Field(default_factory=list)
    build_mode: BuildMode | None = None  # chosen at approval
    model: str | None = None
    usage: Usage = Field(default_factory=Usage)
    notebook_path: str | None = None
    created: datetime = Field(default_factory=now)
    updated: datetime = Field(default_factory=now)
    pages: list[str] = Field(default_factory=list, exclude_if=_empty)  # referenced pages
    approved: ApprovedRevision | None = Field(None, exclude_if=_empty)  # set at approval

    @property
    def revision(self) -> int:
        return self.revisions[-1].number if self.revisions else 0

    @property
    def markdown(self) -> str:
        return self.revisions[-1].markdown if self.revisions else ""


# -- the model ----------------------------------------------------------------------


class ToolCall(_Model):
    """A tool call as the model sent it; ``arguments`` is the raw JSON text (may be invalid)."""

    id: str
    name: str
    arguments: str


class ModelResponse(_Model):
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)


class ReviewDecision(_Model):
    """What the person decided about a presented plan."""

    action: Literal["approve", "iterate", "reject"]
    build_mode: BuildMode | None = None  # with approve
    feedback: str | None = None  # with iterate (required) or reject (optional)
    comments: list[Comment] = Field(default_factory=list, exclude_if=_empty)  # with iterate
    edited: str | None = Field(None, exclude_if=_empty)  # the person's hand edit, if any

    @model_validator(mode="after")
    def _fields_fit_action(self) -> ReviewDecision:
        if self.action == "approve" and self.build_mode is None:
            raise ValueError("approve needs a build_mode: auto_edit or default")
        if self.action == "iterate" and not (self.feedback or "").strip() and not self.comments:
            raise ValueError("iterate needs feedback")
        return self


# -- the person approving a tool call ------------------------------------------------


class ApprovalRequest(_Model):
    """A tool call the policy sends to the person, with what they need to decide."""

    tool: str
    args: dict[str, Any]
    reason: str  # why the policy asks
    rule: str | None = None  # "file:line (tier)" of the rule that asked; None: no rule matched
    preview: str = ""  # a diff for edit_cell, the source for insert/run_cell, the shell command
    preview_kind: Literal["diff", "code", "command", "text"] = "text"


class Confirmation(_Model):
    """The person's answer: allow once, allow this tool for the rest of the build, or deny."""

    allow: bool
    scope: Literal["once", "build"] = "once"
    reason: str | None = None  # with a denial: told to the model


# -- the notebook bridge's edit operations -----------------------------------------


class NewCell(_Model):
    cell_type: Literal["code", "markdown", "raw"] = "code"
    source: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class CellRun(_Model):
    """A finished cell execution: outputs as nbformat dicts, errors included."""

    cell_id: str
    status: Literal["ok", "error", "aborted"]
    execution_count: int | None = None
    outputs: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None  # "ename: evalue" when status is error
