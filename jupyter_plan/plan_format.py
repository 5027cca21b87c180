"""The plan document's Markdown shape, and its parser.

The model writes the plan as Markdown (the prompt shows the shape); ``exit_plan_mode``
validates it here, and a :class:`PlanFormatError` tells the model exactly what to fix.
Steps must be addressable (``### S1. Title``) so a build can tick them off by id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jupyter_plan.models import Approach, Step

STEP_SECTIONS = ("steps", "changes", "implementation steps", "plan")
APPROACH_SECTIONS = ("alternatives considered", "approaches", "approaches considered")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_H2 = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_DASHES = "\u2013\u2014"  # en and em dash: models write them in headings
_STEP = re.compile(rf"^###\s+(?:Step\s+)?S?(\d+)\s*[.:)\-{_DASHES}]\s*(.+?)\s*$", re.IGNORECASE)
_VERIFY = re.compile(r"^\s*(?:[-*]\s*)?\**(?:verify|verification|check)\**\s*:\**\s*(.*)$", re.I)
_CHOSEN = re.compile(r"^\s*\**(?:chosen approach|chosen|approach chosen)\**\s*:\**\s*(.+)$", re.I)
_BULLET = re.compile(rf"^\s*[-*]\s+(?:\*\*(.+?)\*\*|([^:]+?))\s*(?:[:{_DASHES}-]\s*(.*))?$")

EXAMPLE = """\
# Clean the sales data and chart monthly revenue

## Steps
### S1. Load and inspect sales.csv
Read the file into `sales`; check dtypes and missing values.
Verify: `sales.shape` is printed and no column is all-null.

### S2. Plot monthly revenue
Group by month and plot a bar chart.
Verify: the chart shows 12 bars.

## Verification
Re-run all cells; no errors.
"""


class PlanFormatError(ValueError):
    """The plan document cannot be used; the message says what to change."""


@dataclass
class ParsedPlan:
    title: str
    steps: list[Step]
    approaches: list[Approach] = field(default_factory=list)
    chosen_approach: str | None = None
    sections: list[str] = field(default_factory=list)


def strip_front_matter(text: str) -> str:
    """The Markdown body of a plan file, with any YAML front matter removed."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5 :].lstrip("\n")
    return text


def parse_plan(markdown: str) -> ParsedPlan:
    body = strip_front_matter(markdown)
    lines = body.splitlines()
    title = next((m.group(1) for line in lines if (m := _H1.match(line))), None)
    if not title:
        raise PlanFormatError(_explain("the plan has no title: start it with '# <title>'"))

    sections: dict[str, list[str]] = {}
    order: list[str] = []
    current: str | None = None
    for line in lines:
        h2 = _H2.match(line)
        if h2:
            current = h2.group(1).strip().lower()
            order.append(h2.group(1).strip())
            sections.setdefault(current, [])
        elif current is not None:
            sections[current].append(line)

    step_lines = next((sections[s] for s in STEP_SECTIONS if s in sections), None)
    if step_lines is None:
        raise PlanFormatError(
            _explain("the plan has no '## Steps' section (each step a '### S1. Title' heading)")
        )
    steps = _steps(step_lines)
    approaches, chosen = _approaches(sections, lines)
    return ParsedPlan(title.strip(), steps, approaches, chosen, order)


def _steps(lines: list[str]) -> list[Step]:
    steps: list[Step] = []
    body: list[str] = []
    verify: list[str] = []

    def close() -> None:
        if steps:
            steps[-1].description = "\n".join(body).strip()
            steps[-1].verification = " ".join(verify).strip()

    for line in lines:
        m = _STEP.match(line)
        if m:
            close()
            body, verify = [], []
            number = int(m.group(1))
            if number != len(steps) + 1:
                raise PlanFormatError(
                    _explain(f"step {number} is out of order: number the steps S1, S2, S3 …")
                )
            steps.append(Step(id=f"S{number}", title=m.group(2).strip()))
            continue
        v = _VERIFY.match(line)
        if v and steps:
            verify.append(v.group(1))
        elif steps:
            body.append(line)
    close()
    if not steps:
        raise PlanFormatError(
            _explain("the Steps section has no steps: write each as '### S1. Title'")
        )
    missing = [s.id for s in steps if not s.verification]
    if missing:
        raise PlanFormatError(
            _explain(
                f"steps {', '.join(missing)} say nothing about how to check them: "
                "add a 'Verify: …' line to each step"
            )
        )
    return steps


def _approaches(
    sections: dict[str, list[str]], lines: list[str]
) -> tuple[list[Approach], str | None]:
    chosen = next((m.group(1).strip(" *") for line in lines if (m := _CHOSEN.match(line))), None)
    found: list[Approach] = []
    for name in APPROACH_SECTIONS:
        for line in sections.get(name, []):
            m = _BULLET.match(line)
            if m:
                title = (m.group(1) or m.group(2) or "").strip()
                if title:
                    found.append(Approach(title=title, summary=(m.group(3) or "").strip()))
    if chosen:
        if not any(a.title.lower() == chosen.lower() for a in found):
            found.insert(0, Approach(title=chosen))
        for a in found:
            a.recommended = a.title.lower() == chosen.lower()
    return found, chosen


def _explain(problem: str) -> str:
    return f"{problem}. A plan looks like this:\n\n{EXAMPLE}"
