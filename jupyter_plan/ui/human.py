"""The :class:`~jupyter_plan.agent.human.Human` protocol on a run's card.

A :class:`WidgetHuman` is one run: its :class:`~jupyter_plan.ui.state.RunState` (the truth)
and the widget the magic displays (:attr:`WidgetHuman.widget`). Where our labextension is
connected that widget is the native :class:`~jupyter_plan.ui.card.RunCard`; elsewhere (a
frontend without it, ``JUPYTER_PLAN_INTERACTIVE=1``) it is the ipywidgets fallback: the review
view above a column of question and approval forms, drawn from the same state.
"""

from __future__ import annotations

import asyncio
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
from jupyter_plan.ui import phases
from jupyter_plan.ui.approval import ApprovalForm
from jupyter_plan.ui.progress import EventLike
from jupyter_plan.ui.question import QuestionForm
from jupyter_plan.ui.review import ReviewView
from jupyter_plan.ui.state import RunState

if TYPE_CHECKING:
    from jupyter_plan.agent.human import Human

NATIVE_CAPABILITY = "cards"  # what the labextension's panels announce when they open


class WidgetHuman:
    """Asks, reviews and confirms through a run's card; answers resolve on :attr:`loop`.

    Build it where the magic runs (inside the kernel's running loop): it captures that loop.
    ``native``: draw the labextension's card (default: when a panel announced it can).
    """

    def __init__(
        self,
        *,
        title: str = "",
        kind: phases.Kind = "plan",
        loop: asyncio.AbstractEventLoop | None = None,
        native: bool | None = None,
        cell_id: str | None = None,
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
        self.state = RunState(kind=kind, title=title, loop=loop, cell_id=cell_id)
        self._forms: list[Any] = []
        self._widget: Any = None
        self._handle: Any = None
        self.native = native
        if native is not None or native_frontend():
            self._materialize()
        else:  # Run All: the panel may connect just after this cell starts; choose then
            self.state.observe(self._decide, names=["phase"])

    @property
    def widget(self) -> Any:
        """The card: the native one where a panel draws it, else the fallback."""
        return self._materialize()

    def show(self) -> None:
        """Display the card in the running cell (or, while it is not yet known which card
        this frontend draws, an empty output the card replaces once it is)."""
        from IPython.display import display

        if self._widget is not None:
            display(self._widget)
        else:
            self._handle = display({"text/plain": ""}, raw=True, display_id=True)

    def _decide(self, change: dict[str, Any]) -> None:
        if change["old"] == "starting" and self._widget is None:
            self._materialize()

    def _materialize(self) -> Any:
        if self._widget is not None:
            return self._widget
        if self.native is None:
            self.native = native_frontend()
        if self.native:
            from jupyter_plan.ui.card import RunCard

            self.card: Any = RunCard(self.state, loop=self.loop)
            self._widget = self.card
        else:
            self.review_view = ReviewView(self.state)
            self.cards = widgets.VBox()
            self.cards.add_class("jp-plan-cards")
            self._widget = widgets.VBox([self.review_view, self.cards])
            self._widget.add_class("jp-plan-container")
            self.state.observe(self._pending, names=["questions", "approval"])
            if self.state.questions:
                self._show(QuestionForm(self.state, self.state.questions))
            if self.state.approval is not None:
                self._show(ApprovalForm(self.state, self.state.approval))
        if self._handle is not None:
            self._handle.update(self._widget)
        return self._widget

    @property
    def review_widget(self) -> RunState:
        """The run's state (the name the sidebar and older tests use)."""
        return self.state

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """``display(human)`` shows the card."""
        return self.widget._repr_mimebundle_(**kwargs)

    def on_event(self, event: EventLike) -> None:
        """The agent loop's listener (``PlanRun(listener=human.on_event)``); any thread."""
        self.state.on_event(event)

    async def ask(self, questions: list[Question]) -> list[Answer]:
        return await self.state.ask(questions)

    async def review(self, plan: Plan) -> ReviewDecision:
        self.state.present(plan)
        return await self.state.wait_decision()

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        return await self.state.confirm(request)

    # -- the fallback's forms -------------------------------------------------------

    def _pending(self, change: dict[str, Any]) -> None:
        """A question or approval opened (show its form) or closed (fold the open one)."""
        kind = QuestionForm if change["name"] == "questions" else ApprovalForm
        state = self.state
        for form in self._forms:
            if isinstance(form, kind) and not form.locked:
                answered = state.live and state.history
                form.close_form(state.history[-1]["text"] if answered else "The run ended.")
        if change["new"]:
            self._show(kind(state, change["new"]))

    def _show(self, form: Any) -> None:
        self._forms.append(form)
        self.cards.children = (*self.cards.children, form)

    @property
    def shown(self) -> Sequence[Any]:
        """The fallback's forms shown so far, oldest first (none with the native card)."""
        return tuple(self._forms)

    def control(self, css: str) -> Any:
        """The one enabled fallback control with CSS class ``css`` (e.g. ``jp-plan-deny``).

        For kernel tests: nbclient drops the comm messages of widgets a background task
        creates (they belong to an earlier cell), so a test cell prints
        ``human.control(css).model_id`` and the test sends the click to that comm id.
        """
        found = [w for w in _tree(self.widget) if css in w._dom_classes and not _disabled(w)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} enabled controls have the class {css!r}")
        return found[0]


def native_frontend() -> bool:
    """Whether a connected panel draws our native cards (the labextension announced it)."""
    from jupyter_plan.bridge.locate import default_registry

    return any(NATIVE_CAPABILITY in b.info.capabilities for b in default_registry().bridges())


def current_cell_id() -> str | None:
    """The id of the cell being executed (JupyterLab and Notebook 7 send it), if known."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        metadata = kernel.get_parent().get("metadata", {}) if kernel is not None else {}
    except Exception:  # no kernel, no parent message: nothing to tell
        return None
    cell = metadata.get("cellId") if isinstance(metadata, dict) else None
    return cell if isinstance(cell, str) and cell else None


def _tree(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _tree(child)


def _disabled(widget: Any) -> bool:
    return bool(getattr(widget, "disabled", False))


if TYPE_CHECKING:

    def _is_a_human(human: WidgetHuman) -> Human:
        return human  # mypy checks that WidgetHuman implements the protocol
