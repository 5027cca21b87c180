"""The recording driver the notebooks' record scripts share: its script, turn helpers and run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_plan.agent.runs import render
from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.recording import (
    Script,
    built_step,
    forget_plans,
    inserted_cell,
    model_env,
    never_replay,
    plan_file,
    record_headless,
    submitted_plan,
)


def project(tmp_path: Path, settings: dict[str, Any]) -> Path:
    (tmp_path / ".jupyter_plan" / "plans" / "old-plan").mkdir(parents=True)
    (tmp_path / ".jupyter_plan" / "plans" / "old-plan" / "plan.yaml").write_text("id: old\n")
    (tmp_path / ".jupyter_plan" / "plans" / "old-plan.md").write_text("# old\n")
    (tmp_path / ".jupyter_plan" / "settings.json").write_text(json.dumps(settings))
    return tmp_path


def test_the_script_plays_turns_in_order_and_makes_the_callable_ones_from_the_request() -> None:
    seen: list[dict[str, Any]] = []

    def second(body: dict[str, Any]) -> Any:
        seen.append(body)
        return text("two")

    script = Script([text("one"), second])

    assert script({"n": 1}) == text("one")
    assert script({"n": 2}) == text("two")
    assert seen == [{"n": 2}]
    assert script({"n": 3}) is None  # past the end: the server says so
    script.check_used()


def test_turns_left_over_are_an_error() -> None:
    script = Script([text("one"), text("two")])
    script({})
    with pytest.raises(RuntimeError, match="1 scripted model turns were not used"):
        script.check_used()


#: A build request as the planner and builder send it: the system prompt naming the plan
#: file, then two cells inserted (the last tool result names the newest).
REQUEST = {
    "messages": [
        {"role": "system", "content": render("plan_system.md", plan_file="p-1a2b.md", skills="")},
        {"role": "tool", "content": "Inserted code cell 'first' at index 2"},
        {"role": "assistant", "content": "running it"},
        {"role": "tool", "content": "Inserted code cell 'second' at index 3"},
        {"role": "user", "content": "go on"},
    ]
}


def test_the_turn_helpers_read_the_ids_only_the_run_knows() -> None:
    assert plan_file(REQUEST) == "p-1a2b.md"
    assert inserted_cell(REQUEST) == "second"


def test_the_shared_turns_write_submit_and_build_what_the_run_named() -> None:
    write, submit = submitted_plan("# Plan\n")
    insert, run, tick = built_step("S2", "x = 1", "x is 1")

    assert write(REQUEST) == tool_call(
        "write_file", {"file_path": "p-1a2b.md", "content": "# Plan\n"}
    )
    assert submit(REQUEST) == tool_call("exit_plan_mode", {"plan_filename": "p-1a2b.md"})
    assert insert == tool_call("insert_cell", {"source": "x = 1", "step_id": "S2"})
    assert run(REQUEST) == tool_call("run_cell", {"cell_id": "second"})
    assert tick == tool_call("update_step", {"step_id": "S2", "status": "done", "note": "x is 1"})


def test_settings_never_replay_for_the_block_and_come_back_byte_for_byte(tmp_path: Path) -> None:
    folder = project(tmp_path, {"model": "openai/gpt-4o", "replay": "auto"})
    settings = folder / ".jupyter_plan" / "settings.json"
    saved = settings.read_bytes()

    with pytest.raises(KeyError), never_replay(folder):
        assert json.loads(settings.read_text()) == {"model": "openai/gpt-4o", "replay": "never"}
        raise KeyError("a failed recording")

    assert settings.read_bytes() == saved


def test_forgetting_plans_empties_the_plan_directory(tmp_path: Path) -> None:
    folder = project(tmp_path, {})
    forget_plans(folder)
    assert list((folder / ".jupyter_plan" / "plans").iterdir()) == []
    forget_plans(tmp_path / "no-project")  # nothing to forget


def test_the_kernel_gets_the_fake_server_and_key_but_no_plan_settings_of_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JUPYTER_PLAN_MODEL", "openai/gpt-4o")
    monkeypatch.setenv("JUPYTER_PLAN_API_KEY", "sk-this-process")

    env = model_env("http://127.0.0.1:9/v1", "sk-fake", IPYTHONDIR="/tmp/ipython")

    assert env["JUPYTER_PLAN_API_KEY"] == "sk-fake"
    assert env["OPENAI_BASE_URL"] == "http://127.0.0.1:9/v1"
    assert env["IPYTHONDIR"] == "/tmp/ipython"
    assert "JUPYTER_PLAN_MODEL" not in env


def test_a_recording_that_leaves_turns_fails_and_restores_the_settings(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path, {"replay": "auto"})
    saved = (folder / ".jupyter_plan" / "settings.json").read_bytes()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("assert person == 'scripted', 'no startup file'")]
    nbformat.write(nb, folder / "tiny.ipynb")

    with pytest.raises(RuntimeError, match="1 scripted model turns were not used"):
        record_headless(
            folder, "tiny.ipynb", [text("unused")], "sk-fake", startup="person = 'scripted'\n"
        )

    assert list((folder / ".jupyter_plan" / "plans").iterdir()) == []
    assert (folder / ".jupyter_plan" / "settings.json").read_bytes() == saved
