"""The plan's life cycle as a state machine over :class:`PlanStatus`; no I/O here.

    drafting ──submit──▶ awaiting_review ──approve──▶ approved ──build──▶ building ──▶ built
        ▲                     │   │
        └──────iterate────────┘   └──reject──▶ rejected

Every change of status goes through :func:`transition`, so an impossible move (approving a
plan still being drafted, building a rejected one) is an error, not a silent state.
"""

from __future__ import annotations

from jupyter_plan.models import ApprovedRevision, Plan, PlanStatus, ReviewDecision, Revision, now

S = PlanStatus
ALLOWED: dict[PlanStatus, set[PlanStatus]] = {
    S.DRAFTING: {S.AWAITING_REVIEW, S.DRAFTING},
    S.AWAITING_REVIEW: {S.APPROVED, S.DRAFTING, S.REJECTED},
    S.APPROVED: {S.BUILDING, S.DRAFTING},
    S.BUILDING: {S.BUILT, S.APPROVED},  # back to approved when a build fails or is undone
    S.BUILT: {S.BUILDING, S.DRAFTING, S.APPROVED},  # --rebuild, iterate, or undo the build
    S.REJECTED: {S.DRAFTING},
}


class InvalidTransition(ValueError):
    pass


def transition(plan: Plan, to: PlanStatus) -> Plan:
    if to not in ALLOWED[plan.status]:
        raise InvalidTransition(
            f"plan {plan.id!r} is {plan.status.value}; it cannot become {to.value}"
        )
    return plan.model_copy(update={"status": to, "updated": now()})


def submit(plan: Plan, markdown: str, feedback: str | None = None) -> Plan:
    """A new revision from the model's plan document, ready for review."""
    revision = Revision(number=plan.revision + 1, markdown=markdown, feedback=feedback)
    plan = plan.model_copy(update={"revisions": [*plan.revisions, revision]})
    return transition(plan, S.AWAITING_REVIEW)


def apply_review(plan: Plan, decision: ReviewDecision) -> Plan:
    if decision.action == "approve":
        plan = transition(plan, S.APPROVED)
        seal = (  # a build refuses the plan if this text changes on disk
            ApprovedRevision(
                revision=plan.revision, sha256=ApprovedRevision.fingerprint(plan.markdown)
            )
            if plan.revision >= 1
            else None  # no revision written (a plan made in memory): nothing on disk to seal
        )
        return plan.model_copy(update={"build_mode": decision.build_mode, "approved": seal})
    if decision.action == "reject":
        return transition(plan, S.REJECTED)
    return transition(plan, S.DRAFTING)  # iterate: the agent revises
