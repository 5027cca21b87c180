"""``jupyter-plan export``: a real plan and build (fake model, real litellm), then the report."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.agent.builder import BuildRun, run_build
from jupyter_plan.agent.planner import run_plan
from jupyter_plan.bridge.execute import ShellExecutor
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.cli import main
from jupyter_plan.export import export
from jupyter_plan.export.markdown import code_span, fenced, lit
from jupyter_plan.models import Answer, Confirmation, NotebookSnapshot, Plan, ReviewDecision
from jupyter_plan.record.store import PlanStore
from jupyter_plan.settings import load_settings
from jupyter_plan.testing.fake_server import FakeModelServer, Turn, text, tool_call
from jupyter_plan.testing.human import ScriptedHuman
from jupyter_plan.testing.plans import approved_plan
from jupyter_plan.ui.render import PLAN_MIME, plan_bundle
from tests.agent.conftest import API_KEY, Project, fake_model, namespace, notebook, revenue_plan
from tests.agent.test_builder import Step, new_cell_id, scripted
from tests.agent.test_planner import planning_script

EVIL = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
EVIL_PLAN = f"""# {EVIL}

## Objective
Nothing.

## Steps
### S1. Do <b>it</b>
Verify: done

## Verification
None.
"""

BUILD_SCRIPT: list[Step | Turn] = [
    tool_call("insert_cell", {"source": "sales['amount'] = sales['amount'].fillna(0)",
                              "after": "peek", "step_id": "S1"}),  # asked: allowed once
    lambda body: tool_call("run_cell", {"cell_id": new_cell_id(body)}),  # allowed for the build
    tool_call("update_step", {"step_id": "S1", "status": "done", "note": "filled 1 value"}),
    tool_call("edit_cell", {"cell_id": "load", "source": "sales = None", "step_id": "S2"}),
    tool_call("run_shell_command", {"command": "rm -rf data"}),  # the workspace rule denies it
    tool_call("insert_cell", {"source": "totals = sales.groupby('region').amount.sum()\ntotals",
                              "step_id": "S2"}),
    lambda body: tool_call("run_cell", {"cell_id": new_cell_id(body)}),  # not asked again
    tool_call("update_step", {"step_id": "S2", "status": "done", "note": "north 15.5"}),
    tool_call("update_step", {"step_id": "S3", "status": "skipped", "note": "no chart library"}),
    text("Done: cleaned, summarised; the chart was skipped."),
]  # fmt: skip


@dataclass
class Built:
    project: Project
    notebook: Path
    plan: Plan
    env: dict[str, str]


def save_notebook(path: Path, snapshot: NotebookSnapshot, outputs: dict[str, list[Any]]) -> None:
    cells = []
    for cell in snapshot.cells:
        nb_cell = nbformat.v4.new_code_cell(cell.source, id=cell.id, metadata=cell.metadata)
        nb_cell.execution_count = cell.execution_count
        nb_cell.outputs = [nbformat.from_dict(o) for o in cell.outputs + outputs.get(cell.id, [])]
        cells.append(nb_cell)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def plan_output(plan: Plan) -> dict[str, Any]:
    return {"output_type": "display_data", "data": plan_bundle(plan), "metadata": {}}


@pytest.fixture
async def built(tmp_path: Path) -> Built:
    """Plan (a question, an Iterate, approval in default mode), then build, then save."""
    root = tmp_path / "project"
    (root / ".jupyter_plan" / "policies").mkdir(parents=True)
    (root / ".jupyter_plan" / "settings.json").write_text('{"audit": {"enabled": true}}')
    (root / ".jupyter_plan" / "policies" / "shell.toml").write_text(
        '[[rule]]\ntoolName = "run_shell_command"\ndecision = "deny"\npriority = 500\n'
        'denyMessage = "no shell in this project"\n'
    )
    project = Project(root, {"JUPYTER_PLAN_USER_DIR": str(tmp_path / "user")})
    planner = ScriptedHuman(
        answers=[[Answer(header="Approach", selected=["pandas groupby (Recommended)"])]],
        reviews=[
            ReviewDecision(action="iterate", feedback="Add a chart of the summary"),
            ReviewDecision(action="approve", build_mode="default"),
        ],
    )
    with FakeModelServer(cast(list[Turn], planning_script())) as server:
        resolved, client = fake_model(project.root, project.env, server.base_url)
        planned = await run_plan(revenue_plan(resolved, planner, client, "sales-summary"))
    assert planned.plan is not None
    shell = InteractiveShell.instance()
    shell.user_ns.update(namespace())
    bridge = MemoryBridge(notebook(), ShellExecutor(shell))
    builder = ScriptedHuman(
        confirms=[
            Confirmation(allow=True),
            Confirmation(allow=True, scope="build"),
            Confirmation(allow=False, reason="keep the raw data"),
            Confirmation(allow=True),
        ]
    )
    with FakeModelServer(scripted(BUILD_SCRIPT)) as server:
        resolved, client = fake_model(project.root, project.env, server.base_url)
        outcome = await run_build(
            BuildRun(resolved=resolved, bridge=bridge, human=builder, client=client)
        )
    assert len(builder.confirmed) == 4  # the second run_cell was allowed for the build

    # A second plan whose file is then lost: reported from the notebook's saved output.
    evil = approved_plan(project.plan_dir, "evil-plan", EVIL_PLAN)
    shutil.rmtree(project.plan_dir / "evil-plan")
    (project.plan_dir / "evil-plan.md").unlink()

    path = root / "analysis.ipynb"
    outputs = {"plan": [plan_output(planned.plan), plan_output(evil)]}
    save_notebook(path, bridge.snapshot, outputs)
    return Built(project, path, outcome.plan, project.env)


def sections(report: str) -> dict[str, str]:
    """Each ``## Plan`` section of a Markdown report, by plan id."""
    parts = re.split(r"^## Plan \d+: ", report, flags=re.M)[1:]
    return {re.search(r"\*\*Id:\*\* `([^`]+)`", p)[1]: p for p in parts}  # type: ignore[index]


