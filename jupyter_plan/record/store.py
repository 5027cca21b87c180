"""Plan files on disk: one Markdown file per plan, its revisions beside it, written atomically.

Layout inside the plan directory (``plan.directory``)::

    <id>.md           YAML front matter (the plan's metadata) + the current Markdown body
    <id>/r<N>.md      every revision's Markdown, never deleted
    <id>/plan.yaml    a copy of the front matter, read when the model's draft replaced the file
    <id>/transcript.r<N>.json, <id>/build.r<N>.json   (see record/transcript.py)

The ``<id>/`` folder doubles as the id's reservation: ``mkdir`` is atomic across processes,
so two kernels planning at once never get the same id.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from jupyter_plan.models import Plan, PlanStatus
from jupyter_plan.policy.paths import confine
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.record.lock import PlanClaimed, claim
from jupyter_plan.redaction import scrub

FORMAT = 1
META_FILE = "plan.yaml"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_SLUG_MAX = 48
_ATTEMPTS = 32


class PlanStoreError(Exception):
    """Base class of the errors raised here."""


class PlanNotFound(PlanStoreError, LookupError):
    pass


class InvalidPlanId(PlanStoreError, ValueError):
    """An id that cannot name a file inside the plan directory (``../x``, ``a b/c`` …)."""


class PlanConflict(PlanStoreError):
    """Another run (another kernel, or this one) is planning or building the same plan."""


class PlanFileError(PlanStoreError, ValueError):
    """A plan file that cannot be read; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


@dataclass(frozen=True)
class PlanEntry:
    """One plan in a listing: ``plan`` when it loads, else ``error`` says why not."""

    id: str
    path: Path
    plan: Plan | None = None
    error: str | None = None


# -- front matter -------------------------------------------------------------------


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster, same result


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text (goals, descriptions) as literal blocks reads well on GitHub; PyYAML
    # falls back to a quoted style by itself when a block cannot hold the string exactly.
    # NEL and the Unicode line separators are folded by its other styles: escape them.
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def split_front_matter(text: str) -> tuple[str | None, str]:
    """``(yaml_text, body)``; ``yaml_text`` is None when the text has no front matter. The
    body loses exactly the blank line :meth:`PlanStore.save` puts after it (byte for byte)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        return None, text
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip("\r\n") in ("---", "..."):
            body = "".join(lines[i + 1 :])
            for blank in ("\r\n", "\n"):
                if body.startswith(blank):
                    body = body[len(blank) :]
                    break
            return "".join(lines[1:i]), body
    return None, text


def _front_matter(plan: Plan) -> str:
    data = plan.model_dump(mode="json")
    # Revision Markdown lives in <id>/r<N>.md; the front matter keeps the rest of each one.
    data["revisions"] = [{k: v for k, v in r.items() if k != "markdown"} for r in data["revisions"]]
    ordered: dict[str, Any] = {}
    for key, value in data.items():
        ordered[key] = value
        if key == "status":
            ordered["revision"] = plan.revision  # for readers; checked when loaded
    ordered["format"] = FORMAT
    return yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


# -- ids ----------------------------------------------------------------------------


def slugify(title: str) -> str:
    """``"Clean sales data!"`` -> ``"clean-sales-data"``: ASCII, lower case, at most 48 chars."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > _SLUG_MAX:
        cut = slug[:_SLUG_MAX]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "plan"


def _random_hex(nbytes: int) -> str:
    return secrets.token_hex(nbytes)


