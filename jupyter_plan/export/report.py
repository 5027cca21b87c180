"""``jupyter-plan export``: a notebook's plans as one Markdown (or HTML) report.

Plans are found in the notebook (saved ``%%plan`` outputs and built-cell metadata), then read
from the project's plan store and transcripts. A plan whose file is gone is still reported,
from the output the notebook saved. This module gathers; ``markdown.py`` writes the Markdown
(escaping all model-written text) and ``html.py`` turns it into a page.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from jupyter_plan.agent.view import notebook_label
from jupyter_plan.models import Comment, CommentMark, Plan, Usage
from jupyter_plan.outputs import multiline
from jupyter_plan.record.pages import PageError, PageStore
from jupyter_plan.record.store import PlanStore, PlanStoreError, check_id
from jupyter_plan.record.transcript import (
    ConfirmEvent,
    ModelTurn,
    ReviewEvent,
    Transcript,
    TranscriptKind,
    transcript_path,
)
from jupyter_plan.redaction import redact
from jupyter_plan.settings import ResolvedSettings, load_settings
from jupyter_plan.ui.render import PLAN_MIME

Format = Literal["md", "html"]
TAG = "jupyter_plan"  # built cells' metadata key (agent/builder.py)
_ARGS_CHARS = 300


class ExportError(ValueError):
    """The notebook cannot be exported; the message names the file."""


# -- what the notebook says -----------------------------------------------------------


@dataclass
class BuiltCell:
    index: int  # 1-based position in the notebook
    id: str | None
    cell_type: str
    source: str
    revision: Any
    step_id: str | None
    execution_count: Any
    outputs: list[dict[str, Any]]


@dataclass
class Found:
    """One plan id the notebook mentions: its newest saved output and the cells built from it."""

    saved: dict[str, Any] | None = None
    cells: list[BuiltCell] = field(default_factory=list)


def read_notebook(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ExportError(f"{path}: no such notebook") from None
    except OSError as exc:
        raise ExportError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a notebook (not JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ExportError(f"{path}: not a notebook (no list of cells)")
    return data


def find_plans(notebook: Mapping[str, Any]) -> dict[str, Found]:
    """Plan ids in notebook order, from saved plan outputs and built-cell metadata."""
    found: dict[str, Found] = {}
    for index, cell in enumerate(notebook.get("cells") or [], start=1):
        if not isinstance(cell, dict):
            continue
        for output in cell.get("outputs") or []:
            data = output.get("data") if isinstance(output, dict) else None
            saved = data.get(PLAN_MIME) if isinstance(data, dict) else None
            if isinstance(saved, dict) and _valid_id(saved.get("id")):
                entry = found.setdefault(saved["id"], Found())
                if entry.saved is None or _newer(saved, entry.saved):
                    entry.saved = saved
        meta = cell.get("metadata")
        tag = meta.get(TAG) if isinstance(meta, dict) else None
        if isinstance(tag, dict) and _valid_id(tag.get("plan_id")):
            step = tag.get("step_id")
            found.setdefault(tag["plan_id"], Found()).cells.append(
                BuiltCell(
                    index=index,
                    id=cell.get("id") if isinstance(cell.get("id"), str) else None,
                    cell_type=str(cell.get("cell_type", "code")),
                    source=multiline(cell.get("source")),
                    revision=tag.get("revision"),
                    step_id=step if isinstance(step, str) else None,
                    execution_count=cell.get("execution_count"),
                    outputs=[o for o in cell.get("outputs") or [] if isinstance(o, dict)],
                )
            )
    return found


def _valid_id(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(check_id(value))
    except ValueError:
        return False


def _newer(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    def key(d: Mapping[str, Any]) -> tuple[int, str]:
        rev = d.get("revision")
        return (rev if isinstance(rev, int) else 0, str(d.get("updated") or ""))

    return key(a) >= key(b)  # equal: the later output in the notebook wins


# -- what the project keeps -----------------------------------------------------------


@dataclass
class Run:
    """One transcript: ``label`` is e.g. ``plan r1`` or ``build r2``."""

    label: str
    path: Path
    transcript: Transcript
    finished: float  # the file's mtime: when the run was saved


@dataclass
class PageRef:
    """A page the plan references: its file, and its title (None: the page is gone)."""

    name: str
    path: Path
    title: str | None


@dataclass
class PlanReport:
    id: str
    found: Found
    plan: Plan | None
    file: Path
    problem: str | None  # why the plan file was not used
    runs: list[Run]
    broken: list[str]
    audit: list[dict[str, Any]]
    pages: list[PageRef] = field(default_factory=list)


def collect(notebook_path: Path, env: Mapping[str, str] = os.environ) -> list[PlanReport]:
    """Every plan the notebook mentions, with what the plan store and transcripts hold."""
    found = find_plans(read_notebook(notebook_path))
    resolved = load_settings(notebook_path.parent, env=env)
    store = PlanStore(resolved.plan_dir)
    # Plans made for this notebook but not (yet) in it: a notebook saved without outputs,
    # like the quickstart, still has its plans in the store.
    label = notebook_label(str(notebook_path.resolve()), resolved.project_root)
    for stored in store.scan():
        if stored.plan is not None and stored.plan.notebook_path == label:
            found.setdefault(stored.plan.id, Found())
    if not found:
        raise ExportError(
            f"{notebook_path}: no plans found (no saved %%plan output, no built cells and no "
            f"plan for this notebook in {resolved.plan_dir})"
        )
    audit = _audit_lines(resolved)
    reports = []
    for plan_id, entry in found.items():
        plan, problem = None, None
        try:
            plan = store.load(plan_id)
        except PlanStoreError as exc:  # not found, or a broken file: fall back to the notebook
            problem = "missing" if isinstance(exc, LookupError) else str(exc)
        runs, broken = _runs(resolved.plan_dir, plan_id)
        report = PlanReport(plan_id, entry, plan, store.path_of(plan_id), problem, runs, broken, [])
        report.audit = _audit_for(report, audit)
        report.pages = _pages(resolved.pages_dir, plan, entry)
        reports.append(report)
    return reports


def _pages(pages_dir: Path, plan: Plan | None, entry: Found) -> list[PageRef]:
    """The pages the plan references (from the plan file, else the saved output)."""
    saved = (entry.saved or {}).get("pages")
    names = plan.pages if plan is not None else saved if isinstance(saved, list) else []
    store = PageStore(pages_dir)
    refs = []
    for name in (n for n in names if isinstance(n, str)):
        try:
            page = store.read(name)
            refs.append(PageRef(page.name, page.path, page.title))
        except (PageError, OSError, UnicodeDecodeError):  # gone or unreadable: still named
            refs.append(PageRef(name, pages_dir / f"{name}.md", None))
    return refs


def comment_mark(plan: Plan | None, revision: int, comment: Comment) -> CommentMark | None:
    """The model's answer to ``comment`` (made on ``revision``): the first later revision
    that marks it addressed or not; None when none does (yet)."""
    for later in plan.revisions if plan is not None else []:
        if later.number <= revision:
            continue
        for mark in later.marks:
            if mark.anchor == comment.anchor and mark.text == comment.text:
                return mark
    return None


def _runs(plan_dir: Path, plan_id: str) -> tuple[list[Run], list[str]]:
    runs: list[Run] = []
    broken: list[str] = []
    folder = PlanStore(plan_dir).folder_of(plan_id)
    kinds: tuple[tuple[TranscriptKind, str], ...] = (("plan", "transcript"), ("build", "build"))
    for kind, stem in kinds:
        names = [p.name for p in folder.glob(f"{stem}.r*.json")] if folder.is_dir() else []
        numbers = sorted(int(m[1]) for n in names if (m := re.fullmatch(r".*\.r(\d+)\.json", n)))
        for number in numbers:
            path = transcript_path(plan_dir, plan_id, number, kind)
            try:
                transcript = Transcript.load(path)
                finished = path.stat().st_mtime
            except (OSError, ValueError) as exc:
                broken.append(str(exc))
                continue
            runs.append(Run(f"{kind} r{number}", path, transcript, finished))
    runs.sort(key=lambda r: r.transcript.created)
    return runs, broken


def _audit_lines(resolved: ResolvedSettings) -> list[dict[str, Any]]:
    if not resolved.settings.audit.enabled:
        return []
    try:
        text = resolved.settings.audit_file(resolved.project_root).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash must not hide the rest
        if isinstance(record, dict) and record.get("decision") in ("ask_user", "deny"):
            records.append(record)
    return records


def _audit_for(report: PlanReport, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The audit log names no plan: a record belongs here when it falls within this plan's runs.
    windows = [(r.transcript.created.timestamp(), r.finished) for r in report.runs]
    chosen = []
    for record in records:
        try:
            at = datetime.fromisoformat(str(record.get("time"))).timestamp()
        except ValueError:
            continue
        if any(start <= at <= end for start, end in windows):
            chosen.append(record)
    return chosen


# -- decisions from transcripts -------------------------------------------------------


@dataclass
class Asked:
    run: str
    tool: str
    args: Any
    outcome: str
    reason: str  # the policy's reason (or its denial message)


def decisions(runs: list[Run]) -> list[Asked]:
    """Tool calls the policy asked about (and the answer) or denied, in each run's order."""
    out: list[Asked] = []
    for run in runs:
        calls: dict[str, tuple[str, Any]] = {}
        seen: set[str] = set()
        for entry in run.transcript.entries:
            if isinstance(entry, ConfirmEvent):
                c = entry.confirmation
                answer = "denied" if not c.allow else "allowed once"
                if c.allow and c.scope == "build":
                    answer = "allowed for the rest of the build"
                outcome = f"asked → {answer}" + (f": {c.reason}" if c.reason else "")
                out.append(Asked(run.label, entry.tool, entry.args, outcome, entry.reason))
            elif isinstance(entry, ModelTurn):
                for message in entry.messages:
                    _collect_call(message, calls)
                    call_id = str(message.get("tool_call_id"))
                    content = message.get("content")
                    if message.get("role") != "tool" or call_id in seen:
                        continue
                    seen.add(call_id)  # a message re-sent in a later turn is the same call
                    if isinstance(content, str) and content.startswith("Denied by policy: "):
                        name, args = calls.get(call_id, (str(message.get("name", "?")), None))
                        reason = content.removeprefix("Denied by policy: ")
                        out.append(Asked(run.label, name, args, "denied by policy", reason))
                for call in entry.response.tool_calls:
                    calls[call.id] = (call.name, _json_or_text(call.arguments))
    return out


def _collect_call(message: Mapping[str, Any], calls: dict[str, tuple[str, Any]]) -> None:
    # The assistant messages as sent back to the model: the name and arguments of each call.
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and "id" in call:
            entry = (str(function.get("name", "?")), _json_or_text(function.get("arguments")))
            calls.setdefault(str(call["id"]), entry)


def reviews(runs: list[Run]) -> list[ReviewEvent]:
    return [e for run in runs for e in run.transcript.entries if isinstance(e, ReviewEvent)]


def _json_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def args_text(args: Any) -> str:
    if args is None:
        return "(arguments not recorded)"
    text = json.dumps(redact(args), ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _ARGS_CHARS else text[: _ARGS_CHARS - 1] + "…"


def run_usage(run: Run) -> Usage:
    total = Usage()
    for turn in run.transcript.model_turns:
        total = total + turn.response.usage
    return total


__all__ = ["ExportError", "PageRef", "PlanReport", "collect", "comment_mark", "decisions"]
