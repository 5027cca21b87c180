"""Pure rendering: a plan, diffs and prompts as Markdown, HTML and a MIME bundle.

No widgets here, so every view is testable as a string. Model-provided text is untrusted
(a prompt injection can put ``<img onerror=…>`` in a step title): HTML escapes all of it, and
Markdown neutralises anything that could open an HTML tag, because JupyterLab renders the
Markdown of a trusted output without sanitising it.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections.abc import Iterable
from typing import Any

from jupyter_plan.models import (
    Answer,
    Approach,
    ApprovalRequest,
    Confirmation,
    Plan,
    PlanStatus,
    Question,
    ReviewDecision,
    Usage,
)
from jupyter_plan.ui.person_parts import person_parts
from jupyter_plan.ui.words import ApprovalWords

PLAN_MIME = "application/vnd.jupyter-plan+json"
PLAN_MIME_VERSION = 1
STEP_ICONS = {"pending": "○", "in_progress": "…", "done": "✓", "failed": "✗", "skipped": "↷"}
BUILD_MODES = {"auto_edit": "auto-accept edits", "default": "review each edit"}

# -- text safety ----------------------------------------------------------------------

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")  # the only way `<` opens a tag or autolink
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def esc(text: object) -> str:
    """HTML-escape anything (quotes too: values may land in attributes)."""
    return html.escape(str(text), quote=True)


def _fenced(text: str) -> list[tuple[bool, str]]:
    """Split into (is_fence, lines) runs following CommonMark's fence rules."""
    runs: list[tuple[bool, list[str]]] = []
    fence: str | None = None
    for line in text.splitlines():
        opener = _FENCE_OPEN.match(line)
        if fence is None and opener and not (opener[1][0] == "`" and "`" in opener[2]):
            fence = opener[1]
            runs.append((True, [line]))
            continue
        if fence is not None:
            runs[-1][1].append(line)
            closing, indent = line.strip(), len(line) - len(line.lstrip(" "))
            if set(closing) == {fence[0]} and len(closing) >= len(fence) and indent <= 3:
                fence = None
            continue
        if not runs or runs[-1][0]:
            runs.append((False, []))
        runs[-1][1].append(line)
    if fence is not None:  # close it here, or it would swallow what follows this field
        runs[-1][1].append(fence)
    return [(is_fence, "\n".join(lines)) for is_fence, lines in runs]


def md_block(text: str) -> str:
    """Model Markdown kept as Markdown, with every tag opener outside code fences escaped."""
    parts = [p if fence else _TAG_START.sub("&lt;", p) for fence, p in _fenced(text.strip("\n"))]
    return "\n".join(parts)


def md_line(text: str) -> str:
    """One line of model text for a heading or list item: whitespace collapsed, tags escaped."""
    return _TAG_START.sub("&lt;", " ".join(str(text).split()))


def html_block(text: str) -> str:
    """Model Markdown as safe HTML: fences become <pre>, `code` spans <code>, the rest text."""
    out = []
    for fence, part in _fenced(text.strip("\n")):
        if fence:
            body = part.split("\n")[1:-1]
            out.append(f'<pre class="jp-plan-code">{esc(chr(10).join(body))}</pre>')
        elif part.strip():
            out.append(f'<div class="jp-plan-text">{html_line(part)}</div>')
    return "".join(out)


def html_line(text: str) -> str:
    return _CODE_SPAN.sub(r"<code>\1</code>", esc(text))


# -- the plan -------------------------------------------------------------------------


def status_label(plan: Plan) -> str:
    return plan.status.value.replace("_", " ")


def usage_line(usage: Usage, model: str | None = None) -> str:
    """``12,345 tokens (10,000 prompt + 2,345 completion) · $0.0123 · gpt-4o``."""
    parts = [
        f"{usage.total_tokens:,} tokens ({usage.prompt_tokens:,} prompt + "
        f"{usage.completion_tokens:,} completion)",
        "cost unknown" if usage.cost_usd is None else f"${usage.cost_usd:.4f}",
    ]
    if model:
        parts.append(model)
    return " · ".join(parts)


