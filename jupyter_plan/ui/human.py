"""The :class:`~jupyter_plan.agent.human.Human` protocol on widgets.

The ``%%plan`` magic displays :attr:`WidgetHuman.widget` (the review widget above a column
of cards) and returns; the agent task then awaits the person through it. Cards are added to
that container, so they appear in the magic's cell output wherever it was displayed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    Confirmation,
    Plan,
    Question,
    ReviewDecision,
)
from jupyter_plan.ui.approval import ApprovalCard
from jupyter_plan.ui.progress import EventLike
from jupyter_plan.ui.question import QuestionCard
from jupyter_plan.ui.review import PlanReviewWidget

if TYPE_CHECKING:
    from jupyter_plan.agent.human import Human


class WidgetHuman:
    """Asks, reviews and confirms through widgets; every answer is resolved on :attr:`loop`.

    Build it where the magic runs (inside the kernel's running loop): it captures that loop.
    """

    def __init__(
        self,
        review: PlanReviewWidget | None = None,
        *,
        title: str = "",
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "WidgetHuman needs the kernel's running event loop; with none (terminal "
                    "IPython, nbclient) use a transcript or --approve instead"
                ) from None
        self.loop = loop
        self.review_widget = (
            review if review is not None else PlanReviewWidget(title=title, loop=loop)
        )
        self.cards = widgets.VBox()
        self.cards.add_class("jp-plan-cards")
        self.widget = widgets.VBox([self.review_widget, self.cards])
        self.widget.add_class("jp-plan-container")
        self._lock = threading.Lock()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """``display(human)`` shows the container."""
        return self.widget._repr_mimebundle_(**kwargs)

    def on_event(self, event: EventLike) -> None:
        """The agent loop's listener (``PlanRun(listener=human.on_event)``); any thread."""
        self.review_widget.on_event(event)

    async def ask(self, questions: list[Question]) -> list[Answer]:
        if not questions:
            return []
        card = QuestionCard(questions, loop=self.loop)
        self._show(card)
        return await card.wait_answers()

    async def review(self, plan: Plan) -> ReviewDecision:
        self.review_widget.present(plan)
        return await self.review_widget.wait_decision()

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        card = ApprovalCard(request, loop=self.loop)
        self._show(card)
        return await card.wait()

    @property
    def shown(self) -> Sequence[Any]:
        """The cards shown so far, oldest first."""
        return tuple(self.cards.children)

    def control(self, css: str) -> Any:
        """The one enabled control with CSS class ``css`` (e.g. ``jp-plan-allow-once``).

        For kernel tests: nbclient drops the comm messages of widgets a background task
        creates (they belong to an earlier cell), so a test cell prints
        ``human.control(css).model_id`` and the test sends the click to that comm id.
        """
        found = [w for w in _tree(self.widget) if css in w._dom_classes and not _disabled(w)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} enabled controls have the class {css!r}")
        return found[0]

    def _show(self, card: Any) -> None:
        with self._lock:
            self.cards.children = (*self.cards.children, card)


def _tree(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _tree(child)


def _disabled(widget: Any) -> bool:
    return bool(getattr(widget, "disabled", False))


if TYPE_CHECKING:

    def _is_a_human(human: WidgetHuman) -> Human:
        return human  # mypy checks that WidgetHuman implements the protocol
