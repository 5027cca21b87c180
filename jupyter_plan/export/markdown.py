"""The export report as Markdown (``export.py`` gathers what it shows).

Model-written text is untrusted: one-line fields go through :func:`lit` (markup escaped, so a
title like ``<script>`` is text in every renderer, GitHub's, JupyterLab's and ours), and
multi-line text (plan revisions, cell sources) sits in fences its own backticks cannot close.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jupyter_plan._version import __version__
from jupyter_plan.export.report import (
    BuiltCell,
    PlanReport,
    args_text,
    comment_mark,
    decisions,
    reviews,
    run_usage,
)
from jupyter_plan.models import Revision, Step, Usage, now
from jupyter_plan.outputs import output_summary
from jupyter_plan.ui.render import BUILD_MODES, STEP_ICONS, usage_line

# Markdown punctuation that could start markup mid-line (emphasis, links, HTML, entities,
# tables, JupyterLab's $math$, a heading's closing #): escaped so model text shows as typed.
_MARKUP = re.compile(r"([\\`*_\[\]<>|&~$#!])")


def lit(text: object) -> str:
    """Model text as one literal Markdown line: whitespace collapsed, markup escaped."""
    return _MARKUP.sub(r"\\\1", " ".join(str(text).split()))


def code_span(text: str) -> str:
    """``text`` on one line as an inline code span that its own backticks cannot close."""
    text = " ".join(text.split()) or " "
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fenced(text: str, info: str = "") -> list[str]:
    """``text`` as a fenced code block that no backtick run inside it can close."""
    longest = max((len(r) for r in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{info}", text.rstrip("\n"), fence, ""]


def when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def mode_label(mode: str | None) -> str:
    return f"{BUILD_MODES[mode]} ({code_span(mode)})" if mode in BUILD_MODES else "not chosen"


def plan_view(report: PlanReport) -> PlanView:
    """The fields the report shows, from the plan file or else the notebook's saved output."""
    if report.plan is not None:
        p = report.plan
        return PlanView(
            p.title, p.goal, p.status.value, p.revision, p.build_mode, p.model, p.usage,
            p.steps, p.revisions,
            [(q.question.header, q.question.question, q.answer.summary()) for q in p.questions],
        )  # fmt: skip
    saved = report.found.saved or {}
    usage = saved.get("usage") if isinstance(saved.get("usage"), dict) else {}
    stated = saved.get("revision")
    revision = stated if isinstance(stated, int) else 0
    markdown = saved.get("markdown")
    return PlanView(
        str(saved.get("title") or report.id),
        str(saved.get("goal") or ""),
        str(saved.get("status") or "unknown"),
        revision,
        saved.get("build_mode") if saved.get("build_mode") in BUILD_MODES else None,
        saved.get("model") if isinstance(saved.get("model"), str) else None,
        _parse(Usage, {k: v for k, v in (usage or {}).items() if k != "total_tokens"}) or Usage(),
        [s for s in (_parse(Step, d) for d in _list(saved.get("steps"))) if s is not None],
        [Revision(number=revision, markdown=markdown, created=_time(saved.get("updated")))]
        if isinstance(markdown, str) and revision >= 1
        else [],
        [
            (str(q.get("header", "")), str(q.get("question", "")), str(q.get("answer", "")))
            for q in _list(saved.get("questions"))
            if isinstance(q, dict)
        ],
    )


@dataclass
class PlanView:
    title: str
    goal: str
    status: str
    revision: int
    build_mode: str | None
    model: str | None
    usage: Usage
    steps: list[Step]
    revisions: list[Revision]
    questions: list[tuple[str, str, str]]  # header, question, answer