def _tags(plan: Plan, approach: Approach) -> list[str]:
    chosen = (plan.chosen_approach or "").strip().casefold()
    is_chosen = bool(chosen) and chosen == approach.title.strip().casefold()
    return [t for t, on in (("chosen", is_chosen), ("recommended", approach.recommended)) if on]


def plan_markdown(plan: Plan) -> str:
    """The plan for a saved notebook: GitHub, nbviewer and VS Code render this."""
    meta = [f"**Status:** {status_label(plan)}", f"**Revision:** {plan.revision}"]
    if plan.build_mode:
        meta.append(f"**Build mode:** {BUILD_MODES[plan.build_mode]}")
    lines = [f"## Plan: {md_line(plan.title)}", "", " · ".join(meta), ""]
    if plan.steps:
        lines += ["### Steps", ""]
    for step in plan.steps:
        lines += [f"**{STEP_ICONS[step.status]} {md_line(step.id)}. {md_line(step.title)}**", ""]
        if step.description.strip():
            lines += [md_block(step.description), ""]
        if step.verification.strip():
            lines += [f"*Verify:* {md_line(step.verification)}", ""]
        if step.note:
            lines += [f"> {step.status}: {md_line(step.note)}", ""]
    if plan.approaches:
        lines += ["### Approaches considered", ""]
        for a in plan.approaches:
            tags = _tags(plan, a)
            suffix = f" ({', '.join(tags)})" if tags else ""
            summary = f" — {md_line(a.summary)}" if a.summary.strip() else ""
            lines.append(f"- **{md_line(a.title)}**{suffix}{summary}")
        lines.append("")
    if plan.chosen_approach:
        lines += [f"**Chosen approach:** {md_line(plan.chosen_approach)}", ""]
    if plan.questions:
        lines += ["### Questions", ""]
        for r in plan.questions:
            q, summary = md_line(r.question.question), md_line(r.answer.summary())
            lines.append(f"- **{md_line(r.question.header)}**: {q} → *{summary}*")
        lines.append("")
    lines.append(f"<sub>{usage_line(plan.usage, md_line(plan.model or '') or None)}</sub>")
    return "\n".join(lines) + "\n"


def plan_html(plan: Plan) -> str:
    """The plan inside the review widget (an ipywidgets HTML: set as innerHTML, unsanitised)."""
    status = plan.status.value
    head = (
        f'<div class="jp-plan-head"><span class="jp-plan-title">{esc(plan.title)}</span> '
        f'<span class="jp-plan-badge jp-plan-status-{esc(status)}">{esc(status_label(plan))}'
        f'</span> <span class="jp-plan-rev">revision {plan.revision}</span>'
    )
    if plan.build_mode:
        head += f' <span class="jp-plan-rev">{esc(BUILD_MODES[plan.build_mode])}</span>'
    out = [f'<div class="jp-plan">{head}</div>']
    if plan.steps:
        out.append('<ol class="jp-plan-steps">')
        for s in plan.steps:
            out.append(
                f'<li class="jp-plan-step jp-plan-step-{esc(s.status)}">'
                f'<span class="jp-plan-icon">{STEP_ICONS[s.status]}</span> '
                f"<b>{esc(s.id)}.</b> {html_line(s.title)}{html_block(s.description)}"
            )
            if s.verification.strip():
                out.append(f'<div class="jp-plan-verify">Verify: {html_line(s.verification)}</div>')
            if s.note:
                out.append(f'<div class="jp-plan-note">{esc(s.note)}</div>')
            out.append("</li>")
        out.append("</ol>")
    if plan.approaches:
        out.append('<div class="jp-plan-section">Approaches considered</div><ul>')
        for a in plan.approaches:
            tags = _tags(plan, a)
            cls = "jp-plan-approach jp-plan-chosen" if "chosen" in tags else "jp-plan-approach"
            badges = "".join(f' <span class="jp-plan-badge">{t}</span>' for t in tags)
            summary = f" — {html_line(a.summary)}" if a.summary.strip() else ""
            out.append(f'<li class="{cls}"><b>{esc(a.title)}</b>{badges}{summary}</li>')
        out.append("</ul>")
    if plan.chosen_approach:
        out.append(f'<div class="jp-plan-chosen">Chosen: <b>{esc(plan.chosen_approach)}</b></div>')
    if plan.questions:
        out.append('<div class="jp-plan-section">Questions</div><ul class="jp-plan-answers">')
        for r in plan.questions:
            out.append(
                f'<li><span class="jp-plan-chip">{esc(r.question.header)}</span> '
                f"{esc(r.question.question)} → <i>{esc(r.answer.summary())}</i></li>"
            )
        out.append("</ul>")
    out.append(f'<div class="jp-plan-usage">{esc(usage_line(plan.usage, plan.model))}</div>')
    return f'<div class="jp-plan-card">{"".join(out)}</div>'


