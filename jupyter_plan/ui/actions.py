"""What a view's click does to a run: one dispatcher for card, sidebar and palette.

Every view sends an action name (and its arguments); :func:`act` refuses anything the run's
phase does not offer (:class:`~jupyter_plan.ui.state.ActionRefused`, with a sentence the
view shows), answers what is pending, and hands what needs the notebook (build, retry,
undo, rebuild) to the run's controller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from jupyter_plan.models import Answer, BuildMode
from jupyter_plan.ui import phases
from jupyter_plan.ui.outcome import Locked
from jupyter_plan.ui.person_parts import comments_of

if TYPE_CHECKING:
    from jupyter_plan.ui.state import RunState


class ActionRefused(ValueError):
    """The action is not valid in the run's phase; nothing changed."""


def act(run: RunState, action: str, **args: Any) -> None:
    """``answer`` (``answers=[{header, selected, text}]``), ``allow`` (``scope``) and ``deny``
    (``reason``) answer what is pending; the rest must be in ``run.actions``."""
    if action == "answer":
        raw = args.get("answers")
        if not isinstance(raw, list):
            raise ActionRefused("answer needs answers: a list of {header, selected, text}")
        _guard(lambda: run.answer([Answer.model_validate(a) for a in raw]))
        return
    if action in ("allow", "deny"):
        scope: Literal["once", "build"] = "build" if args.get("scope") == "build" else "once"
        reason = args.get("reason")
        why = reason if isinstance(reason, str) else None
        _guard(lambda: run.allow(scope) if action == "allow" else run.deny(why))
        return
    if action not in run.actions:
        raise ActionRefused(
            f"{phases.ACTION_LABELS.get(action, action)} is not possible: the run is "
            f"{phases.label(run.shown_phase)}"
        )
    text = args.get("feedback") if action == "iterate" else args.get("reason")
    text = text if isinstance(text, str) else None
    if action.startswith("approve_"):
        mode: BuildMode = "auto_edit" if action == "approve_auto_edit" else "default"
        _guard(lambda: run.approve(mode))
    elif action == "iterate":
        _guard(lambda: run.iterate(text or "", comments_of(args)))  # comments on parts
    elif action == "reject":
        _guard(lambda: run.reject(text))
    elif action == "stop":
        if run.on_stop is None:
            raise ActionRefused("this run cannot be stopped from here")
        run.message = "Stopping…"
        run.on_stop()
    elif run.controller is None:
        raise ActionRefused(f"{phases.ACTION_LABELS[action]} needs the notebook open in JupyterLab")
    else:
        run.controller(run, action)


def _guard(action: Callable[[], object]) -> None:
    """Run ``action``; a stale answer or refused input is an ActionRefused (the run's
    message already says what is wrong)."""
    try:
        action()
    except (Locked, ValueError) as exc:
        raise ActionRefused(str(exc)) from None
