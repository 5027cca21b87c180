"""A replay never silently calls a model: a drifted replay with a model configured stops with
the drift and makes no model request; the model is called only when the person chooses to
re-plan live (``--live``); keeping the recorded plan (``--recorded``) calls nothing. A
difference in display data only (``MPLBACKEND=Agg``: no PNG) is a warning, not a drift."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from jupyter_plan.run.runner import RunResult, run_notebook
from jupyter_plan.testing.fake_server import FakeModelServer
from jupyter_plan.testing.replays import QUICKSTART, copy_notebooks, offline_env, plan_files

KEY = "sk-choices-test-0123456789"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The quickstart with replay 'auto' (a model may be called when nothing is recorded)
    and its task changed since the recording."""
    root = copy_notebooks(tmp_path / "notebooks")
    settings = root / ".jupyter_plan" / "settings.json"
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "replay": "auto"}))
    nb = nbformat.read(root / QUICKSTART, as_version=4)
    plan = next(c for c in nb.cells if c.source.startswith("%%plan"))
    plan.source = plan.source.replace("by region", "by product")
    nbformat.write(nb, root / QUICKSTART)
    return root


def _flag(folder: Path, flag: str) -> None:
    nb = nbformat.read(folder / QUICKSTART, as_version=4)
    plan = next(c for c in nb.cells if c.source.startswith("%%plan"))
    plan.source = plan.source.replace("%%plan ", f"%%plan {flag} ", 1)
    nbformat.write(nb, folder / QUICKSTART)


def _run(folder: Path, tmp_path: Path, server: FakeModelServer) -> RunResult:
    env = offline_env(tmp_path / "home")  # the project's model, reached at the fake server
    env.update(OPENAI_BASE_URL=server.base_url, JUPYTER_PLAN_API_KEY=KEY)
    return run_notebook(folder / QUICKSTART, tmp_path / "out.ipynb", env=env)


def test_a_drifted_replay_with_a_model_configured_makes_no_model_request(
    folder: Path, tmp_path: Path
) -> None:
    recorded = plan_files(folder)
    with FakeModelServer([]) as server:
        result = _run(folder, tmp_path, server)
    assert server.requests == []  # no silent call, though a model and a key are there
    assert result.error is not None and "replay drift at model turn 1" in result.error
    assert "%%plan --live" in result.error and "%%plan --recorded" in result.error
    assert plan_files(folder) == recorded


def test_re_planning_live_is_the_persons_choice_and_calls_the_model(
    folder: Path, tmp_path: Path
) -> None:
    _flag(folder, "--live")
    with FakeModelServer([]) as server:  # no turns: the call is answered with an error
        result = _run(folder, tmp_path, server)
    assert server.requests  # the person chose it: the model is asked (and retried)
    assert result.error is not None and "drift" not in result.error


def test_keeping_the_recorded_plan_calls_nothing(folder: Path, tmp_path: Path) -> None:
    _flag(folder, "--recorded")
    with FakeModelServer([]) as server:
        result = _run(folder, tmp_path, server)
    assert server.requests == []
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    plan_cell = next(c for c in executed.cells if c.source.startswith("%%plan"))
    shown = json.dumps(plan_cell.outputs)
    assert "application/vnd.jupyter-plan+json" in shown and "quickstart-sales" in shown
    # The build saw a notebook other than the recorded one: it drifts too, and asks nothing.
    assert result.error is not None and "build of plan 'quickstart-sales'" in result.error
    assert "%build --live" in result.error


def test_display_only_differences_are_a_warning_not_a_drift(tmp_path: Path) -> None:
    folder = copy_notebooks(tmp_path / "notebooks")
    recorded = plan_files(folder)
    env = {**offline_env(tmp_path / "home"), "MPLBACKEND": "Agg"}  # as on many CI machines

    result = run_notebook(folder / QUICKSTART, tmp_path / "out.ipynb", env=env)

    assert result.error is None, result.error
    assert plan_files(folder) == recorded
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    chart = next(c for c in executed.cells if "monthly.plot" in c.source)
    assert "image/png" not in json.dumps(chart.outputs)  # Agg: no image
    build = json.dumps(next(c for c in executed.cells if c.source == "%build").outputs)
    assert "Replay warnings" in build and f"cell '{chart.id}'" in build
    assert "out: [image/png] <Figure size 800x400 with 1 Axes>" in build


def test_a_pure_replay_never_imports_litellm(tmp_path: Path) -> None:
    folder = copy_notebooks(tmp_path / "notebooks")
    seen = tmp_path / "litellm-loaded"
    watch = (  # after every cell, whether litellm is loaded (silent: the notebook is as is)
        "import sys, pathlib\nget_ipython().events.register('post_run_cell', lambda r: "
        f"pathlib.Path({str(seen)!r}).write_text(str('litellm' in sys.modules)))"
    )

    result = run_notebook(
        folder / QUICKSTART, tmp_path / "out.ipynb", env=offline_env(tmp_path), prelude=watch
    )

    assert result.error is None, result.error
    assert result.built  # the plan and the build replayed
    assert seen.read_text() == "False"  # token counts come from the recorded usage
