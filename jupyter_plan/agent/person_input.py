"""What the person adds to a review besides the decision: a hand edit, comments on parts.

While a plan is up for review the person may edit its file by hand and comment on its
steps and sections. When they decide (Iterate, Approve), the edit becomes the revision
they decided on (authored by them) and the comments are kept on the revision they were
made on. Both travel inside the recorded review decision (``edited``, ``comments``), so a
replay applies the same edit without reading the file, and stays byte-identical.
"""

from __future__ import annotations

from jupyter_plan.agent.comments import comments_prompt
from jupyter_plan.agent.human import Human
from jupyter_plan.agent.replay import RecordingHuman, _clean
from jupyter_plan.models import Plan, ReviewDecision
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.record.edits import (
    HandEditError,
    agent_diff,
    apply_edit,
    edited_by_person,
    read_edit,
)
from jupyter_plan.record.store import PlanStore, PlanStoreError
from jupyter_plan.record.transcript import ReviewEvent

REFUSED_COPY = "refused-edit.md"


def take_edit(
    store: PlanStore, plan: Plan, decision: ReviewDecision, human: Human
) -> tuple[Plan, ReviewDecision, str | None]:
    """``(plan, decision, problem)``: the plan with the person's edit and comments applied,
    the decision as recorded, and why an invalid edit was refused (its text kept aside)."""
    body, problem = decision.edited, None
    if body is None:  # live: the edit is on disk (a replay carries it in the decision)
        try:
            edit = read_edit(store, plan.id)
        except HandEditError as exc:
            problem = str(exc)
            text = store.path_of(plan.id).read_bytes()
            write_atomic(store.folder_of(plan.id) / REFUSED_COPY, text)  # never lost
            edit = None
        if edit is None and problem is None:  # kept already, when the person saved it
            body = _kept(store, plan)
        elif edit is not None and edit.body != plan.markdown:
            body = edit.body
        if body is not None:
            decision = decision.model_copy(update={"edited": body})
            _rerecord(human, decision)
    if decision.comments:
        last = plan.revisions[-1].model_copy(update={"comments": list(decision.comments)})
        plan = plan.model_copy(update={"revisions": [*plan.revisions[:-1], last]})
    if body is not None and body != plan.markdown:
        plan = apply_edit(plan, body)
        store.save(plan)
    return plan, decision, problem


def iterate_extras(plan: Plan, decision: ReviewDecision) -> str:
    """What the iterate message adds: the person's edit (with its diff) and their comments."""
    parts: list[str] = []
    if edited_by_person(plan):
        parts.append(
            f"The person edited the plan by hand: revision {plan.revision} is theirs and is "
            "what the plan file holds now. Keep their changes unless the feedback says "
            "otherwise. Their revision against your last one:\n\n```diff\n"
            f"{agent_diff(plan)}```"
        )
    if decision.comments:
        parts.append(comments_prompt(decision.comments))
    return "".join(f"\n\n{p}" for p in parts)


def _kept(store: PlanStore, plan: Plan) -> str | None:
    """The person's revision saved (from the editor) while ``plan`` was up for review."""
    try:
        stored = store.load(plan.id)
    except PlanStoreError:
        return None
    if stored.revision > plan.revision and edited_by_person(stored):
        return stored.markdown
    return None


def _rerecord(human: Human, decision: ReviewDecision) -> None:
    """A recording keeps the decision with the edit in it (the last event is this review)."""
    if not isinstance(human, RecordingHuman):
        return
    entries = human.transcript.entries
    if entries and isinstance(entries[-1], ReviewEvent):
        entries[-1] = entries[-1].model_copy(update={"decision": _clean(decision)})


__all__ = ["REFUSED_COPY", "iterate_extras", "take_edit"]
