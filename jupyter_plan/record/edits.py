"""Plans edited by hand: the person's save of ``<id>.md`` becomes revision N+1, theirs.

The plan file is the current revision's Markdown under its front matter. When its body no
longer matches that revision, the person edited it (in JupyterLab's editor, or any other).
:func:`absorb_edit` checks the edit like a plan the model submits (the front matter is YAML
and the body a plan with addressable steps) and keeps it as a new revision whose author is
``person``; a plan approved (or built) before needs approving again. An invalid edit is
refused with ``file:line`` and the file is left alone, so the person's text is never lost.
A file opened and saved without a change makes no revision.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from jupyter_plan.models import Plan, PlanStatus, Revision
from jupyter_plan.plan_format import PlanFormatError, parse_plan
from jupyter_plan.record.store import PlanFileError, PlanStore, PlanStoreError, split_front_matter
from jupyter_plan.session import transition

PERSON = "person"
_STEP_NUMBER = re.compile(r"step (\d+) is out of order")
_STEP_IDS = re.compile(r"steps? (S\d+)")
_HEADING = re.compile(r"^###\s+(?:Step\s+)?S?(\d+)\s*[.:)\-\u2013\u2014]", re.IGNORECASE)


class HandEditError(PlanStoreError, ValueError):
    """An edit that is not a valid plan: ``path:line: problem``; the file is kept as it is."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


class EditRefused(PlanStoreError):
    """The plan cannot take a hand edit now (it is being drafted or built)."""


@dataclass(frozen=True)
class HandEdit:
    """A valid edit read from the plan file: the body, and the revision it changes."""

    plan: Plan
    body: str


def read_edit(store: PlanStore, plan_id: str) -> HandEdit | None:
    """The person's edit of ``<id>.md``, validated; None when the body is unchanged."""
    path = store.path_of(plan_id)
    text = path.read_bytes().decode("utf-8")
    meta, body = split_front_matter(text)
    if meta is None:
        raise HandEditError(path, 1, "the front matter (between '---' lines) is missing")
    try:
        yaml.safe_load(meta)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1  # +1 for '---', +1 one-based
        raise HandEditError(path, line, f"invalid YAML front matter: {_first(exc)}") from None
    try:
        plan = store.load(plan_id)
    except PlanFileError as exc:
        raise HandEditError(path, 2, exc.problem) from None
    if body == plan.markdown:
        return None  # opened and saved as it was: no revision
    if plan.status in (PlanStatus.DRAFTING, PlanStatus.BUILDING):
        doing = "drafting" if plan.status is PlanStatus.DRAFTING else "building"
        raise EditRefused(
            f"{path}: the agent is {doing} plan {plan_id!r}; your edit is kept in the file, "
            "save it again once the plan is up for review or built"
        )
    start = text[: len(text) - len(body)].count("\n") + 1  # the body's first line in the file
    try:
        parse_plan(body)
    except PlanFormatError as exc:
        problem = str(exc).split(". A plan looks like this", 1)[0]
        raise HandEditError(path, start + _line_in(body, problem), problem) from None
    return HandEdit(plan, body)


def apply_edit(plan: Plan, body: str) -> Plan:
    """Revision N+1 by the person; an approved or built plan goes back up for review."""
    parsed = parse_plan(body)
    if plan.status is not PlanStatus.DRAFTING:
        plan = transition(plan, PlanStatus.DRAFTING)
    revision = Revision(number=plan.revision + 1, markdown=body, author=PERSON)
    plan = plan.model_copy(
        update={
            "revisions": [*plan.revisions, revision],
            "title": parsed.title,
            "steps": parsed.steps,
            "approaches": parsed.approaches,
            "chosen_approach": parsed.chosen_approach,
            "build_mode": None,  # approving again chooses it
        }
    )
    return transition(plan, PlanStatus.AWAITING_REVIEW)


def absorb_edit(store: PlanStore, plan_id: str) -> Plan | None:
    """Keep the person's edit of ``<id>.md`` as a new revision; None when there is none."""
    edit = read_edit(store, plan_id)
    if edit is None:
        return None
    plan = apply_edit(edit.plan, edit.body)
    store.save(plan)
    return plan


def edited_by_person(plan: Plan) -> bool:
    """The current revision is the person's (the card and sidebar say "edited by you")."""
    return bool(plan.revisions) and plan.revisions[-1].author == PERSON


def agent_diff(plan: Plan) -> str:
    """The person's revision against the agent's last one, as a unified diff ("" if none)."""
    if not edited_by_person(plan):
        return ""
    theirs = plan.revisions[-1]
    ours = next((r for r in reversed(plan.revisions) if r.author != PERSON), None)
    before = ours.markdown if ours is not None else ""
    label = f"r{ours.number} (agent)" if ours is not None else "nothing"
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        theirs.markdown.splitlines(keepends=True),
        fromfile=label,
        tofile=f"r{theirs.number} (person)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _line_in(body: str, problem: str) -> int:
    """The 0-based body line a plan-format problem is about (0 when it is about the whole)."""
    lines = body.splitlines()
    wanted: str | None = None
    if m := _STEP_NUMBER.search(problem):
        wanted = m.group(1)
    elif m := _STEP_IDS.search(problem):
        wanted = m.group(1)[1:]
    if wanted is not None:
        for i, line in enumerate(lines):
            if (h := _HEADING.match(line)) and h.group(1) == wanted:
                return i
    if "Steps section has no steps" in problem:
        return next((i for i, line in enumerate(lines) if line.startswith("## ")), 0)
    return 0


def _first(exc: yaml.YAMLError) -> str:
    return str(getattr(exc, "problem", None) or exc).splitlines()[0]


__all__ = [
    "PERSON",
    "EditRefused",
    "HandEdit",
    "HandEditError",
    "absorb_edit",
    "agent_diff",
    "apply_edit",
    "edited_by_person",
    "read_edit",
]
