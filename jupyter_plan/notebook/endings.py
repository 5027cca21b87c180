"""How a run's end shows, the same for ``%%plan``, ``%%agent`` and ``%build``: on its card
(when one shows it) and in its cell's output, which a saved notebook keeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.display import Markdown

from jupyter_plan.models import Plan
from jupyter_plan.notebook.kernel_session import KernelSession


def ended(review: Any, plan: Plan | None, summary: str = "") -> None:
    """The run ended as it should: the card says so, and the cell's output shows the rest."""
    if review is not None:
        review.finish(plan, summary)
        review.hand_over()


def stopped(
    session: KernelSession, handle: Any, review: Any, note: str
) -> Callable[[BaseException], None]:
    """The run's ``fail``: the error is said once, on the card (``note``: what is kept after a
    stop) or by the UsageError, never again in the cell."""

    def fail(error: BaseException) -> None:
        handle.update(Markdown(""))
        if review is not None:
            review.end_with(error, note)
        session.changed()

    return fail