def draft_html(title: str) -> str:
    """What the review widget shows before there is a plan."""
    return (
        f'<div class="jp-plan-card"><div class="jp-plan-head"><span class="jp-plan-title">'
        f'{esc(title or "Planning…")}</span> <span class="jp-plan-badge">drafting</span>'
        "</div></div>"
    )


def plan_json(plan: Plan, *, file: str | None = None) -> dict[str, Any]:
    """What the sidebar (and anyone reading a saved notebook) needs, without a kernel.

    ``file``: the plan's Markdown file relative to the notebook's folder (a sidebar link).
    """
    return {
        "version": PLAN_MIME_VERSION,
        "id": plan.id,
        "title": plan.title,
        "goal": plan.goal,
        "status": plan.status.value,
        "revision": plan.revision,
        "steps": [s.model_dump(mode="json") for s in plan.steps],
        "approaches": [a.model_dump(mode="json") for a in plan.approaches],
        "chosen_approach": plan.chosen_approach,
        "questions": [
            {
                "header": r.question.header,
                "question": r.question.question,
                "answer": r.answer.summary(),
            }
            for r in plan.questions
        ],
        "build_mode": plan.build_mode,
        "model": plan.model,
        "usage": {**plan.usage.model_dump(mode="json"), "total_tokens": plan.usage.total_tokens},
        "notebook_path": plan.notebook_path,
        "created": plan.created.isoformat(),
        "updated": plan.updated.isoformat(),
        "markdown": plan.markdown,
        "previous": _previous(plan),
        "file": file,
        **person_parts(plan),  # edited by you, pages, comments: only when there are some
    }


def _previous(plan: Plan) -> dict[str, Any] | None:
    """The revision before the latest and the feedback that led on: what Iterate changed."""
    if len(plan.revisions) < 2:
        return None
    before, latest = plan.revisions[-2], plan.revisions[-1]
    return {"revision": before.number, "markdown": before.markdown, "feedback": latest.feedback}


def plan_bundle(plan: Plan, *, file: str | None = None) -> dict[str, Any]:
    """``display(plan_bundle(plan), raw=True)``: Markdown for any viewer, JSON for the sidebar."""
    return {"text/markdown": plan_markdown(plan), PLAN_MIME: plan_json(plan, file=file)}


_STR, _STR_OR_NULL = {"type": "string"}, {"type": ["string", "null"]}
PLAN_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": PLAN_MIME,
    "type": "object",
    "required": ["version", "id", "title", "status", "revision", "steps"],
    "properties": {
        "version": {"const": PLAN_MIME_VERSION},
        "id": _STR, "title": _STR, "goal": _STR,
        "status": {"enum": [s.value for s in PlanStatus]},
        "revision": {"type": "integer", "minimum": 0},
        "steps": {"type": "array", "items": {
            "type": "object", "required": ["id", "title", "status"],
            "properties": {"id": _STR, "title": _STR, "status": {"enum": list(STEP_ICONS)}},
        }},
        "approaches": {"type": "array"},
        "chosen_approach": _STR_OR_NULL,
        "build_mode": {"enum": ["auto_edit", "default", None]},
        "usage": {"type": "object", "required": ["prompt_tokens", "completion_tokens"]},
        "notebook_path": _STR_OR_NULL,
        "markdown": _STR,
        "previous": {"type": ["object", "null"]},
        "file": _STR_OR_NULL,
    },
}  # fmt: skip


