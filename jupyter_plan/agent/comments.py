"""Comments on a plan's steps and sections, and the model's answer to each.

Iterate sends every comment at once. The next revision must say, for each, whether it was
addressed: a ``## Comments`` section with one bullet per comment,
``- S2: addressed — split into load and clean`` or ``- Risks: not addressed — out of scope``.
A revision that leaves one out is bad input: the model is told which and submits again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from jupyter_plan.models import Comment, CommentMark, Plan

_SECTION = re.compile(r"^##\s+comments\s*$", re.IGNORECASE)
_MARK = re.compile(
    r"^\s*[-*]\s+\**`?(?P<anchor>[^:`*]+?)`?\**\s*:\s*\**(?P<verdict>not addressed|addressed)\**"
    r"\s*(?:[-\u2013\u2014:]\s*(?P<note>.*))?$",
    re.IGNORECASE,
)


def comments_prompt(comments: Sequence[Comment]) -> str:
    """The comments as the iterate message lists them, with the answer the model must give."""
    if not comments:
        return ""
    lines = ["The person commented on parts of the plan:", ""]
    lines += [f"- **{c.anchor}**: {c.text}" for c in comments]
    lines += [
        "",
        "In the revised plan, add a `## Comments` section that answers every comment, one "
        "bullet each, in this form:",
        "",
    ]
    lines += [f"- {c.anchor}: addressed — <what changed>" for c in comments[:1]]
    lines += ["- <anchor>: not addressed — <why not>"]
    return "\n".join(lines)


def read_marks(markdown: str, comments: Sequence[Comment]) -> list[CommentMark]:
    """The model's answer to each comment, in the comments' order; missing ones left out."""
    found: dict[str, tuple[bool, str]] = {}
    inside = False
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = bool(_SECTION.match(line))
            continue
        m = _MARK.match(line) if inside else None
        if m:
            verdict = m.group("verdict").lower() == "addressed"
            found.setdefault(_key(m.group("anchor")), (verdict, (m.group("note") or "").strip()))
    marks = []
    for c in comments:
        if (hit := found.get(_key(c.anchor))) is not None:
            marks.append(CommentMark(anchor=c.anchor, text=c.text, addressed=hit[0], note=hit[1]))
    return marks


def unanswered(markdown: str, comments: Sequence[Comment]) -> list[Comment]:
    marked = {_key(m.anchor) for m in read_marks(markdown, comments)}
    return [c for c in comments if _key(c.anchor) not in marked]


def missing_marks_message(missing: Sequence[Comment]) -> str:
    """What the model is told when its revision does not answer every comment."""
    names = ", ".join(c.anchor for c in missing)
    return (
        f"Your revision does not say whether these comments were addressed: {names}. Add a "
        "`## Comments` section to the plan with one bullet per comment "
        "(`- <anchor>: addressed — …` or `- <anchor>: not addressed — …`), then call "
        "`exit_plan_mode` again."
    )


def mark_revision(plan: Plan, pending: Sequence[Comment]) -> Plan:
    """The plan with its newest revision holding the model's answer to each comment."""
    if not pending or not plan.revisions:
        return plan
    last = plan.revisions[-1]
    marked = last.model_copy(update={"marks": read_marks(last.markdown, pending)})
    return plan.model_copy(update={"revisions": [*plan.revisions[:-1], marked]})


def _key(anchor: str) -> str:
    return re.sub(r"\s+", " ", anchor.strip().strip("`*").lower())


__all__ = ["comments_prompt", "mark_revision", "missing_marks_message", "read_marks", "unanswered"]
