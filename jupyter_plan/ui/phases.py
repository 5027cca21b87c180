"""Where a run is, and which actions are valid there: one table for card, sidebar and palette.

A run (one ``%%plan`` or one ``%build``) is always in exactly one phase. Live phases end in
a final one the person can see (approved, built N/M, failed with its reason, stopped…);
each phase offers only the actions that do something in it, so no view ever shows a
button that silently does nothing.

    plan:  starting → working ⇄ asking → awaiting_review → approved | rejected
                         ▲                     │ iterate
                         └─────────────────────┘
    build: starting → building ⇄ confirming → built
    either: → failed (reason, Retry) | stopped (Stop; the draft or checkpoint is kept)
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["plan", "build"]

WORKING = frozenset({"starting", "working", "building"})
LIVE = WORKING | {"asking", "awaiting_review", "confirming"}
FINAL = frozenset({"approved", "rejected", "answered", "built", "failed", "stopped", "undone"})
PHASES = LIVE | FINAL

LABELS = {
    "starting": "starting",
    "working": "drafting",
    "asking": "waiting for your answer",
    "awaiting_review": "awaiting review",
    "approved": "approved",
    "rejected": "rejected",
    "answered": "answered",
    "building": "building",
    "confirming": "waiting for your approval",
    "built": "built",
    "failed": "failed",
    "stopped": "stopped",
    "undone": "build undone",
}

#: What each action's button says, wherever it is drawn.
ACTION_LABELS = {
    "approve_auto_edit": "Approve — auto-accept edits",
    "approve_default": "Approve — review each edit",
    "iterate": "Iterate",
    "reject": "Reject",
    "stop": "Stop",
    "retry": "Retry",
    "resume": "Run again",
    "build": "Build",
    "undo": "Undo build",
    "rebuild": "Rebuild",
    "live": "Re-plan live (calls the model)",
    "keep": "Keep the recorded plan",
}

#: Actions that change the notebook or drop work: the views ask "are you sure?" first.
CONFIRM = frozenset({"undo", "rebuild"})

#: The approval modes, named the same everywhere (sidebar, status bar, cards, palette).
MODE_LABELS = {
    "default": "Review each edit",
    "auto_edit": "Auto-accept edits",
    "plan": "Read-only (plan)",
    "yolo": "Allow everything (yolo)",
}


def actions(
    kind: Kind, phase: str, plan_status: str | None, *, undoable: bool, drifted: bool = False
) -> list[str]:
    """The actions valid for a run of ``kind`` in ``phase``.

    ``plan_status``: the plan's stored status, which an approved plan run follows while
    its plan is built (approved → building → built). ``undoable``: this kernel holds the
    checkpoint of the plan's last build.
    """
    if phase in ("starting", "working", "asking", "building", "confirming"):
        return ["stop"]
    if phase == "awaiting_review":
        return ["approve_auto_edit", "approve_default", "iterate", "reject"]
    if phase in ("approved", "undone", "built"):
        status = plan_status or phase
        if status == "approved":
            return ["build"]
        if status == "built":
            return ["undo", "rebuild"] if undoable else ["rebuild"]
        return []  # building: the build's own card has Stop
    if phase == "failed" and drifted:  # a replay met a changed notebook: never a silent call
        return ["live", "keep"] if kind == "plan" else ["live"]
    if phase == "failed":
        return ["retry", "undo"] if kind == "build" and undoable else ["retry"]
    if phase == "stopped":
        return ["resume", "undo"] if kind == "build" and undoable else ["resume"]
    if phase == "answered" and kind == "plan":  # text, no plan: asking again may give one
        return ["retry"]
    return []  # rejected, a build's closing words


def shown_phase(kind: Kind, phase: str, plan_status: str | None) -> str:
    """The phase a view names: an approved plan run follows its plan's builds."""
    follows = (kind == "plan" and phase == "approved") or phase == "undone"
    if follows and plan_status in ("building", "built"):
        return plan_status
    if phase == "undone":  # the plan is approved again, ready to build
        return "approved"
    return phase


def label(phase: str) -> str:
    return LABELS.get(phase, phase.replace("_", " "))
