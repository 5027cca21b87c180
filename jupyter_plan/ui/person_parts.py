"""What the person added to a plan, as the plan's JSON carries it: absent when nothing.

"edited by you" (the latest revision is the person's hand edit), the pages the plan
references, the comments left on the revision before and the model's answer to each. Keys
appear only when there is something to say, so plans without them render as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jupyter_plan.models import Comment, Plan


def person_parts(plan: Plan) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    if plan.revisions and plan.revisions[-1].author == "person":
        parts["edited_by"] = "person"
    if plan.pages:
        parts["pages"] = list(plan.pages)
    if len(plan.revisions) >= 2 and plan.revisions[-2].comments:
        marks = {m.anchor: m for m in plan.revisions[-1].marks}
        parts["comments"] = [
            {
                "anchor": c.anchor,
                "text": c.text,
                "addressed": marks[c.anchor].addressed if c.anchor in marks else None,
                "note": marks[c.anchor].note if c.anchor in marks else "",
            }
            for c in plan.revisions[-2].comments
        ]
    return parts


def comments_of(args: Mapping[str, Any]) -> list[Comment]:
    """The comments an Iterate action carries: ``[{anchor, text}]``; blank ones dropped."""
    raw = args.get("comments")
    if not isinstance(raw, list):
        return []
    found = []
    for item in raw:
        if isinstance(item, dict) and str(item.get("text") or "").strip():
            anchor = str(item.get("anchor") or "plan").strip()[:120] or "plan"
            found.append(Comment(anchor=anchor, text=str(item["text"]).strip()))
    return found


__all__ = ["comments_of", "person_parts"]
