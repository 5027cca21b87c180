"""The plan document's shape: what parses, and what the model is told to fix."""

from __future__ import annotations

import pytest

from jupyter_plan.plan_format import EXAMPLE, PlanFormatError, parse_plan, strip_front_matter

LARGER = """---
id: p1
status: drafting
---
# Deduplicate customers

## Objective
One row per customer.

## Steps
### Step 1: Find duplicates \u2014 by email
Group `customers` by lower-cased email.
- **Verify:** the count of duplicate groups is printed

### S2 \u2013 Drop them
Keep the newest row per email.
Verify: `customers.email.is_unique` is True

## Alternatives considered
- **Fuzzy matching on names**: catches more, slower and riskier
- **Exact email match** \u2014 simple and safe

Chosen approach: Exact email match
"""


def test_example_parses() -> None:
    plan = parse_plan(EXAMPLE)
    assert plan.title == "Clean the sales data and chart monthly revenue"
    assert [(s.id, s.title) for s in plan.steps] == [
        ("S1", "Load and inspect sales.csv"),
        ("S2", "Plot monthly revenue"),
    ]
    assert plan.steps[1].verification == "the chart shows 12 bars."
    assert "Group by month" in plan.steps[1].description


def test_larger_plan_with_front_matter_and_alternatives() -> None:
    plan = parse_plan(LARGER)
    assert plan.title == "Deduplicate customers"
    assert [s.id for s in plan.steps] == ["S1", "S2"]
    assert plan.steps[0].title == "Find duplicates \u2014 by email"
    assert plan.steps[0].verification == "the count of duplicate groups is printed"
    assert plan.chosen_approach == "Exact email match"
    assert [(a.title, a.recommended) for a in plan.approaches] == [
        ("Fuzzy matching on names", False),
        ("Exact email match", True),
    ]
    assert plan.sections == ["Objective", "Steps", "Alternatives considered"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("just words", "no title"),
        ("# T\n\nsome text\n", "no '## Steps' section"),
        ("# T\n## Steps\nnothing here\n", "has no steps"),
        ("# T\n## Steps\n### S2. Second\nVerify: ok\n", "step 2 is out of order"),
        ("# T\n## Steps\n### S1. One\nVerify: ok\n### S3. Three\nVerify: ok\n", "step 3 is out"),
        ("# T\n## Steps\n### S1. One\nno check\n", "S1 say nothing about how to check"),
    ],
)
def test_errors_tell_the_model_what_to_fix(text: str, fragment: str) -> None:
    with pytest.raises(PlanFormatError) as info:
        parse_plan(text)
    assert fragment in str(info.value)
    assert "### S1. Load and inspect sales.csv" in str(info.value)  # shows the expected shape


def test_strip_front_matter() -> None:
    assert strip_front_matter("---\na: 1\n---\n\n# T\n") == "# T\n"
    assert strip_front_matter("# T\n---\nx\n") == "# T\n---\nx\n"
