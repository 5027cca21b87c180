"""Record a notebook's plans against the fake model: what the ``notebooks/record_*.py`` share.

A recording runs the notebook with ``replay = "never"`` while :class:`FakeModelServer` plays a
scripted conversation, so the transcripts it leaves replay offline (no model, key or network).
Each script keeps only what is its own: its notebook, the model's turns and the person's side.
Change a conversation in its script and re-record, never the transcripts by hand.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_plan.run.runner import run_notebook
from jupyter_plan.testing.fake_server import FakeModelServer, tool_call


class Script:
    """The model's side, one turn per request. A callable turn is called with the request
    body, for what only the run knows (the id of the cell just inserted, the plan file)."""

    def __init__(self, turns: Iterable[Any]) -> None:
        self.turns = list(turns)

    def __call__(self, body: dict[str, Any]) -> Any:
        if not self.turns:
            return None  # the server answers that the script has no more turns
        turn = self.turns.pop(0)
        return turn(body) if callable(turn) else turn

    def check_used(self) -> None:
        """Raise if turns are left: the notebook asked the model less than scripted."""
        if self.turns:
            raise RuntimeError(f"{len(self.turns)} scripted model turns were not used")


def inserted_cell(body: dict[str, Any]) -> str:
    """The id of the cell the last ``insert_cell`` made (its tool result names it)."""
    last = next(m for m in reversed(body["messages"]) if m["role"] == "tool")
    found = re.search(r"cell '([^']+)'", str(last["content"]))
    assert found, last
    return found.group(1)


def plan_file(body: dict[str, Any]) -> str:
    """The plan document the planner's system prompt names (``only `<id>.md```): its id is
    chosen by the run, so the script cannot know it in advance."""
    found = re.search(r"only `([^`]+\.md)`", str(body["messages"][0]["content"]))
    assert found, "the system prompt names no plan file"
    return found.group(1)


def submitted_plan(markdown: str) -> list[Any]:
    """Two turns: write ``markdown`` to the plan document the run named, submit it."""
    return [
        lambda body: tool_call("write_file", {"file_path": plan_file(body), "content": markdown}),
        lambda body: tool_call("exit_plan_mode", {"plan_filename": plan_file(body)}),
    ]


def built_step(step_id: str, source: str, note: str) -> list[Any]:
    """Three turns of a build: insert the step's cell, run it, mark the step done."""
    return [
        tool_call("insert_cell", {"source": source, "step_id": step_id}),
        lambda body: tool_call("run_cell", {"cell_id": inserted_cell(body)}),
        tool_call("update_step", {"step_id": step_id, "status": "done", "note": note}),
    ]


def live_settings(settings: Path) -> str:
    """``settings`` (a project's settings.json) with ``replay = "never"``: a recording must
    ask the model, whatever is already recorded."""
    return json.dumps({**json.loads(settings.read_text(encoding="utf-8")), "replay": "never"})


@contextmanager
def never_replay(folder: Path) -> Iterator[None]:
    """The project's settings set to ``replay = "never"`` for the block, restored after."""
    settings = folder / ".jupyter_plan" / "settings.json"
    saved = settings.read_text(encoding="utf-8")
    try:
        settings.write_text(live_settings(settings), "utf-8")
        yield
    finally:
        settings.write_text(saved, encoding="utf-8")


def forget_plans(folder: Path) -> None:
    """Empty the project's plan directory: a recording starts from no plans."""
    plans = folder / ".jupyter_plan" / "plans"
    for path in sorted(plans.rglob("*"), reverse=True) if plans.exists() else []:
        path.rmdir() if path.is_dir() else path.unlink()


def model_env(base_url: str, key: str, **extra: str) -> dict[str, str]:
    """This process's environment with no ``JUPYTER_PLAN_*`` of its own, the way to the fake
    server (``api_base`` stays unset: it is not in a transcript's keys) and a fake key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_PLAN_")}
    env.update(
        JUPYTER_PLAN_API_KEY=key,
        OPENAI_BASE_URL=base_url,
        LITELLM_LOCAL_MODEL_COST_MAP="True",  # no download of litellm's price list
        **extra,
    )
    return env


def record_headless(
    folder: Path,
    notebook: str,
    turns: Iterable[Any],
    key: str,
    *,
    prelude: str | None = None,
    startup: str | None = None,
) -> None:
    """Record ``folder/notebook`` headless: forget its plans, run it top to bottom against the
    fake server playing ``turns``. ``prelude`` is code run silently first; ``startup`` an
    IPython startup file in a temporary ``IPYTHONDIR`` (only this recording's kernel has it).
    Raises if the notebook fails or turns are left over."""
    forget_plans(folder)
    script = Script(turns)
    with (
        never_replay(folder),
        FakeModelServer(script) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        extra = {}
        if startup is not None:
            ipython = Path(tmp) / "ipython"
            (ipython / "profile_default" / "startup").mkdir(parents=True)
            (ipython / "profile_default" / "startup" / "00-person.py").write_text(startup, "utf-8")
            extra["IPYTHONDIR"] = str(ipython)
        env = model_env(server.base_url, key, **extra)
        result = run_notebook(folder / notebook, Path(tmp) / notebook, env=env, prelude=prelude)
    if result.error is not None:
        raise RuntimeError(f"recording {notebook} failed: {result.error}")
    script.check_used()


def target_folder(default: Path) -> Path:
    """The folder named on the command line, else ``default`` (the script's own)."""
    return Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else default
