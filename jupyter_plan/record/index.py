"""The plan index: what listing plans needs, kept by each plan file's stamp.

Listing 5,000 plans by loading each one (its YAML front matter, every revision's Markdown)
took 15 s, on the kernel's loop, for every sidebar push and every ``%plan list``. The index
keeps each plan's front matter, parsed and checked once, under the stamp of its file
(``mtime_ns``, size, inode; ``write_atomic`` gives every save a new inode). A listing stats
the files and parses only those whose stamp changed: saved by this kernel or another one,
edited or deleted by hand. Revision Markdown is not read to list plans.

It lives in memory (one per plan directory and process) and in ``<plan dir>/.index/plans.json``,
so a new kernel starts warm. That file is written atomically by whichever process listed:
at once when it was missing or unreadable, else once the changes it lacks reach 1/64 of the
plans (at least 16; rewriting 7 MB per save would cost more than the re-parses it saves). An
entry in it is used only while its file's stamp is the one recorded, so a stale or
concurrent writer's index is never wrong, at worst slower.
An unreadable index is rebuilt from the plan files, said in one warning line.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_plan.models import Plan
from jupyter_plan.record.atomic import Stamp, file_stamp, write_atomic
from jupyter_plan.record.store import _ID as ID  # check_id also scans for keys: 180 µs a file
from jupyter_plan.record.store import (
    META_FILE,
    InvalidPlanId,
    PlanEntry,
    PlanFileError,
    PlanNotFound,
    PlanStore,
    check_id,
)
from jupyter_plan.redaction import credential_values, scrub

INDEX_FILE = ".index/plans.json"  # the folder ignores itself in git, as .locks/ does
FORMAT = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outline:
    """One plan as listed: ``data`` is its JSON (``Plan.model_dump(mode="json")``) with each
    revision's ``markdown`` left out, or ``error`` says why the file is not a readable plan."""

    id: str
    stamp: Stamp
    meta_stamp: Stamp | None  # of <id>/plan.yaml, when the plan file has no front matter
    key: float  # newest first: ``created``, or the file's mtime for a broken plan
    data: dict[str, Any] | None = None
    error: str | None = None
    plan: bool = True  # False: a Markdown file that is not a plan (a README), not listed

    @property
    def status(self) -> str:
        return str((self.data or {}).get("status", ""))

    @property
    def title(self) -> str:
        return str((self.data or {}).get("title", ""))

    @property
    def revision(self) -> int:
        revisions = (self.data or {}).get("revisions") or []
        return int(revisions[-1]["number"]) if revisions else 0

    @property
    def notebook_path(self) -> str | None:
        return (self.data or {}).get("notebook_path")


class _Outlines(PlanStore):
    """The store's own parsing and checks, with each revision file only required to exist.
    Listing thousands of plans the first time (no index file yet: a fresh clone), each id is
    checked against the credentials found once per listing (finding them costs 0.2 ms), and
    a revision is only tested for existence, not confined: its text is not read here
    (:meth:`PlanIndex.entry` confines it when it reads it)."""

    credentials: list[str] | None = None

    def path_of(self, plan_id: str) -> Path:
        return self._inside(f"{check_id(plan_id, self.credentials)}.md")

    def _revision_of(self, plan_id: str, number: int) -> Path:
        return self.plan_dir / plan_id / f"r{int(number)}.md"

    def _revision_text(self, rpath: Path) -> str:
        if not rpath.is_file():
            raise FileNotFoundError(rpath)
        return ""