HEADINGS = [
    "Revisions",
    "Questions and answers",
    "Reviews and approval",
    "Policy decisions that asked or denied",
    "Built cells",
    "Tokens and cost",
    "Transcripts",
]


def sub(section: str, heading: str) -> str:
    """The text under ``### heading`` up to the next section heading (revisions hold ###)."""
    body = section.split(f"\n### {heading}\n", 1)[1]
    later = HEADINGS[HEADINGS.index(heading) + 1 :]
    return re.split("|".join(f"\n### {re.escape(h)}\n" for h in later) or "$^", body)[0]


async def test_markdown_report_of_a_real_plan_and_build(built: Built) -> None:
    report, written = export(built.notebook, env=built.env)
    assert written == built.notebook.with_name("analysis.plans.md")
    assert written.read_text() == report
    plans = sections(report)
    assert list(plans) == ["sales-summary", "evil-plan"]  # notebook order
    s = plans["sales-summary"]
    assert "**Status:** built" in s and "**Revision:** 2" in s
    assert "**Build mode:** review each edit (`default`)" in s
    assert "**Note:**" not in s

    revisions = sub(s, "Revisions")
    assert "#### Revision 1 ·" in revisions and "#### Revision 2 ·" in revisions
    first, second = revisions.split("#### Revision 2")
    assert "Chart it" not in first and "### S3. Chart it" in second  # each revision's own text
    assert "Asked for by the feedback: Add a chart of the summary" in second

    qa = sub(s, "Questions and answers")
    assert "**Approach:** How should revenue be summarised?" in qa
    assert "**Answer:** pandas groupby (Recommended)" in qa

    reviews = sub(s, "Reviews and approval")
    assert "- Revision 1: **iterate**, feedback: Add a chart of the summary" in reviews
    assert "- Revision 2: **approved**, build mode: review each edit (`default`)" in reviews

    decided = sub(s, "Policy decisions that asked or denied").split("#### From the audit log")
    lines = [ln for ln in decided[0].splitlines() if ln.startswith("- ")]
    assert lines == [
        "- build r2 · `insert_cell` · **asked → allowed once**",
        "- build r2 · `run_cell` · **asked → allowed for the rest of the build**",
        "- build r2 · `edit_cell` · **asked → denied: keep the raw data**",
        "- build r2 · `run_shell_command` · **denied by policy**",
        "- build r2 · `insert_cell` · **asked → allowed once**",
    ]  # in the order they happened
    assert "policy: no shell in this project" in decided[0]
    assert '`{"command": "rm -rf data"}`' in decided[0]
    assert '"cell_id": "load"' in decided[0] and '"source": "sales = None"' in decided[0]
    audit = decided[1]  # enabled in the project's settings
    assert "`run_shell_command` · **deny**" in audit and "`edit_cell` · **ask\\_user**" in audit

    cells = sub(s, "Built cells")
    s1, rest = cells.split("#### ✓ S2.")
    s2, s3 = rest.split("#### ↷ S3.")
    assert "#### ✓ S1. Clean missing amounts: done" in s1 and "Note: filled 1 value" in s1
    assert "fillna(0)" in s1 and "groupby" not in s1
    assert "Cell 3 · id `" in s1 and "plan revision 2 · ran as \\[" in s1
    assert "groupby('region')" in s2 and "Output: out: region" in s2 and "15.5" in s2
    assert "Note: no chart library" in s3 and "No cell was built for this step." in s3

    usage = sub(s, "Tokens and cost")
    p = built.plan.usage
    assert f"**Total** (plan file): {p.total_tokens:,} tokens ({p.prompt_tokens:,} prompt" in usage
    assert "- plan r1: " in usage and "- build r2: " in usage
    assert "transcript.r1.json" in sub(s, "Transcripts") and "build.r2.json" in report

    assert API_KEY not in report
    assert not re.search(r"sk-[A-Za-z0-9]{12}", report)