def _time(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return now()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _parse(model: Any, data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def report_markdown(notebook: Path, reports: list[PlanReport]) -> str:
    count = f"{len(reports)} plan{'s' if len(reports) != 1 else ''}"
    lines = [
        f"# Plans in {code_span(notebook.name)}",
        "",
        f"Exported by jupyter-plan {__version__} on {when(datetime.now(UTC))}: {count}.",
        "",
    ]
    for number, report in enumerate(reports, start=1):
        lines += _plan(number, report, notebook.parent)
    return "\n".join(lines).rstrip("\n") + "\n"


def _plan(number: int, report: PlanReport, base: Path) -> list[str]:
    view = plan_view(report)
    meta = [f"**Status:** {lit(view.status.replace('_', ' '))}", f"**Revision:** {view.revision}"]
    meta.append(f"**Build mode:** {mode_label(view.build_mode)}")
    lines = [
        f"## Plan {number}: {lit(view.title)}",
        "",
        f"- **Id:** {code_span(report.id)}",
        "- " + " · ".join(meta),
    ]
    if view.goal.strip():
        lines.append(f"- **Goal:** {lit(view.goal)}")
    lines += [f"- **Plan file:** {code_span(_rel(report.file, base))}", ""]
    if report.problem is not None:
        source = "the plan output saved in the notebook (current revision only)"
        if report.found.saved is None:
            source = "the built cells' metadata only (the notebook saved no plan output)"
        problem = (
            "is missing" if report.problem == "missing" else f"cannot be read: {report.problem}"
        )
        lines += [
            f"> **Note:** the plan file {lit(problem)}. This section comes from {source}.",
            "",
        ]
    lines += _pages(report, base)
    lines += _revisions(view)
    lines += _questions(view)
    lines += _reviews(report, view)
    lines += _decisions(report)
    lines += _cells(report, view)
    lines += _usage(report, view, base)
    return lines


def _revisions(view: PlanView) -> list[str]:
    lines = ["### Revisions", ""]
    if not view.revisions:
        return [*lines, "No revision was recorded.", ""]
    for revision in view.revisions:
        mine = " · edited by you" if revision.author == "person" else ""
        lines += [f"#### Revision {revision.number} · {when(revision.created)}{mine}", ""]
        if revision.feedback:
            lines += [f"Asked for by the feedback: {lit(revision.feedback)}", ""]
        lines += fenced(revision.markdown, "markdown")
    return lines


def _pages(report: PlanReport, base: Path) -> list[str]:
    """The pages the plan references (none: no section, as before pages existed)."""
    if not report.pages:
        return []
    lines = ["### Pages", ""]
    for page in report.pages:
        title = lit(page.title) if page.title is not None else "the page is gone"
        lines.append(f"- {code_span(page.name)}: {title} ({code_span(_rel(page.path, base))})")
    return [*lines, ""]


def _questions(view: PlanView) -> list[str]:
    lines = ["### Questions and answers", ""]
    if not view.questions:
        return [*lines, "No questions were asked.", ""]
    for header, question, answer in view.questions:
        lines.append(f"- **{lit(header)}:** {lit(question)}  \n  **Answer:** {lit(answer)}")
    return [*lines, ""]


def _reviews(report: PlanReport, view: PlanView) -> list[str]:
    lines = ["### Reviews and approval", ""]
    events = reviews(report.runs)
    for event in events:
        d = event.decision
        text = f"- Revision {event.revision}: "
        if d.action == "approve":
            text += f"**approved**, build mode: {mode_label(d.build_mode)}"
        else:
            text += "**iterate**" if d.action == "iterate" else "**rejected**"
            text += f", feedback: {lit(d.feedback)}" if d.feedback else ""
        lines.append(text)
        if d.edited is not None:  # the edit became the next revision, the person's
            lines.append(f"  - edited by you: your hand edit is revision {event.revision + 1}")
        for comment in d.comments:
            mark = comment_mark(report.plan, event.revision, comment)
            answer = "no answer recorded"
            if mark is not None:
                answer = "**addressed**" if mark.addressed else "**not addressed**"
                answer += f": {lit(mark.note)}" if mark.note else ""
            lines.append(f"  - comment on {lit(comment.anchor)}: {lit(comment.text)} → {answer}")
    if not events:
        if view.build_mode:
            lines.append(
                f"- Approved with build mode {mode_label(view.build_mode)} (from the plan; "
                "no review was found in the transcripts)"
            )
        else:
            lines.append("No review was recorded.")
    return [*lines, ""]


def _decisions(report: PlanReport) -> list[str]:
    lines = ["### Policy decisions that asked or denied", ""]
    found = decisions(report.runs)
    for d in found:
        lines.append(f"- {lit(d.run)} · {code_span(d.tool)} · **{lit(d.outcome)}**")
        lines.append(f"  - policy: {lit(d.reason)}")
        lines.append(f"  - arguments: {code_span(args_text(d.args))}")
    if not found:
        lines.append("None in the transcripts: no tool call was asked about or denied.")
    lines.append("")
    if report.audit:
        lines += ["#### From the audit log", ""]
        lines += [
            "The audit log names no plan: these are the asked and denied decisions logged while "
            "this plan's runs were recorded (another kernel's, at the same time, would show too).",
            "",
        ]
        for r in report.audit:
            rule = f" · rule {code_span(str(r['rule']))}" if r.get("rule") else " · no rule"
            where = (
                f" ({lit(r.get('source'))}, {lit(r.get('tier'))} tier)" if r.get("source") else ""
            )
            lines.append(
                f"- {lit(r.get('time', '?'))} · {code_span(str(r.get('tool', '?')))} · "
                f"**{lit(r.get('decision'))}** in {lit(r.get('mode', '?'))} mode{rule}{where}: "
                f"{lit(r.get('reason', ''))}"
            )
        lines.append("")
    return lines


def _cells(report: PlanReport, view: PlanView) -> list[str]:
    lines = ["### Built cells", ""]
    cells = report.found.cells
    if not cells:
        return [*lines, "No cell in the notebook was built from this plan.", ""]
    known = {s.id for s in view.steps}
    for step in view.steps:
        icon = STEP_ICONS.get(step.status, "")
        lines += [f"#### {icon} {lit(step.id)}. {lit(step.title)}: {lit(step.status)}", ""]
        if step.note:
            lines += [f"Note: {lit(step.note)}", ""]
        mine = [c for c in cells if c.step_id == step.id]
        lines += [x for c in mine for x in _cell(c)] or ["No cell was built for this step.", ""]
    others = [c for c in cells if c.step_id not in known]
    if others:
        lines += ["#### Cells not tied to a step of this plan", ""]
        for cell in others:
            lines += _cell(cell, show_step=True)
    return lines


def _cell(cell: BuiltCell, *, show_step: bool = False) -> list[str]:
    bits = [f"Cell {cell.index}"]
    if cell.id:
        bits.append(f"id {code_span(cell.id)}")
    bits.append(lit(cell.cell_type))
    if show_step:
        bits.append(f"step {lit(cell.step_id or 'none')}")
    if cell.revision is not None:
        bits.append(f"plan revision {lit(cell.revision)}")
    if isinstance(cell.execution_count, int):
        bits.append(f"ran as \\[{cell.execution_count}\\]")
    lines = [" · ".join(bits), ""]
    lines += fenced(cell.source, "python" if cell.cell_type == "code" else "")
    summary = output_summary(cell.outputs) if cell.outputs else ""
    if summary:
        lines += [f"Output: {lit(summary)}", ""]
    return lines


def _usage(report: PlanReport, view: PlanView, base: Path) -> list[str]:
    lines = ["### Tokens and cost", ""]
    source = "plan file" if report.plan is not None else "saved output"
    lines.append(f"- **Total** ({source}): {lit(usage_line(view.usage, view.model))}")
    for run in report.runs:
        lines.append(f"- {lit(run.label)}: {lit(usage_line(run_usage(run)))}")
    lines += ["", "### Transcripts", ""]
    for run in report.runs:
        turns = len(run.transcript.model_turns)
        lines.append(
            f"- {lit(run.label)}: {code_span(_rel(run.path, base))}, {turns} model "
            f"turn{'s' if turns != 1 else ''}, recorded {when(run.transcript.created)}"
        )
    lines += [f"- unreadable: {lit(b)}" for b in report.broken]
    if not report.runs and not report.broken:
        lines.append("None found.")
    return [*lines, ""]


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive on Windows
        return str(path)


__all__ = ["PlanView", "code_span", "fenced", "lit", "plan_view", "report_markdown"]
