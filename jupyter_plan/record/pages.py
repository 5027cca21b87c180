"""Pages: the person's Markdown documents of context (background, guidelines, data notes).

Bezi's split: pages store context, a plan defines one execution goal. A page is
``<pages dir>/<NAME>.md`` (``pages.directory``, ``.jupyter_plan/pages`` by default). The
person writes pages (the sidebar, ``%plan page new NAME``, any editor); the agent only reads
them: no tool writes here unless a policy rule allows it (``policy/pages_guard.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jupyter_plan.models import Plan
from jupyter_plan.policy.paths import confine
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.record.store import slugify
from jupyter_plan.redaction import scrub

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class PageError(ValueError):
    """A page that cannot be named, found or created; the message says which and why."""


class PageNotFound(PageError, LookupError):
    pass


@dataclass(frozen=True)
class Page:
    """One page: its name (the file's stem), where it is, and its text."""

    name: str
    path: Path
    text: str

    @property
    def title(self) -> str:
        """The first ``# heading``, else the name: what a listing shows."""
        for line in self.text.splitlines():
            if line.startswith("# "):
                return line[2:].strip() or self.name
        return self.name


def check_name(name: str) -> str:
    """Refuse names that could not be a file inside the pages folder (``../x``, ``a b``)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise PageError(
            f"invalid page name {name!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (at most 100)"
        )
    if scrub(name) != name:
        raise PageError("invalid page name: it holds a credential (an API key); choose another")
    return name[:-3] if name.endswith(".md") else name


def template(name: str) -> str:
    """What ``new`` writes: a heading and a hint, for the person to replace."""
    title = name.replace("-", " ").replace("_", " ").strip().capitalize() or name
    return (
        f"# {title}\n\nBackground, guidelines and facts a plan should know. Reference this "
        f"page with `%%plan --page {name}`.\n"
    )


class PageStore:
    """The pages of one project. Every path built from a name is confined to the folder."""

    def __init__(self, pages_dir: Path) -> None:
        self.pages_dir = Path(pages_dir).absolute()

    def path_of(self, name: str) -> Path:
        return confine(f"{check_name(name)}.md", self.pages_dir)

    def names(self) -> list[str]:
        """Every page name, sorted: the list the planner is shown."""
        if not self.pages_dir.is_dir():
            return []
        return sorted(
            p.stem
            for p in self.pages_dir.glob("*.md")
            if p.is_file() and _NAME.fullmatch(p.stem) and ".." not in p.stem
        )

    def list(self) -> list[Page]:
        return [self.read(name) for name in self.names()]

    def read(self, name: str) -> Page:
        path = self.path_of(name)
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            known = ", ".join(self.names()) or "none yet"
            raise PageNotFound(f"no page {name!r} in {self.pages_dir} (pages: {known})") from None
        except UnicodeDecodeError as exc:
            raise PageError(f"{path}: not UTF-8 text ({exc})") from None
        return Page(check_name(name), path, text)

    def new(self, name: str, text: str | None = None) -> Page:
        """Create a page; an existing one is never overwritten (that is an error)."""
        path = self.path_of(name)
        if path.exists():
            raise PageError(f"page {name!r} exists already: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        body = template(check_name(name)) if text is None else text
        write_atomic(path, body)
        return Page(check_name(name), path, body)

    def unique_name(self, stem: str) -> str:
        """``stem``, or ``stem-2``, ``stem-3`` …: the first name no page has."""
        base = check_name(stem[:90] or "page")
        taken = set(self.names())
        if base not in taken:
            return base
        return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def page_from_plan(pages: PageStore, plan: Plan) -> Page:
    """Turn into a page (Bezi's flow): the plan's current Markdown becomes a new page, named
    from its title, for a new plan to reference. The plan itself is left as it is."""
    name = pages.unique_name(slugify(plan.title))
    note = f"\n\n<!-- from plan {plan.id}, revision {plan.revision} -->\n"
    return pages.new(name, plan.markdown.rstrip("\n") + note)


def next_plan_cell(page: Page, plan: Plan) -> str:
    """The ``%%plan`` cell that starts the new plan referencing the page."""
    return f"%%plan --page {page.name}\n{plan.goal.strip()}\n"


def suggest_page(plan: Plan, limit: int) -> str | None:
    """Past ``pages.suggest_after_chars`` (``limit``): say that this plan could be a page."""
    if len(plan.markdown) <= limit:
        return None
    return (
        f"This plan is {len(plan.markdown):,} characters (over pages.suggest_after_chars = "
        f"{limit:,}): keep it as context with `%plan page from-plan {plan.id}` (Turn into a "
        "page), and plan the next goal against it."
    )


__all__ = [
    "Page",
    "PageError",
    "PageNotFound",
    "PageStore",
    "check_name",
    "next_plan_cell",
    "page_from_plan",
    "suggest_page",
    "template",
]
