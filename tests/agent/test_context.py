"""The notebook outline: what it shows, what it hides, and that it stays within its budget."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_plan.agent.context import ROUNDS, Outline, build_outline
from jupyter_plan.agent.tokens import TokenCounter, estimate_tokens, token_counter
from jupyter_plan.models import Cell, NotebookSnapshot

PNG = base64.b64encode(bytes(range(256)) * 40).decode()  # 13 kB of base64
TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mKeyError\x1b[0m                                  Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[4], line 2\x1b[0m\n      1 x = 1\n"
    "\x1b[0;32m----> 2\x1b[0m df[\x1b[38;5;124m'region'\x1b[39m]",
    "\x1b[0;31mKeyError\x1b[0m: 'region'",
]


def code(cid: str, source: str = "x = 1", outputs: list[dict[str, Any]] | None = None) -> Cell:
    return Cell(id=cid, cell_type="code", source=source, outputs=outputs or [], execution_count=1)


def md(cid: str, source: str) -> Cell:
    return Cell(id=cid, cell_type="markdown", source=source)


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def error(ename: str = "KeyError", evalue: str = "'region'") -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": TRACEBACK}


def display(data: dict[str, Any], kind: str = "display_data") -> dict[str, Any]:
    out: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        out["execution_count"] = 1
    return out


def filler(n: int, active: int | None = None) -> list[Cell]:
    """``n`` ordinary code cells with a long stdout each; ids c00000, c00001, ..."""
    cells = [
        code(f"c{i:05}", f"step_{i} = run(step_{i - 1})\nprint(step_{i})", [stream("ok\n" * 300)])
        for i in range(n)
    ]
    if active is not None:
        cells[active] = code(f"c{active:05}", "%%plan\nmake it faster")
    return cells


def snapshot(cells: list[Cell], active: str | None = None) -> NotebookSnapshot:
    return NotebookSnapshot(cells=cells, active_cell_id=active, path="t.ipynb")


def positions(outline: Outline, ids: tuple[str, ...]) -> list[int]:
    return [outline.text.index(f"[{cid}]") for cid in ids]


def halves(text: str) -> int:  # a tokenizer far less thrifty than chars/4
    return len(text) // 2 + text.count("\n")


def tenths(text: str) -> int:  # one far thriftier
    return len(text) // 10


# -- small notebooks -----------------------------------------------------------------


def test_small_notebook_is_shown_whole() -> None:
    cells = [
        md("head", "# Sales\nWe look at sales."),
        code("load", "import pandas as pd\ndf = pd.read_csv('sales.csv')", [stream("loaded\n")]),
        code("plan", "%%plan\nadd a chart"),
    ]
    outline = build_outline(snapshot(cells, "plan"), "add a chart")
    assert outline.full_ids == ("head", "load", "plan")
    assert (outline.brief_ids, outline.omitted) == ((), 0)
    for text in ("# Sales", "We look at sales.", "df = pd.read_csv('sales.csv')", "loaded"):
        assert text in outline.text
    assert "All cells shown" in outline.text
    assert outline.tokens == estimate_tokens(outline.text)


def test_empty_notebook_says_so() -> None:
    outline = build_outline(snapshot([]), "anything")
    assert (outline.full_ids, outline.brief_ids, outline.omitted) == ((), (), 0)
    assert "no cells" in outline.text


# -- the budget ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [estimate_tokens, halves, tenths])
@pytest.mark.parametrize("budget", [300, 2_000, 8_000])
def test_big_notebook_fills_the_budget_and_never_exceeds_it(
    count: TokenCounter, budget: int
) -> None:
    outline = build_outline(
        snapshot(filler(3_000, active=2_000), "c02000"),
        "speed up",
        budget_tokens=budget,
        count_tokens=count,
    )
    assert outline.tokens == count(outline.text) <= budget
    assert outline.tokens >= 0.9 * budget  # flat at the budget, not far below it
    assert outline.full_ids and outline.brief_ids and outline.omitted  # degrades in steps
    assert len(outline.full_ids) + len(outline.brief_ids) + outline.omitted == 3_000


def test_token_count_does_not_grow_with_the_notebook() -> None:
    sizes = [
        build_outline(snapshot(filler(n, active=n - 1), f"c{n - 1:05}")).tokens
        for n in (500, 5_000)
    ]
    assert 0.95 * 8_000 <= sizes[0] <= 8_000 and 0.95 * 8_000 <= sizes[1] <= 8_000


@pytest.mark.parametrize(
    ("counter", "most_calls"),
    [(halves, ROUNDS), (tenths, ROUNDS), (estimate_tokens, 1)],  # the estimate is exact: 1 call
)
def test_the_real_counter_is_called_a_few_times_not_once_per_cell(
    counter: TokenCounter, most_calls: int
) -> None:
    calls: list[int] = []

    def count(text: str) -> int:
        calls.append(len(text))
        return counter(text)

    cells = filler(5_000, active=4_000)
    cells[10] = code("c00010", "1/0", [error("ZeroDivisionError", "division by zero")])
    build_outline(snapshot(cells, "c04000"), "see c00020", count_tokens=count)
    assert 1 <= len(calls) <= most_calls


@pytest.mark.parametrize("budget", [0, 1, 5, 20, 60])
def test_tiny_budgets_are_respected(budget: int) -> None:
    outline = build_outline(snapshot(filler(50, active=49), "c00049"), "x", budget_tokens=budget)
    assert outline.tokens == estimate_tokens(outline.text) <= budget


# -- what is chosen ------------------------------------------------------------------


def test_active_cell_and_neighbours_always_shown() -> None:
    outline = build_outline(
        snapshot(filler(2_000, active=1_000), "c01000"), "make it faster", budget_tokens=800
    )
    assert "c01000" in outline.full_ids
    assert "(the %%plan cell)" in outline.text
    shown = {*outline.full_ids, *outline.brief_ids}
    assert {f"c{i:05}" for i in range(997, 1_003)} <= shown


@pytest.mark.parametrize(
    ("task", "far_cell", "source"),
    [
        ("look at cell c00007 again", "c00007", "step_7 = run(step_6)"),
        ("retrain `churn_model` weekly", "c00012", "churn_model = fit(X, y)"),
        (
            "read customers_2024.parquet instead",
            "c00020",
            "cust = pd.read_parquet('customers_2024.parquet')",
        ),
        ("why is Haversine slow", "c00030", "def haversine(a, b):\n    return 0"),
    ],
)
def test_cells_the_task_mentions_are_shown_even_far_away(
    task: str, far_cell: str, source: str
) -> None:
    cells = filler(3_000, active=2_999)
    index = int(far_cell[1:])
    if index != 7:
        cells[index] = code(far_cell, source)
    outline = build_outline(snapshot(cells, "c02999"), task, budget_tokens=1_000)
    assert far_cell in outline.full_ids
    assert source.split("\n")[0] in outline.text


def test_distinctive_terms_win_over_common_ones() -> None:
    cells = [code(f"c{i:05}", "df = df.copy()\nrevenue = df.total") for i in range(400)]
    cells[30] = code("c00030", "regional = df.groupby('region')")
    cells.append(code("plan", "%%plan"))
    outline = build_outline(snapshot(cells, "plan"), "split revenue by region", budget_tokens=400)
    assert "c00030" in outline.full_ids  # "revenue" is in every cell and says nothing


def test_errors_kept_with_name_and_value_even_far_away() -> None:
    cells = filler(3_000, active=2_999)
    cells[5] = code("c00005", "df['region']", [error()])
    outline = build_outline(snapshot(cells, "c02999"), "tidy up", budget_tokens=1_000)
    assert "c00005" in outline.full_ids
    assert "error: KeyError: 'region'" in outline.text
    assert "----> 2 df['region']" in outline.text  # the end of the traceback


def test_brief_lines_keep_errors() -> None:
    cells = filler(400, active=399)
    for i in range(0, 300, 3):
        cells[i] = code(f"c{i:05}", f"load({i})", [error("ValueError", f"bad row {i}")])
    outline = build_outline(snapshot(cells, "c00399"), "tidy up", budget_tokens=1_500)
    assert outline.brief_ids
    for cid in outline.brief_ids:
        if int(cid[1:]) % 3 == 0 and int(cid[1:]) < 300:
            assert f"-> error: ValueError: bad row {int(cid[1:])}" in outline.text


def test_headings_give_structure() -> None:
    cells = filler(2_000, active=1_999)
    cells[100] = md("c00100", "# Part one: cleaning")
    cells[900] = md("c00900", "## Outliers\nsome prose")
    outline = build_outline(snapshot(cells, "c01999"), "tidy up", budget_tokens=1_000)
    assert "# Part one: cleaning" in outline.text and "## Outliers" in outline.text


def test_shown_cells_are_in_notebook_order_with_gaps_marked() -> None:
    cells = filler(2_000, active=1_500)
    cells[3] = code("c00003", "1/0", [error("ZeroDivisionError", "division by zero")])
    outline = build_outline(snapshot(cells, "c01500"), "see c00010", budget_tokens=1_200)
    shown = sorted({*outline.full_ids, *outline.brief_ids})
    assert positions(outline, tuple(shown)) == sorted(positions(outline, tuple(shown)))
    assert list(outline.full_ids) == sorted(outline.full_ids)
    gaps = [
        int(g.replace(",", "")) for g in re.findall(r"… ([\d,]+) cells not shown\n", outline.text)
    ]
    assert sum(gaps) == outline.omitted


def test_omitted_count_is_stated() -> None:
    outline = build_outline(snapshot(filler(10_000, active=9_999), "c09999"), "x")
    assert outline.omitted > 9_000
    assert (
        f"… {outline.omitted:,} of 10,000 cells not shown; use list_cells / read_cells"
        in outline.text
    )


# -- outputs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            display({"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"}),
            "out: [image/png] <Figure size 640x480 with 1 Axes>",
        ),
        (
            display(
                {
                    "text/html": "<table>" + "<tr><td>1</td></tr>" * 750 + "</table>",
                    "text/plain": "  a\n0 1",
                },
                "execute_result",
            ),
            "out: [text/html, 14 kB]",
        ),
        (
            display({"application/vnd.plotly.v1+json": {"data": []}}),
            "out: [application/vnd.plotly.…]",
        ),
        (
            display({"application/vnd.jupyter.widget-view+json": {"model_id": "x"}}),
            "out: [widget]",
        ),
        (
            display({"image/svg+xml": ["<svg>", "</svg>"], "image/jpeg": PNG}),
            "[image/svg+xml] [image/jpeg]",
        ),
        (display({"text/markdown": "**bold** result"}), "out: **bold** result"),
    ],
)
def test_rich_outputs_become_placeholders(output: dict[str, Any], expected: str) -> None:
    outline = build_outline(snapshot([code("a", "show()", [output])]), "")
    assert expected in outline.text
    assert PNG[:40] not in outline.text and "<tr>" not in outline.text


def test_no_base64_even_in_sources_or_text() -> None:
    cells = [
        md("m", f"![logo](data:image/png;base64,{PNG})"),
        code("c", f"blob = '{PNG}'", [stream(PNG + "\n"), display({"text/plain": PNG})]),
    ]
    outline = build_outline(snapshot(cells), "")
    assert "[base64 data]" in outline.text
    assert re.search(r"[A-Za-z0-9+/]{65,}", outline.text) is None


def test_ansi_escapes_and_progress_bars_are_stripped() -> None:
    cells = [
        code(
            "c",
            "train()",
            [
                stream("\x1b[32mepoch 1\x1b[0m\n 10%|█   |\r 50%|█████|\r100%|██████████|\n"),
                error("\x1b[31mRuntimeError\x1b[0m", "CUDA \x1b[1mout of memory\x1b[0m"),
            ],
        )
    ]
    text = build_outline(snapshot(cells), "").text
    assert "\x1b" not in text and "\r" not in text
    assert "epoch 1" in text and "100%|██████████|" in text and " 50%" not in text
    assert "error: RuntimeError: CUDA out of memory" in text


def test_long_outputs_are_cut_with_a_count() -> None:
    lines = "".join(f"line {i}\n" for i in range(1_000))
    outline = build_outline(snapshot([code("c", "go()", [stream(lines)])]), "")
    assert "line 0" in outline.text and "line 999" in outline.text
    assert "… 991 more lines" in outline.text and "line 500" not in outline.text


def test_nbformat_list_text_is_read() -> None:
    out = {"output_type": "stream", "name": "stderr", "text": ["warn: a\n", "warn: b\n"]}
    text = build_outline(snapshot([code("c", "go()", [out])]), "").text
    assert "stderr: warn: a" in text and "warn: b" in text


# -- token counters ------------------------------------------------------------------


@pytest.mark.parametrize("model", [None, "", "no-such-model-xyz", "openai/my-team-proxy-model"])
def test_unknown_models_use_the_chars_over_four_estimate(model: str | None) -> None:
    assert token_counter(model) is estimate_tokens
    assert (
        estimate_tokens("") == 0 and estimate_tokens("abcd") == 1 and estimate_tokens("abcde") == 2
    )


def test_importing_the_module_does_not_import_litellm() -> None:
    code = "import sys, jupyter_plan.agent.context; print('litellm' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_models_whose_tokenizer_litellm_would_download_use_the_estimate() -> None:
    # the suite's network guard fails this test if a hub download is attempted
    assert token_counter("groq/llama-3.1-8b-instant") is estimate_tokens


def test_litellm_tokenizer_for_gpt_4o() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
    count: Callable[[str], int] = token_counter("gpt-4o")
    assert count is not estimate_tokens
    assert count("hello world") == 2
    outline = build_outline(
        snapshot(filler(2_000, active=1_999), "c01999"),
        "x",
        budget_tokens=3_000,
        count_tokens=count,
    )
    assert outline.tokens == count(outline.text) <= 3_000
    assert outline.tokens >= 0.9 * 3_000


# -- the property --------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)
_outputs = st.lists(
    st.one_of(
        st.builds(stream, _text),
        st.builds(error, _text, _text),
        st.builds(lambda t: display({"image/png": PNG, "text/plain": t}), _text),
        st.builds(
            lambda t: display({"text/html": t * 50, "text/plain": t}, "execute_result"), _text
        ),
    ),
    max_size=3,
)
_cell = st.builds(
    lambda cid, kind, source, outputs: Cell(
        id=cid, cell_type=kind, source=source, outputs=outputs if kind == "code" else []
    ),
    st.uuids().map(lambda u: u.hex[:8]),
    st.sampled_from(["code", "markdown", "raw"]),
    _text,
    _outputs,
)
_cells = st.lists(_cell, max_size=60, unique_by=lambda c: c.id)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=_cells,
    budget=st.integers(min_value=0, max_value=4_000),
    count=st.sampled_from([estimate_tokens, halves, tenths]),
    task=_text,
    data=st.data(),
)
def test_property_never_over_budget(
    cells: list[Cell], budget: int, count: TokenCounter, task: str, data: st.DataObject
) -> None:
    active = data.draw(st.sampled_from([None, *(c.id for c in cells)]))
    outline = build_outline(snapshot(cells, active), task, budget_tokens=budget, count_tokens=count)
    assert outline.tokens == count(outline.text) <= budget
    ids = [c.id for c in cells]
    shown = [cid for cid in ids if cid in {*outline.full_ids, *outline.brief_ids}]
    assert len(shown) + outline.omitted == len(cells)
    assert list(outline.full_ids) + list(outline.brief_ids) == sorted(
        shown, key=lambda cid: (cid not in outline.full_ids, ids.index(cid))
    )
    if (
        outline.omitted
        and count(f"x {outline.omitted:,} of {len(cells):,} cells not shown") * 6 < budget
    ):
        assert f"{outline.omitted:,} of {len(cells):,} cells not shown" in outline.text
