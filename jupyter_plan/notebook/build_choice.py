"""Which plan a bare ``%build`` builds: this notebook's, never a colleague's.

In a shared project the plan store holds every person's plans; "the newest approved plan in
the store" built a colleague's plan into this notebook. A bare ``%build`` therefore takes,
in order: the plan this kernel session planned last (its ``%%plan`` cell), when it is ready;
else the one ready plan made for this notebook (``notebook_path``). Several of those, or none
while other notebooks' plans are ready, is a question for the person: a one-line
``UsageError`` listing the candidates. The choice is said in the cell.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from IPython.core.error import UsageError

from jupyter_plan.models import PlanStatus
from jupyter_plan.record.index import Outline, index_of
from jupyter_plan.record.store import PlanStore

READY = (PlanStatus.APPROVED.value, PlanStatus.BUILT.value)
_SHOWN = 5


def choose_bare_build(
    store: PlanStore,
    notebook: Path | None,
    project_root: Path,
    session_plans: list[str],
) -> str | None:
    """The id a bare ``%build`` builds, or None to keep the builder's own choice (no notebook
    known and nothing of this session: a terminal). ``session_plans``: ids planned in this
    kernel session, the last one last."""
    ready = [o for o in index_of(store.plan_dir).outlines() if o.status in READY]
    by_id = {o.id: o for o in ready}
    for plan_id in reversed(session_plans):
        if plan_id in by_id:
            return _said(by_id[plan_id], "planned in this session")
    if notebook is None:
        return None
    mine = [o for o in ready if _made_for(o, notebook, project_root)]
    if len(mine) == 1:
        return _said(mine[0], f"the approved plan of {notebook.name}")
    if len(mine) > 1:
        raise UsageError(
            f"%build: {len(mine)} approved plans of {notebook.name}; name one: {_listing(mine)}"
        )
    if ready:
        raise UsageError(
            f"%build: no approved plan of {notebook.name} (the others are other notebooks'); "
            f"name one to build it here: {_listing(ready)}"
        )
    return None  # the builder says there is nothing to build


def _made_for(outline: Outline, notebook: Path, project_root: Path) -> bool:
    """Whether the plan was made for ``notebook`` (a plan of no notebook: yes)."""
    recorded = outline.notebook_path
    if not recorded:
        return True
    try:
        mine = PurePosixPath(notebook.resolve().relative_to(project_root.resolve()).as_posix())
    except (OSError, ValueError):
        mine = PurePosixPath(notebook.as_posix())
    theirs = PurePosixPath(recorded.replace(os.sep, "/"))
    n = min(len(mine.parts), len(theirs.parts))
    return n > 0 and mine.parts[-n:] == theirs.parts[-n:]


def _listing(outlines: list[Outline]) -> str:
    names = ", ".join(f"%build {o.id}" for o in outlines[:_SHOWN])
    more = f" (and {len(outlines) - _SHOWN} more: %plan list)" if len(outlines) > _SHOWN else ""
    return names + more


def _said(outline: Outline, why: str) -> str:
    print(f"jupyter-plan: %build builds {outline.id} ({outline.title}): {why}")
    return outline.id