def check_id(plan_id: str, credentials: list[str] | None = None) -> str:
    """Refuse ids that could not be file names inside the plan directory, or hold a key
    (``credentials``: the values to look for, when a caller checks many ids at once)."""
    if isinstance(plan_id, str) and scrub(plan_id, credentials) != plan_id:
        raise InvalidPlanId("invalid plan id: it holds a credential (an API key); choose another")
    if not isinstance(plan_id, str) or not _ID.fullmatch(plan_id) or ".." in plan_id:
        raise InvalidPlanId(
            f"invalid plan id {plan_id!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    return plan_id


# -- the store ----------------------------------------------------------------------


class PlanStore:
    """Plans in one plan directory. Every path built from an id is confined to it."""

    def __init__(self, plan_dir: Path) -> None:
        self.plan_dir = Path(plan_dir).absolute()

    # paths

    def _inside(self, relative: str) -> Path:
        return confine(relative, self.plan_dir)

    def path_of(self, plan_id: str) -> Path:
        """The plan file ``<plan_dir>/<id>.md`` (symlinks resolved)."""
        return self._inside(f"{check_id(plan_id)}.md")

    def folder_of(self, plan_id: str) -> Path:
        """``<plan_dir>/<id>/``: revisions, the metadata copy and transcripts."""
        return self._inside(check_id(plan_id))

    def revision_path(self, plan_id: str, number: int) -> Path:
        return self._inside(f"{check_id(plan_id)}/r{int(number)}.md")

    # ids

    def new_id(self, title: str, *, today: date | None = None) -> str:
        """A fresh id like ``2026-11-23-clean-sales-data-3f9a``, reserved on disk.

        The reservation is ``mkdir <id>/``, atomic even between processes; a collision
        retries with a new suffix (a longer one after a few tries).
        """
        self.plan_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{(today or date.today()).isoformat()}-{slugify(scrub(title))}"
        for attempt in range(_ATTEMPTS):
            plan_id = f"{stem}-{_random_hex(2 if attempt < 8 else 4)}"
            folder = self.folder_of(plan_id)
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            if self.path_of(plan_id).exists():  # a plan whose folder was deleted by hand
                folder.rmdir()
                continue
            return plan_id
        raise PlanStoreError(f"could not reserve a new plan id in {self.plan_dir}")

    def claim(self, plan_id: str, what: str = "a run") -> contextlib.AbstractContextManager[None]:
        """Hold ``plan_id`` while a run plans or builds it (see ``record/lock.py``); another
        claim of it, from any kernel, raises :class:`PlanConflict` until this one ends."""
        check_id(plan_id)
        self.plan_dir.mkdir(parents=True, exist_ok=True)
        return _claimed(self.plan_dir, plan_id, what)

    def next_revision(self, plan_id: str | None) -> int:
        """The revision a new run of ``plan_id`` starts (1 for a new or unreadable plan)."""
        try:
            return self.load(plan_id).revision + 1 if plan_id else 1
        except PlanStoreError:
            return 1

    # write

    def save(self, plan: Plan) -> Path:
        """Write the plan: revision files first, the plan file last (the commit point).

        The body of ``<id>.md`` is the current revision's Markdown, except while the plan is
        drafting: then the draft the model is writing in the file is kept.
        """
        numbers = [r.number for r in plan.revisions]
        if numbers != sorted(set(numbers)):
            raise ValueError(f"plan {plan.id!r}: revision numbers must increase: {numbers}")
        path = self.path_of(plan.id)
        folder = self.folder_of(plan.id)
        folder.mkdir(parents=True, exist_ok=True)
        for revision in plan.revisions:
            rpath = self.revision_path(plan.id, revision.number)
            raw = revision.markdown.encode("utf-8")
            if not rpath.exists() or rpath.read_bytes() != raw:
                write_atomic(rpath, raw)
        meta = _front_matter(plan)
        write_atomic(self._inside(f"{plan.id}/{META_FILE}"), meta)
        body = plan.markdown
        if plan.status is PlanStatus.DRAFTING and path.exists():
            body = self.read_body(plan.id)
        write_atomic(path, f"---\n{meta}---\n\n{body}")
        return path

    # read

    def read_body(self, plan_id: str) -> str:
        """The plan file's Markdown without front matter, whether or not it has any."""
        path = self.path_of(plan_id)
        text = self._read(plan_id, path)
        meta, body = split_front_matter(text)
        if meta is not None and not isinstance(_safe_load(meta), dict):
            return text  # a leading '---' that is not our front matter: all of it is body
        return body

    def load(self, plan_id: str) -> Plan:
        path = self.path_of(plan_id)
        text = self._read(plan_id, path)
        meta_text, _ = split_front_matter(text)
        source = path
        if meta_text is None:  # the model's draft replaced the file: use the saved copy
            source = self._inside(f"{plan_id}/{META_FILE}")
            if not source.exists():
                raise PlanFileError(path, "no front matter and no saved metadata; not a plan")
            meta_text = source.read_text(encoding="utf-8")
        return self._parse(plan_id, source, meta_text)

    def _read(self, plan_id: str, path: Path) -> str:
        try:
            return path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise PlanNotFound(f"no plan {plan_id!r} in {self.plan_dir}") from None
        except UnicodeDecodeError as exc:
            raise PlanFileError(path, f"not UTF-8 text ({exc})") from None

    def _parse(self, plan_id: str, source: Path, meta_text: str) -> Plan:
        try:
            data = yaml.load(meta_text, Loader=_LOADER)
        except yaml.YAMLError as exc:
            raise PlanFileError(source, f"invalid YAML front matter: {exc}") from None
        if not isinstance(data, dict):
            raise PlanFileError(source, "the front matter is not a mapping of fields")
        if data.pop("format", FORMAT) != FORMAT:
            raise PlanFileError(source, f"unknown format; this jupyter-plan reads format {FORMAT}")
        stated = data.pop("revision", None)
        revisions = data.get("revisions") or []
        if not isinstance(revisions, list) or not all(isinstance(r, dict) for r in revisions):
            raise PlanFileError(source, "`revisions` must be a list of mappings")
        for entry in revisions:
            number = entry.get("number")
            rpath = self._revision_of(plan_id, number) if isinstance(number, int) else None
            if rpath is None:
                raise PlanFileError(source, f"revision without a number: {entry}")
            try:
                entry["markdown"] = self._revision_text(rpath)
            except FileNotFoundError:
                raise PlanFileError(source, f"revision {number} is missing: {rpath}") from None
        try:
            plan = Plan.model_validate(data)
        except ValidationError as exc:
            raise PlanFileError(source, _explain(exc)) from None
        if plan.id != plan_id:
            raise PlanFileError(source, f"the front matter says id {plan.id!r}, not {plan_id!r}")
        if stated is not None and stated != plan.revision:
            raise PlanFileError(
                source,
                f"`revision: {stated}` but the revisions listed end at {plan.revision}",
            )
        return plan

    def _revision_of(self, plan_id: str, number: int) -> Path:  # plan_id: checked by load
        return self._inside(f"{plan_id}/r{int(number)}.md")

    def _revision_text(self, rpath: Path) -> str:  # record/index.py lists without reading it
        return rpath.read_bytes().decode("utf-8")

    def scan(self) -> list[PlanEntry]:
        """Every plan, loadable or not (newest first): for listings that show broken files.

        A plan is ``<id>.md`` with front matter or an ``<id>/`` folder; other Markdown files
        (a README) are not plans and are not listed.
        """
        if not self.plan_dir.is_dir():
            return []
        entries: list[tuple[float, str, PlanEntry]] = []
        for path in self.plan_dir.glob("*.md"):
            plan_id = path.stem
            if path.name.startswith(".") or not _ID.fullmatch(plan_id) or ".." in plan_id:
                continue
            try:
                plan = self.load(plan_id)
            except (PlanNotFound, InvalidPlanId):
                continue  # deleted while we listed, or a name holding a key: never shown
            except PlanFileError as exc:
                if not self._looks_like_plan(path):
                    continue
                entry = PlanEntry(plan_id, path, error=str(exc))
                entries.append((path.stat().st_mtime, plan_id, entry))
                continue
            entries.append((plan.created.timestamp(), plan_id, PlanEntry(plan_id, path, plan)))
        entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
        return [entry for *_, entry in entries]

    def list(self) -> list[Plan]:
        """Every plan, newest (by ``created``) first; a broken plan file is an error naming it."""
        entries = self.scan()
        broken = [e.error for e in entries if e.error]
        if broken:
            raise PlanStoreError("cannot list plans:\n" + "\n".join(f"  {b}" for b in broken))
        return [e.plan for e in entries if e.plan is not None]

    def _looks_like_plan(self, path: Path) -> bool:
        if (self.plan_dir / path.stem).is_dir():
            return True
        try:
            return split_front_matter(path.read_bytes().decode("utf-8"))[0] is not None
        except (OSError, UnicodeDecodeError):
            return True


@contextlib.contextmanager
def _claimed(plan_dir: Path, plan_id: str, what: str) -> Iterator[None]:
    try:
        with claim(plan_dir, plan_id, what=what):
            yield
    except PlanClaimed as exc:
        raise PlanConflict(str(exc)) from None


def _safe_load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None


def _explain(exc: ValidationError) -> str:
    problems = [
        f"`{'.'.join(str(p) for p in err['loc']) or '(top)'}`: {err['msg']}"
        for err in exc.errors()[:5]
    ]
    more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "invalid front matter: " + "; ".join(problems) + more


__all__ = [
    "InvalidPlanId",
    "PlanConflict",
    "PlanEntry",
    "PlanFileError",
    "PlanNotFound",
    "PlanStore",
    "PlanStoreError",
    "check_id",
    "slugify",
    "split_front_matter",
    "write_atomic",
]
