"""A headless build edits the notebook in memory and writes it at safe points: each step's
end, and when the build ends, fails or is interrupted; another writer is never overwritten."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_plan.bridge import file as file_module
from jupyter_plan.bridge import notebook_file
from jupyter_plan.bridge.file import (
    FileBridge,
    load_notebook,
    read_for_edit,
    writes_at_safe_points,
)
from jupyter_plan.bridge.notebook_file import NotebookChanged, conflict_path
from jupyter_plan.models import NewCell
from jupyter_plan.testing.fake_server import FakeModelServer, http_error, stall, tool_call
from jupyter_plan.testing.lab import model_env, write_notebook
from jupyter_plan.testing.local_kernel import LocalKernel
from jupyter_plan.testing.plans import approved_plan


class Build:
    """What ``writes_at_safe_points`` needs of a build: its step callback."""

    def __init__(self) -> None:
        self.on_step: Any = None
        self.ticked: list[str] = []
        self.on_step = self.ticked.append


@pytest.fixture
def path(tmp_path: Path) -> Path:
    nb = tmp_path / "nb.ipynb"
    write_notebook(nb, ["a = 1", "b = 2"])
    return nb


def cell_sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


async def test_edits_wait_for_the_steps_end(path: Path) -> None:
    bridge, build = FileBridge(path), Build()
    before = path.read_bytes()
    with writes_at_safe_points(bridge, build):
        await bridge.insert_cells([NewCell(source="c = 3")])
        assert path.read_bytes() == before  # in memory only
        assert [c.source for c in (await bridge.get_notebook()).cells][-1] == "c = 3"
        build.on_step("S1")  # the step is ticked off: a safe point
        assert cell_sources(path)[-1] == "c = 3"
        await bridge.replace_cell(cell_ids(path)[0], "a = 10")
        assert cell_sources(path)[0] == "a = 1"
    assert cell_sources(path)[0] == "a = 10"  # the block's end is one too
    assert build.ticked == ["S1"]  # the build's own callback still runs


async def test_a_steps_end_skips_a_write_that_would_cost_more_than_its_share(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-ins for a 25 MB notebook: every write counts as costly and long ago is never.
    monkeypatch.setattr(notebook_file, "CHEAP", 0.0)
    monkeypatch.setattr(notebook_file, "SHARE", 1e9)
    bridge, build = FileBridge(path), Build()
    with writes_at_safe_points(bridge, build):
        await bridge.insert_cells([NewCell(source="c = 3")])
        build.on_step("S1")  # no write yet: the first is always due
        assert cell_sources(path)[-1] == "c = 3"
        await bridge.insert_cells([NewCell(source="d = 4")])
        build.on_step("S2")  # the last write was just now: not due
        assert cell_sources(path)[-1] == "c = 3"
    assert cell_sources(path)[-2:] == ["c = 3", "d = 4"]  # the build's end always writes
    assert build.ticked == ["S1", "S2"]


def cell_ids(path: Path) -> list[str]:
    return [c["id"] for c in json.loads(path.read_text())["cells"]]


@pytest.mark.parametrize(
    "stop", [RuntimeError("boom"), KeyboardInterrupt(), asyncio.CancelledError()]
)
async def test_an_error_or_interrupt_keeps_every_edit(path: Path, stop: BaseException) -> None:
    bridge = FileBridge(path)
    with pytest.raises(type(stop)), writes_at_safe_points(bridge, Build()):
        await bridge.insert_cells([NewCell(source="kept = 1")])
        await bridge.set_cell_metadata(cell_ids(path)[0], "tag", {"x": 1})
        raise stop
    nb = json.loads(path.read_text())
    assert "".join(nb["cells"][-1]["source"]) == "kept = 1"
    assert nb["cells"][0]["metadata"]["tag"] == {"x": 1}


async def test_every_write_is_whole_json_and_as_nbformat_writes_it(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    real = notebook_file.write_atomic

    def spy(target: Path, data: str | bytes) -> None:
        text = data if isinstance(data, str) else data.decode()
        json.loads(text)  # valid JSON, whole
        written.append(text)
        real(target, data)

    monkeypatch.setattr(notebook_file, "write_atomic", spy)
    bridge, build = FileBridge(path), Build()
    with writes_at_safe_points(bridge, build):
        (new,) = await bridge.insert_cells([NewCell(source="é = 'ü'\nline two")])
        await bridge.set_cell_metadata(new, "jupyter_plan", {"step_id": "S1"})
        build.on_step("S1")
        build.on_step("S1")  # nothing new: nothing written
    assert len(written) == 1
    assert written[0] == nbformat.writes(load_notebook(path)) + "\n"


RICH = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "P"},
                 "orig_nbformat": 3, "signature": "x"},
    "cells": [
        {"id": "m", "cell_type": "markdown", "metadata": {"trusted": True},
         "source": ["# T\n", "é"],
         "attachments": {"a.png": {"image/png": "iVBO", "text/plain": ["a\n", "b"]}}},
        {"id": "c", "cell_type": "code", "metadata": {"tags": ["x"]}, "execution_count": 3,
         "source": "print(1)\n1",
         "outputs": [
             {"output_type": "stream", "name": "stdout", "text": ["1\n", "2\n"]},
             {"output_type": "execute_result", "execution_count": 3, "metadata": {},
              "data": {"text/plain": ["1\n", "x"], "application/json": {"a": [1, "b"]},
                       "image/svg+xml": "<svg>\n</svg>", "image/png": "iVBO\n"}},
             {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t1", "t2"]},
         ]},
        {"id": "r", "cell_type": "raw", "metadata": {}, "source": ""},
    ],
}  # fmt: skip


def test_the_plain_reader_and_writer_match_nbformat(tmp_path: Path) -> None:
    path = tmp_path / "rich.ipynb"
    path.write_text(json.dumps(RICH))
    ours, theirs = read_for_edit(path)[0], load_notebook(path)
    assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)
    held = notebook_file.NotebookFile(path, read_for_edit)
    held.notebook()
    assert held.dumps() == nbformat.writes(theirs) + "\n"
    # A file nbformat wrote: its cells' text is kept, and the next write is the same again.
    nbformat.write(theirs, path)
    (theirs := load_notebook(path)).cells[1].source = "changed = 1"
    held = notebook_file.NotebookFile(path, read_for_edit)
    held.notebook().cells[1]["source"] = "changed = 1"
    assert set(held._cells) == {"m", "c", "r"}
    held.changed("c")
    assert held.dumps() == nbformat.writes(theirs) + "\n"


def test_editing_a_notebook_file_does_not_import_nbformat(path: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from jupyter_plan.bridge.file import FileBridge\n"
        "from jupyter_plan.models import NewCell\n"
        f"b = FileBridge({str(path)!r})\n"
        "asyncio.run(b.insert_cells([NewCell(source='z = 1')]))\n"
        "asyncio.run(b.get_notebook())\n"
        "print('nbformat' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
    assert cell_sources(path)[-1] == "z = 1"


async def test_reading_outputs_does_not_read_the_file_again(
    path: Path, monkeypatch: pytest.MonkeyPatch, executor: Any
) -> None:
    reads: list[Path] = []

    def counting(p: Path) -> Any:
        reads.append(p)
        return read_for_edit(p)

    monkeypatch.setattr(file_module, "read_for_edit", counting)
    bridge, build = FileBridge(path, executor), Build()
    with writes_at_safe_points(bridge, build):
        (new,) = await bridge.insert_cells([NewCell(source="print('out')")])
        (run,) = await bridge.run_cells([new])
        await bridge.set_cell_metadata(new, "jupyter_plan", {"step_id": "S1"})
        await bridge.get_notebook()
        build.on_step("S1")
    assert run.status == "ok"
    assert len(reads) == 1
    stored = json.loads(path.read_text())["cells"][-1]["outputs"]
    assert "".join(stored[0]["text"]) == "out\n"


async def test_another_writer_is_detected_not_overwritten(path: Path) -> None:
    bridge = FileBridge(path)
    changed = pytest.raises(NotebookChanged, match="changed on disk by another program")
    with changed, writes_at_safe_points(bridge, Build()):
        await bridge.insert_cells([NewCell(source="ours = 1")])
        write_notebook(path, ["theirs = 1"])  # JupyterLab saved, a colleague, git…
    assert cell_sources(path) == ["theirs = 1"]
    assert cell_sources(conflict_path(path))[-1] == "ours = 1"  # ours, kept beside it


async def test_a_change_on_disk_with_nothing_unsaved_is_read_again(path: Path) -> None:
    bridge = FileBridge(path)
    await bridge.get_notebook()
    write_notebook(path, ["theirs = 1"])
    assert [c.source for c in (await bridge.get_notebook()).cells] == ["theirs = 1"]


@pytest.fixture
def executor() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_plan.bridge.execute import ShellExecutor

    return ShellExecutor(InteractiveShell.instance())


# -- a real kernel ------------------------------------------------------------------------

PLAN = "# Three cells\n\n## Steps\n" + "".join(
    f"### S{i}. Step {i}\nAdd cell {i}.\nVerify: s{i} = {i}\n" for i in (1, 2, 3)
)


def step(i: int) -> list[Any]:
    return [
        tool_call("insert_cell", {"source": f"s{i} = {i}\nprint(s{i})", "step_id": f"S{i}"}),
        lambda body: tool_call("run_cell", {"cell_id": _inserted(body)}),
        tool_call("update_step", {"step_id": f"S{i}", "status": "done", "note": "ok"}),
    ]


def _inserted(body: dict[str, Any]) -> str:
    last = next(m for m in reversed(body["messages"]) if m["role"] == "tool")
    return str(last["content"]).split("'")[1]


class Script:
    def __init__(self, turns: list[Any]) -> None:
        self.turns = turns

    def __call__(self, body: dict[str, Any]) -> Any:
        turn = self.turns.pop(0)
        return turn(body) if callable(turn) else turn


def build_until(tmp_path: Path, last: Any, interrupt: threading.Event | None) -> tuple[Path, str]:
    """Steps 1 and 2, step 3's cell inserted, then ``last``; the notebook's path and the
    ``%build`` cell's text."""
    project = tmp_path / "project"
    (project / ".jupyter_plan").mkdir(parents=True)
    approved_plan(project / ".jupyter_plan/plans", "three", PLAN)
    write_notebook(project / "nb.ipynb", ["x = 0", "%build three --yes --notebook nb.ipynb"])
    turns = [*step(1), *step(2), step(3)[0], last]
    with FakeModelServer(Script(turns)) as fake:
        env = model_env(fake.base_url, tmp_path)
        with LocalKernel(project, env) as kernel:
            kernel.run("%load_ext jupyter_plan")
            sent = kernel.send("%build three --yes --notebook nb.ipynb")
            if interrupt is not None:
                assert interrupt.wait(timeout=300), "the build never reached step 3"
                kernel._km.interrupt_kernel()  # type: ignore[union-attr]
            reply = kernel.wait(sent)
    return project / "nb.ipynb", reply.text


def check_three_cells_kept(path: Path) -> None:
    nb = json.loads(path.read_text())  # whole JSON
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert sources[-3:] == ["s1 = 1\nprint(s1)", "s2 = 2\nprint(s2)", "s3 = 3\nprint(s3)"]
    outputs = ["".join(o.get("text", "")) for c in nb["cells"][-3:-1] for o in c["outputs"]]
    assert outputs == ["1\n", "2\n"]  # the finished steps' outputs too


def test_an_interrupt_mid_build_keeps_every_edit_on_disk(tmp_path: Path) -> None:
    hang = stall(threading.Event())
    path, shown = build_until(tmp_path, hang, hang.reached)
    hang.release.set()
    assert "KeyboardInterrupt" in shown or "interrupt" in shown.lower()
    check_three_cells_kept(path)  # step 3's cell came after the last step's end


def test_a_failing_build_keeps_every_edit_on_disk(tmp_path: Path) -> None:
    path, shown = build_until(tmp_path, http_error(400, "no such model"), None)
    assert "no such model" in shown
    check_three_cells_kept(path)