class PlanIndex:
    """The plans of one plan directory, kept up to date by :meth:`outlines` (thread-safe:
    the kernel lists from a worker thread)."""

    def __init__(self, plan_dir: Path) -> None:
        self.store = PlanStore(plan_dir)
        self.plan_dir = self.store.plan_dir
        self._dir = str(self.plan_dir)
        self._outlines = _Outlines(plan_dir)
        self._lock = threading.Lock()
        self._known: dict[str, Outline] | None = None
        self._unsaved = 0  # entries that differ from the index file
        self._stale = True  # the file is missing or unreadable: write it at once
        self._plans: dict[str, tuple[Outline, PlanEntry]] = {}
        self._hidden: set[str] = set()  # ids holding a credential, already warned of

    @property
    def file(self) -> Path:
        return self.plan_dir / INDEX_FILE

    def outlines(self) -> list[Outline]:
        """Every plan, loadable or not, newest first (as ``PlanStore.scan``)."""
        with self._lock:
            known = self._known if self._known is not None else self._read()
            fresh: dict[str, Outline] = {}
            unsaved = self._unsaved
            self._outlines.credentials = None  # found again if a plan is parsed: keys change
            for name, stat in _plan_files(self.plan_dir):
                plan_id = name[:-3]
                stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
                old = known.get(plan_id)
                if old is not None and self._current(plan_id, old, stamp):
                    fresh[plan_id] = old
                    continue
                unsaved += 1
                outline = self._outline(plan_id, stamp, stat.st_mtime)
                if outline is not None:
                    fresh[plan_id] = outline
            unsaved += len(known.keys() - fresh.keys())
            self._known, self._unsaved = fresh, unsaved
            if unsaved and (self._stale or unsaved >= max(16, len(fresh) // 64)):
                self._write(fresh)  # rewriting 7 MB per save would cost more than it saves
        found = [o for o in fresh.values() if o.plan]
        return sorted(found, key=lambda o: (o.key, o.id), reverse=True)

    def entries(self) -> list[PlanEntry]:
        """``PlanStore.scan()``'s answer from the index: whole plans (revision Markdown read
        for each one that changed since the last call, kept in memory)."""
        return [self.entry(o) for o in self.outlines()]

    def entry(self, outline: Outline) -> PlanEntry:
        held = self._plans.get(outline.id)
        if held is not None and held[0] is outline:
            return held[1]
        path = self.plan_dir / f"{outline.id}.md"
        if outline.data is None:
            return PlanEntry(outline.id, path, error=outline.error)
        revisions = []  # the front matter is the outline's (checked when parsed): no YAML
        folder = os.path.join(self._dir, outline.id)  # strings: Path objects cost 40% here
        linked = os.path.islink(folder)
        for revision in outline.data["revisions"]:
            rpath = f"{folder}/r{int(revision['number'])}.md"
            try:
                if linked or os.path.islink(rpath):  # confined as the store does
                    rpath = str(self.store.revision_path(outline.id, revision["number"]))
                with open(rpath, "rb") as file:  # as PlanStore._revision_text
                    markdown = file.read().decode("utf-8")
                revisions.append({**revision, "markdown": markdown})
            except (OSError, ValueError) as exc:
                return PlanEntry(outline.id, path, error=f"{path}: revision unreadable: {exc}")
        plan = Plan.model_validate({**outline.data, "revisions": revisions})
        entry = PlanEntry(outline.id, path, plan)
        self._plans[outline.id] = (outline, entry)
        return entry

    # -- one plan -----------------------------------------------------------------------

    def _current(self, plan_id: str, old: Outline, stamp: Stamp) -> bool:
        if old.stamp != stamp:
            return False
        return old.meta_stamp is None or old.meta_stamp == file_stamp(self._meta(plan_id))

    def _outline(self, plan_id: str, stamp: Stamp, mtime: float) -> Outline | None:
        """The plan's outline (None: deleted since it was listed)."""
        path = self.plan_dir / f"{plan_id}.md"
        meta_stamp = None if _has_front_matter(path) else file_stamp(self._meta(plan_id))
        if self._outlines.credentials is None:
            self._outlines.credentials = credential_values()
        try:
            plan = self._outlines.load(plan_id)
        except PlanNotFound:
            return None
        except InvalidPlanId:  # its name holds a key: not shown, said once, nothing deleted
            if plan_id not in self._hidden:
                self._hidden.add(plan_id)
                where = scrub(str(path))
                log.warning("jupyter-plan: %s is not listed: its name holds a credential", where)
            return None
        except PlanFileError as exc:
            is_plan = self.store._looks_like_plan(path)
            return Outline(plan_id, stamp, meta_stamp, mtime, error=str(exc), plan=is_plan)
        data = plan.model_dump(mode="json")
        for revision in data["revisions"]:
            revision.pop("markdown", None)
        return Outline(plan_id, stamp, meta_stamp, plan.created.timestamp(), data=data)

    def _meta(self, plan_id: str) -> Path:
        return self.plan_dir / plan_id / META_FILE

    # -- the index file -----------------------------------------------------------------

    def _read(self) -> dict[str, Outline]:
        try:
            raw = self.file.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("jupyter-plan: cannot read the plan index %s (%s)", self.file, exc)
            return {}
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, not {FORMAT}")
            known = {pid: _from_json(pid, item) for pid, item in data["plans"].items()}
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            log.warning(
                "jupyter-plan: the plan index %s was unreadable (%s); rebuilt from the plan "
                "files, nothing lost",
                self.file,
                str(exc).partition("\n")[0],
            )
            return {}
        self._stale = False
        return known

    def _write(self, known: dict[str, Outline]) -> None:
        plans = {pid: _to_json(o) for pid, o in known.items()}
        text = json.dumps({"format": FORMAT, "plans": plans}, separators=(",", ":"))
        if not self.plan_dir.is_dir():
            return
        try:
            if not self.file.parent.is_dir():
                self.file.parent.mkdir(exist_ok=True)
                write_atomic(
                    self.file.parent / ".gitignore", "# the plan index (record/index.py)\n*\n"
                )
            write_atomic(self.file, text)
            self._unsaved, self._stale = 0, False
        except OSError as exc:  # a read-only project still lists its plans
            log.warning("jupyter-plan: cannot write the plan index %s (%s)", self.file, exc)


def _plan_files(plan_dir: Path) -> list[tuple[str, os.stat_result]]:
    """``(name, stat)`` of each ``<id>.md`` in the plan directory (symlinks followed)."""
    found = []
    try:
        listing = list(os.scandir(plan_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for item in listing:
        name = item.name
        if not name.endswith(".md") or name.startswith("."):
            continue
        if not ID.fullmatch(name[:-3]) or ".." in name:
            continue  # not a plan id (PlanStore.scan skips it too)
        try:
            found.append((name, item.stat()))
        except OSError:  # deleted while we listed
            continue
    return found


def _has_front_matter(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.readline().rstrip(b"\r\n") == b"---"
    except OSError:
        return True


def _to_json(outline: Outline) -> dict[str, Any]:
    return {
        "stamp": list(outline.stamp),
        "meta_stamp": list(outline.meta_stamp) if outline.meta_stamp else None,
        "key": outline.key,
        "data": outline.data,
        "error": outline.error,
        "plan": outline.plan,
    }


def _from_json(plan_id: str, item: dict[str, Any]) -> Outline:
    if not ID.fullmatch(plan_id) or ".." in plan_id:
        raise ValueError(f"{plan_id!r} is not a plan id")
    meta = item.get("meta_stamp")
    data = item.get("data")
    if data is not None:  # what listing reads must be there (the plan file was checked)
        if data["id"] != plan_id or not isinstance(data["title"], str):
            raise ValueError(f"entry {plan_id!r} does not describe that plan")
        [int(r["number"]) for r in data["revisions"]]
    return Outline(
        plan_id,
        _three(item["stamp"]),
        _three(meta) if meta else None,
        float(item["key"]),
        data=data,
        error=item.get("error"),
        plan=bool(item.get("plan", True)),
    )


def _three(value: Any) -> Stamp:
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError(f"a stamp is not three numbers: {value!r}")
    return (int(value[0]), int(value[1]), int(value[2]))


_INDEXES: dict[Path, PlanIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_of(plan_dir: Path) -> PlanIndex:
    """This process's index of ``plan_dir`` (one per directory, shared by every caller)."""
    key = Path(plan_dir).absolute()
    with _INDEXES_LOCK:
        found = _INDEXES.get(key)
        if found is None:
            found = _INDEXES[key] = PlanIndex(key)
        return found


__all__ = ["INDEX_FILE", "Outline", "PlanIndex", "index_of"]
