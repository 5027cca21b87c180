"""The pages a planner or builder is given: the page list, and the referenced pages' text.

Referenced pages (``%%plan --page NAME``, or the plan's front matter) are sent whole while
they fit their share of the context budget. When they do not, the largest are trimmed first
(every page is cut to one common length, the longest length that fits) and the request says
which, how much, and that ``read_file`` reads the rest. Counted as chars/4 like the outline,
so the text, and so the transcript key, is the same on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_plan.agent.runs import RunSetupError
from jupyter_plan.models import Plan
from jupyter_plan.record.pages import Page, PageError, PageStore
from jupyter_plan.settings import ResolvedSettings

PAGES_SHARE = 2  # referenced pages take at most 1/PAGES_SHARE of the context budget
_SECTION = re.compile(r"^##\s+pages\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[-*]\s+`?([A-Za-z0-9][A-Za-z0-9._-]*)`?")


@dataclass(frozen=True)
class PagesContext:
    """What the request carries about pages; ``text`` is empty when there are none."""

    text: str = ""
    tokens: int = 0
    trimmed: list[str] = field(default_factory=list)  # "NAME: N of M characters"


def gather(store: PageStore, names: Iterable[str]) -> list[Page]:
    """The referenced pages, in the order given, each once; an unknown one is an error."""
    pages: list[Page] = []
    for name in dict.fromkeys(names):
        if name not in store.names():
            store.read(name)  # raises PageNotFound naming the pages there are
        pages.append(store.read(name))
    return pages


def fit(lengths: Sequence[int], budget_chars: int) -> int | None:
    """The common cut that trims the largest first: None when everything fits whole."""
    if sum(lengths) <= budget_chars:
        return None
    low, high = 0, max(lengths)
    while low < high:  # the largest cut c with sum(min(n, c)) <= budget
        mid = (low + high + 1) // 2
        if sum(min(n, mid) for n in lengths) <= budget_chars:
            low = mid
        else:
            high = mid - 1
    return low


def pages_context(
    store: PageStore,
    referenced: Sequence[str],
    *,
    budget_tokens: int,
    root: Path,
    show_list: bool,
) -> PagesContext:
    """The pages section of a request: the list (planner), then each referenced page."""
    pages = gather(store, referenced)
    parts: list[str] = []
    if show_list and store.names():
        parts.append(page_list(store, root))
    trimmed: list[str] = []
    if pages:
        cut = fit([len(p.text) for p in pages], max(0, 4 * budget_tokens // PAGES_SHARE))
        for page in pages:
            text = page.text
            where = _relative(page.path, root)
            if cut is not None and len(text) > cut:
                trimmed.append(f"{page.name}: {cut} of {len(text)} characters")
                text = text[:cut].rstrip() + (
                    f"\n\n[… trimmed to fit the context budget: {cut} of {len(text)} characters "
                    f"shown; read the rest with read_file {where!r}]"
                )
            parts.append(f"### Page: {page.name} ({where})\n\n{text.rstrip()}\n")
        if trimmed:
            parts.append(
                "(Pages were trimmed, largest first, to fit the context budget: "
                + "; ".join(trimmed)
                + ".)"
            )
    text = "\n".join(parts)
    return PagesContext(text, (len(text) + 3) // 4, trimmed)


def page_list(store: PageStore, root: Path) -> str:
    """The planner's list of the project's pages: names it may reference in the plan."""
    lines = [
        "The project's pages (the person's context documents; read one with read_file, and "
        "list the ones this plan relies on under a `## Pages` section of the plan):"
    ]
    for page in store.list():
        lines.append(f"- `{page.name}` — {page.title} ({_relative(page.path, root)})")
    return "\n".join(lines) + "\n"


def chosen_pages(markdown: str, known: Iterable[str] | None) -> list[str]:
    """The pages the planner listed under ``## Pages`` (none known: none)."""
    return pages_named_in(markdown, known) if known else []


def pages_named_in(markdown: str, known: Iterable[str]) -> list[str]:
    """Page names listed under the plan's ``## Pages`` section that exist."""
    names: list[str] = []
    inside = False
    pages = set(known)
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = bool(_SECTION.match(line))
            continue
        m = _BULLET.match(line) if inside else None
        if m and m.group(1) in pages and m.group(1) not in names:
            names.append(m.group(1))
    return names


def pages_for_run(
    pages_dir: Path, root: Path, names: Sequence[str], budget_tokens: int, *, planner: bool
) -> PagesContext:
    """For a planner (the list too) or a builder; an unknown page raises :class:`PageError`."""
    store = PageStore(pages_dir)
    return pages_context(store, names, budget_tokens=budget_tokens, root=root, show_list=planner)


def build_pages(resolved: ResolvedSettings, plan: Plan) -> PagesContext:
    """The builder's pages: those the plan references; a page deleted since is refused."""
    if not plan.pages:
        return PagesContext()
    try:
        return pages_for_run(
            resolved.pages_dir,
            resolved.project_root,
            plan.pages,
            resolved.settings.context_budget_tokens,
            planner=False,
        )
    except PageError as exc:
        raise BuildPagesMissing(f"cannot build {plan.id!r}: {exc}") from None


class BuildPagesMissing(RunSetupError):
    """A page the plan references is gone: the build would miss its context."""


def with_pages(context: str, pages: PagesContext) -> str:
    """The request's context with the pages section after the outline (none: unchanged)."""
    return f"{context}\n\n## Pages\n\n{pages.text}" if pages.text else context


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.as_posix()


__all__ = [
    "PagesContext",
    "chosen_pages",
    "fit",
    "gather",
    "page_list",
    "pages_context",
    "pages_for_run",
    "with_pages",
]
