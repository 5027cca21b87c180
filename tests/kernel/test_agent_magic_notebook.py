"""notebooks/agent/agent.ipynb replays offline (no model, no key): the agent's answer with
its investigator, the plan it entered and the build, leaving every recording byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

from jupyter_plan.testing.replays import copy_notebooks, plan_files

from .conftest import replay_offline


def test_the_agent_notebook_replays_offline_byte_identically(tmp_path: Path) -> None:
    root = copy_notebooks(tmp_path / "notebooks")
    folder = root / "agent"
    shutil.rmtree(folder / ".jupyter_plan" / "plans" / ".index", ignore_errors=True)  # as cloned
    recorded = plan_files(folder)  # the records: not the plan index, a cache
    assert any(name.endswith("agent.r1.json") for name in recorded)
    assert any(name.endswith("transcript.r1.json") for name in recorded)
    replayed = replay_offline(folder, "agent.ipynb", tmp_path / "home", recorded)
    assert "one price is missing" in replayed.shown  # the agent's answer, from the investigator
    assert replayed.built and "groupby" in replayed.built[0].source
