"""Make plans for tests: an approved plan ready for ``%build``, without a model."""

from __future__ import annotations

from pathlib import Path

from jupyter_plan.models import BuildMode, Plan, ReviewDecision
from jupyter_plan.plan_format import parse_plan
from jupyter_plan.session import apply_review, submit
from jupyter_plan.storage import PlanStore


def approved_plan(
    plan_dir: Path, plan_id: str, markdown: str, build_mode: BuildMode = "auto_edit"
) -> Plan:
    """Save ``markdown`` (the plan document's shape) as plan ``plan_id``, approved."""
    parsed = parse_plan(markdown)
    plan = Plan(id=plan_id, title=parsed.title, goal=parsed.title)
    plan = submit(plan, markdown).model_copy(update={"steps": parsed.steps})
    plan = apply_review(plan, ReviewDecision(action="approve", build_mode=build_mode))
    PlanStore(plan_dir).save(plan)
    return plan
