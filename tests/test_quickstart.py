"""The notebooks in notebooks/ run headless and offline, replaying their recordings: every
cell runs, the plan files do not change, the built cells are the recorded ones. A changed
task is reported as drift naming the plan and the turn; re-recording fixes it."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pytest

from jupyter_plan.run.runner import RunResult, run_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def offline_env(tmp_path: Path) -> dict[str, str]:
    """No model, no key, no api_base: whatever the developer's shell has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_PLAN_", "OPENAI_"))}
    env["JUPYTER_PLAN_USER_DIR"] = str(tmp_path / "user")
    return env


def copy_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def run(folder: Path, name: str, tmp_path: Path, out: str) -> RunResult:
    return run_notebook(folder / name, tmp_path / out / name, env=offline_env(tmp_path))


def plan_files(folder: Path) -> dict[str, bytes]:
    plans = folder / ".jupyter_plan" / "plans"
    return {
        str(p.relative_to(plans)): p.read_bytes()
        for p in plans.rglob("*")
        if p.is_file() and ".locks" not in p.parts  # who holds a plan right now: not a record
    }


def built_cells(path: Path) -> list[tuple[str, str, Any]]:
    nb = nbformat.read(path, as_version=4)
    return [
        (c.id, c.source, c.metadata["jupyter_plan"])
        for c in nb.cells
        if "jupyter_plan" in c.metadata
    ]


def recorder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "record_quickstart", NOTEBOOKS / "record_quickstart.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_replays_offline_twice_with_the_same_result(name: str, tmp_path: Path) -> None:
    folder = copy_notebooks(tmp_path)
    source = (folder / name).read_bytes()
    recorded = plan_files(folder)

    first = run(folder, name, tmp_path, "one")
    assert first.error is None, first.error
    second = run(folder, name, tmp_path, "two")
    assert second.error is None, second.error

    assert (folder / name).read_bytes() == source  # the run leaves the notebook as it was
    assert plan_files(folder) == recorded  # replays write back exactly what was recorded
    assert built_cells(first.output) == built_cells(second.output)
    if name == "quickstart.ipynb":
        cells = built_cells(first.output)
        assert [meta["step_id"] for _, _, meta in cells] == ["S1", "S2"]
        executed = nbformat.read(first.output, as_version=4)
        outputs = str([c.outputs for c in executed.cells if "jupyter_plan" in c.metadata])
        assert "59 rows -> 58; regions: East, North, South, West" in outputs
        assert "image/png" in outputs  # the chart

    # The report of its plans (jupyter-plan export), from the source and from the result.
    if name == "quickstart.ipynb":
        from jupyter_plan.export import export

        report, _ = export(folder / name, "md", "-")
        for section in ("### Revisions", "### Questions and answers", "### Reviews and approval",
                        "### Built cells", "### Tokens and cost"):  # fmt: skip
            assert section in report, section
        assert "Fill with the product's median price" in report
        shutil.copyfile(first.output, folder / "executed.ipynb")
        built_report, _ = export(folder / "executed.ipynb", "md", "-")
        built_section = built_report.split("### Built cells", 1)[1].split("### Tokens", 1)[0]
        assert "S1" in built_section and "S2" in built_section, built_section
        assert "No cell in the notebook was built" in report  # the source has none yet

    # The saved result, re-run top to bottom: the plan replays although the file now holds
    # its outputs and built cells, %build recognises its cells, they run as ordinary cells.
    shutil.copyfile(first.output, folder / name)
    third = run(folder, name, tmp_path, "three")
    assert third.error is None, third.error
    assert third.built == []  # nothing built again
    assert plan_files(folder) == recorded
    assert built_cells(third.output) == built_cells(first.output)
    rerun = nbformat.read(third.output, as_version=4)
    build_cell = next(c for c in rerun.cells if c.source.startswith("%build"))
    assert "already built" in str(build_cell.outputs)
    assert all(c.execution_count for c in rerun.cells if "jupyter_plan" in c.metadata)


def test_transcripts_are_plain_json_without_keys_or_machine_paths() -> None:
    # the plan index (.index/) is a machine cache, ignored by git, not a transcript
    paths = [p for p in NOTEBOOKS.rglob("*.json") if ".jupyter_plan" in p.parts]
    paths = [p for p in paths if ".index" not in p.parts]
    assert len(paths) >= 4  # the quickstart's and the JupyterLab-recorded notebook's
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("{\n  ") and text.endswith("}\n")  # indented: diffs well
        assert recorder().FAKE_KEY not in text and "sk-" not in text
        assert "127.0.0.1" not in text and str(NOTEBOOKS.parent) not in text


def test_a_changed_task_is_drift_naming_the_plan_and_turn(tmp_path: Path) -> None:
    folder = copy_notebooks(tmp_path)
    nb = nbformat.read(folder / "quickstart.ipynb", as_version=4)
    plan = next(c for c in nb.cells if c.source.startswith("%%plan"))
    plan.source = plan.source.replace("by region", "by product")
    nbformat.write(nb, folder / "quickstart.ipynb")
    recorded = plan_files(folder)

    result = run(folder, "quickstart.ipynb", tmp_path, "out")

    assert result.error is not None
    assert "ReplayDrift: replay drift at model turn 1" in result.error
    assert "plan 'quickstart-sales' revision 1" in result.error
    assert "-    Clean `sales`" in result.error and "by product" in result.error
    assert "\n-    Clean `sales`" in result.error  # the diff's own lines, not indented
    assert "%%plan --live" in result.error and "%%plan --recorded" in result.error
    assert plan_files(folder) == recorded  # a drifting replay leaves the recording alone


def test_re_recording_against_the_fake_server_then_replays(tmp_path: Path) -> None:
    folder = copy_notebooks(tmp_path)
    shipped = built_cells(run(folder, "quickstart.ipynb", tmp_path, "before").output)

    recorder().record(folder)
    result = run(folder, "quickstart.ipynb", tmp_path, "after")

    assert result.error is None, result.error
    assert built_cells(result.output) == shipped
    assert (folder / ".jupyter_plan" / "settings.json").read_bytes() == (
        NOTEBOOKS / ".jupyter_plan" / "settings.json"
    ).read_bytes()
