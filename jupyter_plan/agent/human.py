"""How the agent reaches a person: questions and plan reviews.

The widgets (a later issue) implement :class:`Human`; tests script it. With nobody there,
:class:`NoHuman` stops the run with a clear message instead of guessing.
"""

from __future__ import annotations

from typing import Protocol

from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    BuildMode,
    Confirmation,
    Plan,
    Question,
    ReviewDecision,
)


class NeedsPerson(RuntimeError):
    """The run needs a person's answer and none can be given (headless, no recording)."""


class Human(Protocol):
    async def ask(self, questions: list[Question]) -> list[Answer]:
        """Answers in the order of ``questions``."""
        ...

    async def review(self, plan: Plan) -> ReviewDecision:
        """Approve (with a build mode), iterate (with feedback) or reject."""
        ...

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        """A tool call the policy sends to the person: allow (once / for the build) or deny."""
        ...


class NoHuman:
    """Headless with no recorded answers and no ``--approve``: stop, changing nothing."""

    async def ask(self, questions: list[Question]) -> list[Answer]:
        headers = ", ".join(q.header for q in questions)
        raise NeedsPerson(
            f"the plan needs a person to answer ({headers}) and this run has none; "
            "run the cell in JupyterLab, or replay a recorded transcript"
        )

    async def review(self, plan: Plan) -> ReviewDecision:
        raise NeedsPerson(
            f"plan {plan.id!r} is ready for review and this run has no person to approve it; "
            "pass --approve auto_edit|default, or run it in JupyterLab"
        )

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        raise NeedsPerson(
            f"{request.tool} needs a person's approval ({request.reason}) and this run has "
            "none; pass --yes to allow what the policy asks about, or run it in JupyterLab"
        )


class YesHuman(NoHuman):
    """``--yes``/``--approve`` in a headless run: every ask is allowed; questions still stop."""

    def __init__(self, build_mode: BuildMode = "auto_edit") -> None:
        self.build_mode: BuildMode = build_mode

    async def review(self, plan: Plan) -> ReviewDecision:
        return ReviewDecision(action="approve", build_mode=self.build_mode)

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        return Confirmation(allow=True, scope="once")
