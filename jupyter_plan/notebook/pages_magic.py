"""``%plan page list | show NAME | new NAME | from-plan ID``: pages from a cell.

Pages are the person's Markdown context (``record/pages.py``); a ``%%plan --page NAME``
cell gives one to the planner. ``from-plan`` is "Turn into a page": the plan's Markdown
becomes a page and the next cell starts a new plan that references it.
"""

from __future__ import annotations

import argparse

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import Markdown, display

from jupyter_plan.models import Plan
from jupyter_plan.record.pages import PageError, PageStore, next_plan_cell, page_from_plan
from jupyter_plan.redaction import scrub
from jupyter_plan.settings import ResolvedSettings

USAGE = "%plan page list | show NAME | new NAME | from-plan ID"


def page(shell: InteractiveShell, words: list[str], args: argparse.Namespace) -> None:
    """Dispatch ``%plan page …``; bad input is one line naming what and where."""
    from jupyter_plan.notebook import commands
    from jupyter_plan.notebook.kernel_session import KernelSession

    action, rest = (words[0], words[1:]) if words else ("list", [])
    wanted = {"list": 0, "show": 1, "new": 1, "from-plan": 1}
    if action not in wanted or len(rest) != wanted[action]:
        raise UsageError(f"%plan page: expected {USAGE}, got {' '.join(words)!r}")
    session = KernelSession.of(shell)
    try:
        resolved, _ = session.resolve(commands._flags(args))
    except commands._expected() as exc:
        raise UsageError(commands.explain(exc, "%plan page")) from None
    store = PageStore(resolved.pages_dir)
    try:
        if action == "list":
            return list_pages(store, resolved)
        if action == "show":
            display(Markdown(scrub(store.read(rest[0]).text)))
            return None
        if action == "new":
            made = store.new(rest[0])
            print(f"New page {made.name!r}: {made.path}. Use it with %%plan --page {made.name}")
            return None
        plan = session.store(resolved).load(rest[0])
    except (PageError, ValueError, LookupError) as exc:
        raise UsageError(f"%plan page {action}: {exc}") from None
    turn_into_page(shell, store, plan)
    return None


def list_pages(store: PageStore, resolved: ResolvedSettings) -> None:
    pages = store.list()
    if not pages:
        where = resolved.settings.pages.directory
        display(Markdown(f"No pages yet in `{where}`: `%plan page new NAME` makes one."))
        return
    rows = ["| page | title | characters |", "|---|---|---|"]
    rows += [f"| `{p.name}` | {p.title} | {len(p.text):,} |" for p in pages]
    display(Markdown(scrub("\n".join(rows))))


def turn_into_page(shell: InteractiveShell, store: PageStore, plan: Plan) -> str:
    """Make the page, and put the new ``%%plan --page`` cell below for the person to run."""
    made = page_from_plan(store, plan)
    cell = next_plan_cell(made, plan)
    shell.set_next_input(cell, replace=False)
    print(f"Plan {plan.id!r} is now page {made.name!r} ({made.path}); the cell below plans anew.")
    return cell
