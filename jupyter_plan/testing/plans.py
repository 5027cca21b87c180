"""Make plans for tests: an approved plan ready for ``%build``, without a model."""

from __future__ import annotations

from pathlib import Path

from jupyter_plan.models import BuildMode, Plan, ReviewDecision
from jupyter_plan.plan_format import parse_plan
from jupyter_plan.record.store import PlanStore
from jupyter_plan.session import apply_review, submit

#: A one-step plan over a 3-row ``sales`` DataFrame, and the question that picks its approach:
#: what the kernel and browser tests script the fake model to write and ask.
REVENUE_PLAN = """# Revenue by region

## Steps
### S1. Summarise by region
Group `sales` by region in a new cell.
Verify: north = 15.5
"""
REVENUE_QUESTION = {
    "questions": [
        {
            "question": "How should revenue be summarised?",
            "header": "Approach",
            "type": "choice",
            "options": [
                {"label": "pandas groupby", "description": "simple"},
                {"label": "SQL via duckdb", "description": "heavier"},
            ],
        }
    ]
}


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
