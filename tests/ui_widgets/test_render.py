"""ui/render.py: pure views of a plan, progress, diffs and prompts."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema  # type: ignore[import-untyped]
import pytest

from jupyter_plan.agent.loop import LoopEvent
from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    Comment,
    Confirmation,
    Plan,
    PlanStatus,
    Question,
    ReviewDecision,
    Step,
)
from jupyter_plan.ui import render
from jupyter_plan.ui.progress import Progress, advance, status_text

from .conftest import HOSTILE, hostile_plan, large_plan, small_plan

# An HTML tag (or autolink) opener: what must never come from model text.
TAG = re.compile(r"<[A-Za-z/!?][^<>]*", re.IGNORECASE)


def tags(text: str) -> set[str]:
    return {m[1:].split()[0].rstrip(">").lower() for m in TAG.findall(text)}


# -- plan → Markdown / HTML -----------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "markdown_has", "html_has"),
    [
        (
            small_plan(),
            ["## Plan: Say hello", "**Status:** drafting", "**Revision:** 0", "0 tokens"],
            ['jp-plan-status-drafting">drafting', "revision 0", "cost unknown"],
        ),
        (
            large_plan(),
            [
                "**Status:** awaiting review · **Revision:** 2 · **Build mode:** auto-accept edits",
                "**✓ S1. Step number 1**",
                "**… S3. Step number 3**",
                "**✗ S4. Step number 4**",
                "> failed: timed out",
                "*Verify:* check 1",
                "Do part 1 with `df.x < 0`.",  # `<` before a digit is no tag: kept as written
                "- **Pandas groupby** (chosen, recommended) — simple and fast",
                "- **SQL via duckdb** — more setup",
                "**Chosen approach:** pandas groupby",
                "- **Currency**: Which currency? → *EUR*",
                "12,345 tokens (12,000 prompt + 345 completion) · $0.0123 · openai/gpt-test",
            ],
            [
                "Clean the sales data and chart monthly revenue</span>",
                "revision 2",
                "auto-accept edits",
                'jp-plan-step-done"><span class="jp-plan-icon">✓</span> <b>S1.</b>',
                'jp-plan-step-failed"><span class="jp-plan-icon">✗</span>',
                '<div class="jp-plan-note">timed out</div>',
                "Do part 2 with <code>df.x &lt; 1</code>.",
                'jp-plan-chosen"><b>Pandas groupby</b> <span class="jp-plan-badge">chosen</span>',
                "Which currency? → <i>EUR</i>",
                "$0.0123 · openai/gpt-test",
            ],
        ),
    ],
    ids=["small", "large"],
)
def test_plan_views(plan: Plan, markdown_has: list[str], html_has: list[str]) -> None:
    markdown, html = render.plan_markdown(plan), render.plan_html(plan)
    for expected in markdown_has:
        assert expected in markdown
    for expected in html_has:
        assert expected in html
    assert markdown.count("**") % 2 == 0


def test_every_step_appears_once_in_order() -> None:
    plan = large_plan()
    markdown = render.plan_markdown(plan)
    positions = [markdown.index(f" {s.id}. {s.title}**") for s in plan.steps]
    assert positions == sorted(positions)


def test_hostile_text_is_escaped_in_html() -> None:
    html = render.plan_html(hostile_plan())
    assert tags(html) <= {"div", "span", "b", "ol", "li", "ul", "i", "code", "/div", "/span",
                          "/b", "/ol", "/li", "/ul", "/i", "/code"}  # fmt: skip
    assert "&lt;script&gt;" in html
    assert "&quot;&gt;&lt;svg" in html


def test_hostile_text_cannot_open_a_tag_in_markdown() -> None:
    markdown = render.plan_markdown(hostile_plan())
    assert tags(markdown) == {"sub", "/sub"}  # the usage line is ours
    assert "&lt;script>alert(1)&lt;/script>" in markdown


def test_hostile_markdown_stays_inert_when_rendered() -> None:
    # JupyterLab renders a trusted output's Markdown without sanitising: render it the same
    # way (raw HTML passed through) and look for anything that could run.
    mistune = pytest.importorskip("mistune")
    rendered = mistune.html(render.plan_markdown(hostile_plan()))
    assert "alert(2)" in rendered  # the text is there, as text
    assert not {"script", "img", "svg", "/script"} & tags(rendered)


@pytest.mark.parametrize(
    ("text", "raw_tag_survives"),
    [
        ("```python\nx = '<b>bold</b>'\n```", True),  # inside a closed fence: literal code
        ("~~~\n<b>\n~~~", True),
        ("```\nunclosed <b>", True),  # closed for it, so it cannot swallow what follows
        ("``` `x`\n<b>not a fence</b>\n```", False),  # a backtick in the info string: no fence
        ("    ```\n<b>indented four: no fence</b>", False),
        ("text <b>", False),
        ("`code <b>`", False),
    ],
)
def test_fences_in_markdown(text: str, raw_tag_survives: bool) -> None:
    assert ("<b>" in render.md_block(text)) is raw_tag_survives


def test_an_unclosed_fence_is_closed_within_its_field() -> None:
    out = render.md_block("```\nunclosed")
    assert out.endswith("\n```")
    html = render.html_block("intro `x`\n```py\na < b\n```\nafter")
    assert html == (
        '<div class="jp-plan-text">intro <code>x</code></div>'
        '<pre class="jp-plan-code">a &lt; b</pre><div class="jp-plan-text">after</div>'
    )


def test_draft_view_escapes_its_title() -> None:
    assert "&lt;i&gt;" in render.draft_html("<i>")
    assert "Planning…" in render.draft_html("")


# -- the MIME bundle --------------------------------------------------------------------


@pytest.mark.parametrize("plan", [small_plan(), large_plan(), hostile_plan()], ids=str)
def test_bundle_validates_and_round_trips(plan: Plan) -> None:
    bundle = render.plan_bundle(plan)
    assert set(bundle) == {"text/markdown", render.PLAN_MIME}
    data = json.loads(json.dumps(bundle))[render.PLAN_MIME]  # what a saved notebook holds
    jsonschema.validate(data, render.PLAN_JSON_SCHEMA)
    assert data["id"] == plan.id
    assert data["status"] == plan.status.value
    assert data["revision"] == plan.revision
    assert [Step.model_validate(s) for s in data["steps"]] == plan.steps
    assert data["markdown"] == plan.markdown
    assert bundle["text/markdown"] == render.plan_markdown(plan)


def test_bundle_fields_for_the_sidebar() -> None:
    data = render.plan_json(large_plan())
    assert data["chosen_approach"] == "pandas groupby"
    assert data["build_mode"] == "auto_edit"
    assert data["notebook_path"] == "analysis.ipynb"
    assert data["usage"] == {
        "prompt_tokens": 12000,
        "completion_tokens": 345,
        "cost_usd": 0.0123,
        "total_tokens": 12345,
    }
    assert data["questions"] == [
        {"header": "Currency", "question": "Which currency?", "answer": "EUR"}
    ]
    assert [a["title"] for a in data["approaches"]] == ["Pandas groupby", "SQL via duckdb"]


def test_schema_rejects_a_broken_bundle() -> None:
    data = render.plan_json(small_plan())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "status": "dreaming"}, render.PLAN_JSON_SCHEMA)


# -- the status line --------------------------------------------------------------------

EVENTS = [
    (LoopEvent("turn", 1, {"elapsed": 0.0}), 0.0, "Turn 1 · Waiting for the model · 0 tokens · 0s"),
    (LoopEvent("text", 1, {"delta": "Let"}), 1.0, "Turn 1 · Writing · 0 tokens · 1s"),
    (
        LoopEvent("usage", 1, {"usage": {"prompt_tokens": 1000, "completion_tokens": 234}}),
        2.0,
        "Turn 1 · Writing · 1,234 tokens · 2s",
    ),
    (
        LoopEvent("tool_call", 1, {"name": "inspect_variable", "arguments": '{"name": "sales"}'}),
        3.5,
        "Turn 1 · Inspecting `sales` · 1,234 tokens · 3s",
    ),
    (
        LoopEvent("tool_result", 1, {"name": "inspect_variable", "ok": False}),
        4.0,
        "Turn 1 · Inspecting `sales` · 1,234 tokens · 4s",
    ),
    (
        LoopEvent(
            "usage",
            2,
            {"usage": {"prompt_tokens": 2000, "completion_tokens": 500, "cost_usd": 0.01}},
        ),
        75.0,
        "Turn 2 · Inspecting `sales` · 2,500 tokens · $0.0100 · 1:15",
    ),
]


def test_status_line_folds_loop_events() -> None:
    progress = Progress()
    for event, elapsed, expected in EVENTS:
        progress = advance(progress, event, elapsed)
        assert status_text(progress) == expected


def test_status_html_escapes() -> None:
    event = LoopEvent("tool_call", 1, {"name": "<img src=x onerror=1>"})
    text = status_text(advance(Progress(), event, 0))
    assert "<img" not in render.status_html(text)
    assert render.status_html("") == ""


# -- diffs and prompts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        ("a\nb\n", "a\nb\n", []),
        ("x = 1\n", "x = 2\n", ["--- a/cell", "+++ b/cell", "-x = 1", "+x = 2"]),
        ("", "print('hi')", ["+print('hi')"]),
        ("keep\ndrop\n", "keep\n", [" keep", "-drop"]),
    ],
)
def test_unified_diff(old: str, new: str, lines: list[str]) -> None:
    diff = render.unified_diff(old, new)
    for line in lines:
        assert line in diff.splitlines()
    assert (diff == "") is (not lines)


def test_diff_html_classes_and_escapes() -> None:
    html = render.diff_html(render.unified_diff("if a < b:\n", "if a <b>:\n"))
    assert '<span class="jp-plan-diff-del">-if a &lt; b:</span>' in html
    assert '<span class="jp-plan-diff-add">+if a &lt;b&gt;:</span>' in html
    assert '<span class="jp-plan-diff-hunk">@@' in html
    assert 'class="jp-plan-diff-file">--- a/cell' in html
    assert render.diff_html("") == '<pre class="jp-plan-diff">(no changes)</pre>'


@pytest.mark.parametrize(
    ("kind", "preview", "expected"),
    [
        ("diff", "-a\n+<b>", '<span class="jp-plan-diff-add">+&lt;b&gt;</span>'),
        ("code", "x = '<b>'", '<pre class="jp-plan-code">x = &#x27;&lt;b&gt;&#x27;</pre>'),
        ("command", "rm -rf <dir>", '<pre class="jp-plan-command">$ rm -rf &lt;dir&gt;</pre>'),
        ("text", "<i>why</i>", '<div class="jp-plan-text">&lt;i&gt;why&lt;/i&gt;</div>'),
    ],
)
def test_preview_per_kind(kind: str, preview: str, expected: str) -> None:
    request = ApprovalRequest(
        tool="t",
        args={},
        reason="r",
        preview=preview,
        preview_kind=kind,
    )
    assert expected in render.preview_html(request)


def test_approval_head_shows_tool_reason_rule_and_arguments() -> None:
    request = ApprovalRequest(
        tool="edit_cell",
        args={"cell_id": "c1", "source": HOSTILE},
        reason="edits ask in default mode",
        rule="builtin/build.toml:12 (builtin)",
    )
    html = render.approval_html(request)
    assert "<code>edit_cell</code>" in html
    assert "edits ask in default mode" in html
    assert "rule builtin/build.toml:12 (builtin)" in html
    assert "&lt;script&gt;" in html and "<script" not in html
    unmatched = render.approval_html(request.model_copy(update={"rule": None}))
    assert "no rule matched" in unmatched
    # a reason that names its rule already: the rule is said once
    named = request.model_copy(update={"reason": "ask_user by rule at builtin/build.toml:12"})
    assert render.approval_html(named).count("build.toml:12") == 1


@pytest.mark.parametrize(
    ("decision", "text"),
    [
        (ReviewDecision(action="approve", build_mode="auto_edit"), "Approved — auto-accept edits"),
        (ReviewDecision(action="approve", build_mode="default"), "Approved — review each edit"),
        (ReviewDecision(action="iterate", feedback="use parquet"), "Iterating: use parquet"),
        (
            ReviewDecision(action="iterate", comments=[Comment(anchor="S2", text="split it")]),
            "Iterating: 1 comment on S2",
        ),
        (
            ReviewDecision(
                action="iterate",
                feedback="shorter",
                comments=[Comment(anchor="S1", text="a"), Comment(anchor="Risks", text="b")],
            ),
            "Iterating: shorter; 2 comments on S1, Risks",
        ),
        (ReviewDecision(action="reject"), "Rejected"),
        (ReviewDecision(action="reject", feedback="wrong data"), "Rejected: wrong data"),
    ],
)
def test_decision_text(decision: ReviewDecision, text: str) -> None:
    assert render.decision_text(decision) == text


@pytest.mark.parametrize(
    ("confirmation", "text"),
    [
        (Confirmation(allow=True), "Allowed shell once"),
        (Confirmation(allow=True, scope="build"), "Allowed shell for this build"),
        (Confirmation(allow=False), "Denied shell"),
        (Confirmation(allow=False, reason="no network"), "Denied shell: no network"),
    ],
)
def test_confirmation_text(confirmation: Confirmation, text: str) -> None:
    assert render.confirmation_text("shell", confirmation) == text


def test_question_and_answers() -> None:
    q = Question(question="Why <b>?", header="<Why>", type="text")
    assert "&lt;Why&gt;" in render.question_html(q) and "<b>" not in render.question_html(q)
    answers = [Answer(header="A", selected=["x", "y"]), Answer(header="B", text="free")]
    assert render.answers_text(answers) == "A: x, y; B: free"


def test_status_labels() -> None:
    plan = small_plan().model_copy(update={"status": PlanStatus.AWAITING_REVIEW})
    assert render.status_label(plan) == "awaiting review"


def test_render_imports_no_widgets() -> None:
    code = (
        "import sys, jupyter_plan.ui, jupyter_plan.ui.render\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'litellm')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
