"""A scripted person for offline runs: answers, reviews and confirmations given in advance."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    Confirmation,
    Plan,
    Question,
    ReviewDecision,
)


class ScriptExhausted(AssertionError):
    """The run asked the scripted person more than the script holds."""


class ScriptedHuman:
    """Plays ``answers`` (one list per ``ask_user`` call), ``reviews`` and ``confirms`` in order,
    and keeps what it was shown (``asked``, ``reviewed``, ``confirmed``) for assertions."""

    def __init__(
        self,
        answers: Iterable[list[Answer]] = (),
        reviews: Iterable[ReviewDecision] = (),
        confirms: Iterable[Confirmation] = (),
    ) -> None:
        self._answers = deque(answers)
        self._reviews = deque(reviews)
        self._confirms = deque(confirms)
        self.asked: list[list[Question]] = []
        self.reviewed: list[Plan] = []
        self.confirmed: list[ApprovalRequest] = []

    async def ask(self, questions: list[Question]) -> list[Answer]:
        self.asked.append(questions)
        if not self._answers:
            raise ScriptExhausted(f"unscripted questions: {[q.header for q in questions]}")
        return self._answers.popleft()

    async def review(self, plan: Plan) -> ReviewDecision:
        self.reviewed.append(plan)
        if not self._reviews:
            raise ScriptExhausted(f"unscripted review of {plan.id} revision {plan.revision}")
        return self._reviews.popleft()

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        self.confirmed.append(request)
        if not self._confirms:
            raise ScriptExhausted(f"unscripted confirmation of {request.tool}")
        return self._confirms.popleft()
