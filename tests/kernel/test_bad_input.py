"""Every bad input gets one line naming what is wrong and where, never a traceback: run as
cells in a real kernel, each leaves exactly one ``UsageError: …`` line and no error output."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jupyter_plan.testing.plans import REVENUE_PLAN, approved_plan

from .conftest import Cells, headless_cells


@pytest.fixture
async def cells(project: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cells]:
    monkeypatch.delenv("JUPYTER_PLAN_INTERACTIVE", raising=False)
    async with headless_cells(project, "analysis.ipynb") as kernel:
        yield kernel


BAD_IDS = {
    "%build ../../etc/passwd": "%build: invalid plan id '../../etc/passwd'",
    "%plan show ../../etc/passwd": "%plan show: invalid plan id '../../etc/passwd'",
    "%%plan --id ../../evil\nChart revenue": "%%plan --id: invalid plan id '../../evil'",
    "%%plan --id 'a b/c'\nChart revenue": "%%plan --id: invalid plan id 'a b/c'",
    '%%plan --id "a b/c"\nChart revenue': "%%plan --id: invalid plan id 'a b/c'",
    "%build 'a b/c'": "%build: invalid plan id 'a b/c'",
}


async def test_bad_ids_flags_and_words(cells: Cells, project: Path) -> None:
    for source, start in BAD_IDS.items():
        said = await cells.one_line(source)
        assert said.startswith(start) and "use letters, digits" in said, (source, said)
    said = await cells.one_line("%plan show a b c")
    assert said == (
        "%plan show takes one plan id, not 3 words: 'a b c' (to plan a task, write it in a "
        "%%plan cell)"
    )
    assert not (project / ".jupyter_plan" / "plans").exists()  # nothing was planned
    said = await cells.one_line("%%plan --model ''\nChart revenue")
    empty_model = 'flag --model: `model` = "" is not valid; expected a non-empty string or null.'
    assert said == f"%%plan: {empty_model}"
    said = await cells.one_line("%build --model ''")
    assert said.startswith('%build: flag --model: `model` = "" is not valid')
    said = await cells.one_line("%%plan --id 'unbalanced\nChart revenue")
    assert said == "%%plan: cannot parse arguments: No closing quotation"


async def test_a_broken_settings_file_is_one_line_for_every_magic(
    cells: Cells, project: Path
) -> None:
    settings = project / ".jupyter_plan" / "settings.json"
    settings.write_text('{"model": "openai/fake",}')
    problem = f"{settings}: invalid JSON at line 1, column 25: Expecting property name"
    for source in ("%plan list", "%plan", "%plan show anything", "%build", "%%plan\nChart it"):
        said = await cells.one_line(source)
        assert problem in said, (source, said)


async def test_plan_shows_the_newest_readable_plan_beside_a_broken_one(
    cells: Cells, project: Path
) -> None:
    plan_dir = project / ".jupyter_plan" / "plans"
    approved_plan(plan_dir, "revenue", REVENUE_PLAN)
    (plan_dir / "broken").mkdir()
    (plan_dir / "broken.md").write_text("---\nid: [unclosed\n---\n\n# Broken\n")
    outputs = await cells.run("%plan")
    assert [o.output_type for o in outputs] == ["display_data"]
    assert outputs[0].data["application/vnd.jupyter-plan+json"]["id"] == "revenue"
    listing = (await cells.run("%plan list"))[0].data["text/markdown"]
    assert "| `broken` | broken |" in listing and "| `revenue` | approved | 1 |" in listing