# -- progress -------------------------------------------------------------------------


def status_html(text: str) -> str:
    return f'<div class="jp-plan-status-line">{esc(text)}</div>' if text else ""


# -- diffs, prompts and outcomes ----------------------------------------------------------


def unified_diff(old: str, new: str, name: str = "cell") -> str:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"a/{name}", f"b/{name}", lineterm=""
    )
    return "\n".join(lines)


def diff_html(diff: str) -> str:
    """A unified diff with added/removed/hunk lines classed for colour."""
    if not diff.strip():
        return '<pre class="jp-plan-diff">(no changes)</pre>'
    rows = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            cls = "jp-plan-diff-file"
        elif line.startswith("@@"):
            cls = "jp-plan-diff-hunk"
        elif line.startswith("+"):
            cls = "jp-plan-diff-add"
        elif line.startswith("-"):
            cls = "jp-plan-diff-del"
        else:
            cls = "jp-plan-diff-ctx"
        rows.append(f'<span class="{cls}">{esc(line)}</span>')
    return f'<pre class="jp-plan-diff">{chr(10).join(rows)}</pre>'


def preview_html(request: ApprovalRequest) -> str:
    if request.preview_kind == "diff":
        return diff_html(request.preview)
    if request.preview_kind == "command":
        return f'<pre class="jp-plan-command">$ {esc(request.preview)}</pre>'
    if request.preview_kind == "code":
        return f'<pre class="jp-plan-code">{esc(request.preview)}</pre>'
    return f'<div class="jp-plan-text">{esc(request.preview)}</div>' if request.preview else ""


def approval_html(request: ApprovalRequest, words: ApprovalWords | None = None) -> str:
    """The head of an approval card: what would happen, where, for which step; the asking
    rule once, in a details line, with the raw arguments."""
    args = json.dumps(request.args, indent=2, sort_keys=True, default=str)
    title = words.sentence() if words else f"Allow {request.tool}?"
    return (
        f'<div class="jp-plan-card-title">{esc(title)}</div>'
        f'<details class="jp-plan-rule"><summary>Why you are asked</summary>'
        f"{esc(rule_line(request))} · tool <code>{esc(request.tool)}</code>"
        f'<pre class="jp-plan-code">{esc(args)}</pre></details>'
    )


def rule_line(request: ApprovalRequest) -> str:
    """Why the policy asks, naming its rule once (its reason often names the rule already)."""
    if not request.rule:
        return f"{request.reason} (no rule matched: asking is the default)"
    where = request.rule.split(" (")[0]
    return request.reason if where in request.reason else f"{request.reason}: rule {request.rule}"


def question_html(question: Question) -> str:
    return (
        f'<div class="jp-plan-question"><span class="jp-plan-chip">{esc(question.header)}</span> '
        f"{html_line(question.question)}</div>"
    )


def answers_text(answers: Iterable[Answer]) -> str:
    return "; ".join(f"{a.header}: {a.summary()}" for a in answers)


def decision_text(decision: ReviewDecision) -> str:
    if decision.action == "approve":
        return f"Approved — {BUILD_MODES[decision.build_mode or 'default']}"
    if decision.action == "iterate":  # feedback, comments on parts, or both
        n, on = len(decision.comments), ", ".join(c.anchor for c in decision.comments)
        said = [decision.feedback or "", f"{n} comment{'s' * (n != 1)} on {on}" if n else ""]
        return "Iterating: " + "; ".join(part for part in said if part)
    return f"Rejected: {decision.feedback}" if decision.feedback else "Rejected"


def confirmation_text(tool: str, confirmation: Confirmation) -> str:
    if confirmation.allow:
        scope = "for this build" if confirmation.scope == "build" else "once"
        return f"Allowed {tool} {scope}"
    return f"Denied {tool}: {confirmation.reason}" if confirmation.reason else f"Denied {tool}"


def note_html(text: str, kind: str = "outcome") -> str:
    """A one-line note under a card (``kind``: outcome, message, error, summary)."""
    return f'<div class="jp-plan-{esc(kind)}">{html_line(text)}</div>' if text else ""
