"""The approved revision's fingerprint: a build refuses a plan whose approved text changed.

At approval, ``session.apply_review`` records the sha256 of the approved revision's Markdown
in the plan's front matter (``approved: {revision, sha256}``). Before a build reads the plan
(``%build``, ``jupyter-plan run``, the sidebar's Build: all end in ``agent/builder.py``),
:func:`check_approved` hashes that revision's file again. A person's edit after approval goes
through the hand-edit path and becomes a new revision to approve (its own fingerprint then);
anything else that rewrote ``<id>/r<N>.md`` (another run, a tool, a sync gone wrong) is
caught here, and the build is refused in one line naming the plan and the file.

Plans approved before fingerprints existed carry none and are built as before.
"""

from __future__ import annotations

from jupyter_plan.models import ApprovedRevision, Plan
from jupyter_plan.record.store import PlanStore, PlanStoreError


class ApprovedRevisionChanged(PlanStoreError):
    """The approved revision's file no longer holds the text that was approved."""


def check_approved(store: PlanStore, plan: Plan) -> None:
    """Refuse (``ApprovedRevisionChanged``) when the approved revision's file changed since
    approval; ``plan`` is as loaded from ``store`` (its revisions read from their files)."""
    approved = plan.approved
    if approved is None:
        return
    path = store.revision_path(plan.id, approved.revision)
    revision = next((r for r in plan.revisions if r.number == approved.revision), None)
    if revision is None or ApprovedRevision.fingerprint(revision.markdown) != approved.sha256:
        raise ApprovedRevisionChanged(
            f"plan {plan.id!r} was not built: its approved revision {approved.revision} "
            f"changed after approval ({path}); review it and approve it again"
        )
