"""A run as JSON: what the native card draws and what the sidebar lists.

The card gets :func:`card_state` (everything), the sidebar :func:`run_summary` per plan
(phase, valid actions, what waits for the person). Both come from the same
:class:`~jupyter_plan.ui.state.RunState`, so they cannot disagree.
"""

from __future__ import annotations

from typing import Any

from jupyter_plan.ui import phases
from jupyter_plan.ui.render import plan_json
from jupyter_plan.ui.state import RunState
from jupyter_plan.ui.words import approval_words

VERSION = 1


def card_state(state: RunState, *, file: str | None = None) -> dict[str, Any]:
    progress = state.progress
    approval = state.approval
    return {
        "version": VERSION,
        **run_summary(state),
        "title": state.title,
        "plan": plan_json(state.plan, file=file) if state.plan is not None else None,
        "progress": {
            "turn": progress.turn,
            "activity": progress.activity,
            "tokens": progress.tokens,
            "cost_usd": progress.cost_usd,
            "elapsed": round(state.elapsed(), 1),
            "running": state.working,
        },
        "narration": state.narration,
        "questions": [q.model_dump(mode="json") for q in state.questions],
        "approval": None if approval is None else _approval(state),
        "history": list(state.history),
        "summary": state.summary,
        "message": state.message,
        "refused": list(state.refused),
        "handed_over": state.handed_over,
        "action_labels": {a: phases.ACTION_LABELS[a] for a in state.actions},
        "confirm": sorted(phases.CONFIRM & set(state.actions)),
        "suggest_after_chars": state.suggest_after_chars,  # None: the card's default
    }


def run_summary(state: RunState) -> dict[str, Any]:
    """What the sidebar shows of a live run beside its plan."""
    shown = state.shown_phase
    return {
        "key": state.key,
        "kind": state.kind,
        "cell_id": state.cell_id,
        "phase": shown,
        "label": phases.label(shown),
        "live": state.live,
        "actions": state.actions,
        "pending": {"questions": len(state.questions), "approval": state.approval is not None},
        "activity": state.progress.activity if state.working else "",
        "error": (
            {"message": state.error, "fix": state.fix, "details": state.details}
            if state.error or state.phase == "failed"
            else None
        ),
    }


def _approval(state: RunState) -> dict[str, Any]:
    request = state.approval
    assert request is not None
    words = approval_words(request, state.plan)
    return {
        "tool": request.tool,
        "args": request.args,
        "reason": request.reason,
        "rule": request.rule,
        "preview": request.preview,
        "preview_kind": request.preview_kind,
        "what": words.what,
        "where": words.where,
        "step": words.step,
        "language": words.language,
        "sentence": words.sentence(),
    }
