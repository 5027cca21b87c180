"""notebooks/pages/pages.ipynb replays offline (no model, no key, no person): the page the
``%%plan --page`` cell gave the planner, the person's hand-edited revision, their comments
on S1 and S2 with the model's marks, and the build, leaving every recording byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from jupyter_plan.testing.replays import (
    built_cells,
    copy_notebooks,
    plan_files,
    recorded_built_cells,
)

from .conftest import replay_offline


def _model_requests(recorded: dict[str, bytes]) -> str:
    return "".join(v.decode() for k, v in recorded.items() if k.endswith("transcript.r1.json"))


def test_the_pages_notebook_replays_offline_byte_identically(tmp_path: Path) -> None:
    root = copy_notebooks(tmp_path / "notebooks")
    folder = root / "pages"
    for cache in (".index", ".locks"):  # as cloned: both are git-ignored
        shutil.rmtree(folder / ".jupyter_plan" / "plans" / cache, ignore_errors=True)
    recorded = plan_files(folder)  # the records: not the plan index, a cache
    (meta,) = (yaml.safe_load(v) for k, v in recorded.items() if k.endswith("plan.yaml"))
    assert meta["pages"] == ["sales-conventions"]
    authors = [r.get("author", "agent") for r in meta["revisions"]]
    assert authors == ["agent", "person", "agent"]  # revision 2 is the person's hand edit
    assert [c["anchor"] for c in meta["revisions"][0]["comments"]] == ["S1", "S2"]
    marks = {m["anchor"]: m["addressed"] for m in meta["revisions"][2]["marks"]}
    assert marks == {"S1": True, "S2": False}
    requests = _model_requests(recorded)
    assert "never fill it" in requests  # the page reached the model
    assert "edited the plan by hand" in requests and "count the orders" in requests
    page = folder / ".jupyter_plan" / "pages" / "sales-conventions.md"
    page_bytes = page.read_bytes()

    replayed = replay_offline(folder, "pages.ipynb", tmp_path / "home", recorded)
    assert page.read_bytes() == page_bytes
    assert "never fill it" in replayed.shown  # %plan page show
    built = replayed.built
    assert [c.metadata["jupyter_plan"]["step_id"] for c in built] == ["S1", "S2"]
    assert "region_clean" in built[0].source and "groupby" in built[1].source
    expected = recorded_built_cells(folder, meta["id"])  # ids, sources, revision 3's steps
    assert built_cells(replayed.out) == expected and expected[0][2]["revision"] == 3