async def test_plan_with_missing_file_comes_from_the_saved_output(built: Built) -> None:
    report, _ = export(built.notebook, output="-", env=built.env)
    s = sections(report)["evil-plan"]
    assert "> **Note:** the plan file is missing. This section comes from the plan output" in s
    assert "**Status:** approved" in s and "**Build mode:** auto-accept edits" in s
    assert "#### Revision 1" in sub(s, "Revisions")  # the current revision's Markdown
    assert "No cell in the notebook was built from this plan." in s
    assert "<script>" not in report.split("```markdown")[0]  # escaped outside the code fence
    assert "\\<script\\>alert(1)\\</script\\> \\& \\<img" in s


async def test_html_report_is_standalone_and_escaped(built: Built, capsys: Any) -> None:
    target = built.project.root / "out" / "report.html"
    target.parent.mkdir()
    assert main(["export", str(built.notebook), "--format", "html", "--output", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {target}"
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Content-Security-Policy" in page
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x" in page
    assert "<h2>Plan 1: Revenue by region</h2>" in page
    assert '<code class="language-python">' in page  # built cells rendered as code
    assert "asked → denied: keep the raw data" in page


async def test_cli_stdout_and_default_path(built: Built, capsys: Any) -> None:
    assert main(["export", str(built.notebook), "--output", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Plans in `analysis.ipynb`") and "## Plan 2: " in out
    assert not list(built.project.root.glob("*.plans.*"))  # stdout: nothing written
    assert main(["export", str(built.notebook), "--format", "html"]) == 0
    html_path = built.notebook.with_name("analysis.plans.html")
    assert capsys.readouterr().out.strip() == f"wrote {html_path}"
    assert html_path.is_file()


def test_errors_name_the_file_and_exit_2(tmp_path: Path, capsys: Any) -> None:
    missing = tmp_path / "nope.ipynb"
    assert main(["export", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"jupyter-plan: error: {missing}: no such notebook"

    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["export", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"jupyter-plan: error: {broken}: not a notebook (not JSON") and (
        err.count("\n") == 1
    )

    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), empty)
    assert main(["export", str(empty)]) == 2
    assert f"{empty}: no plans found" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ipynb", "empty.ipynb"]

    with pytest.raises(SystemExit) as exited:  # argparse refuses it, as for every command
        main(["export", str(empty), "--format", "pdf"])
    assert exited.value.code == 2
    assert "invalid choice: 'pdf'" in capsys.readouterr().err


def test_cells_without_plan_file_or_output_and_a_stored_plan(tmp_path: Path) -> None:
    """Built-cell metadata alone names a plan; the store supplies the rest."""
    root = tmp_path / "p"
    (root / ".jupyter_plan").mkdir(parents=True)
    env = {"JUPYTER_PLAN_USER_DIR": str(tmp_path / "user")}
    plan_dir = load_settings(root, env=env).plan_dir
    approved_plan(plan_dir, "kept", "# Kept\n\n## Steps\n### S1. One\nVerify: ok\n", "default")
    cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"jupyter_plan": {"plan_id": "kept",
                                  "revision": 1, "step_id": "S1"}}),
        nbformat.v4.new_code_cell("y = 2", metadata={"jupyter_plan": {"plan_id": "gone",
                                  "revision": 1, "step_id": "S9"}}),
        nbformat.v4.new_code_cell("z", metadata={"jupyter_plan": {"plan_id": "../escape"}}),
    ]  # fmt: skip
    path = root / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    report, _ = export(path, output="-", env=env)
    plans = sections(report)
    assert list(plans) == ["kept", "gone"]  # an id that is no file name is ignored
    kept = plans["kept"]
    assert "**Build mode:** review each edit (`default`)" in kept
    assert "Approved with build mode review each edit (`default`) (from the plan;" in kept
    assert "```python\nx = 1\n```" in sub(kept, "Built cells")
    gone = plans["gone"]
    assert "comes from the built cells' metadata only" in gone
    assert "#### Cells not tied to a step of this plan" in gone and "step S9" in gone
    assert PlanStore(plan_dir).load("kept").title == "Kept"


def test_escaping_helpers() -> None:
    assert lit("a  <b>\n*x* [l](javascript:1) $x$ | #") == (
        "a \\<b\\> \\*x\\* \\[l\\](javascript:1) \\$x\\$ \\| \\#"
    )
    assert code_span("a ``b`` c") == "```a ``b`` c```"
    assert code_span("`x`") == "`` `x` ``"
    assert fenced("```\ninner\n```", "markdown")[0] == "````markdown"


def test_saved_output_json_is_what_ui_render_writes() -> None:
    bundle = plan_bundle(Plan(id="x", title="T", goal="g"))
    assert json.loads(json.dumps(bundle))[PLAN_MIME]["id"] == "x"
