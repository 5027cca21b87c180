"""The plan life cycle: allowed moves happen, impossible ones are errors."""

from __future__ import annotations

import pytest

from jupyter_plan.models import Plan, PlanStatus, ReviewDecision
from jupyter_plan.session import InvalidTransition, apply_review, submit, transition

S = PlanStatus


def draft() -> Plan:
    return Plan(id="p", title="T", goal="do it")


def test_submit_review_approve() -> None:
    plan = submit(draft(), "# T v1")
    assert plan.status is S.AWAITING_REVIEW and plan.revision == 1
    plan = apply_review(plan, ReviewDecision(action="approve", build_mode="auto_edit"))
    assert plan.status is S.APPROVED and plan.build_mode == "auto_edit"


def test_iterate_keeps_old_revision() -> None:
    plan = submit(draft(), "# T v1")
    plan = apply_review(plan, ReviewDecision(action="iterate", feedback="use SQL"))
    assert plan.status is S.DRAFTING
    plan = submit(plan, "# T v2", feedback="use SQL")
    assert [r.number for r in plan.revisions] == [1, 2]
    assert plan.revisions[0].markdown == "# T v1" and plan.markdown == "# T v2"
    assert plan.revisions[1].feedback == "use SQL"


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.DRAFTING, S.APPROVED),
        (S.DRAFTING, S.BUILDING),
        (S.REJECTED, S.BUILDING),
        (S.AWAITING_REVIEW, S.BUILT),
    ],
)
def test_impossible_moves(start: PlanStatus, to: PlanStatus) -> None:
    with pytest.raises(InvalidTransition, match=f"is {start.value}; it cannot become {to.value}"):
        transition(draft().model_copy(update={"status": start}), to)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "approve"}, "approve needs a build_mode"),
        ({"action": "iterate"}, "iterate needs feedback"),
        ({"action": "iterate", "feedback": "  "}, "iterate needs feedback"),
    ],
)
def test_review_decision_validation(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReviewDecision.model_validate(kwargs)
