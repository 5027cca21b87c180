"""Real kernels through nbclient, talking to the fake model server in this process; and the
offline replay of a recorded notebook by ``jupyter-plan run``."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_plan.testing.fake_server import FakeModelServer
from jupyter_plan.testing.lab import write_notebook as write
from jupyter_plan.testing.replays import offline_env, plan_files

API_KEY = "sk-kernel-test-0123456789"


@dataclass
class Kernel:
    client: NotebookClient
    nb: Any
    root: Path

    async def run(self, source: str) -> str:
        """Execute ``source`` as a new cell; its stdout (errors fail the test)."""
        self.nb.cells.append(nbformat.v4.new_code_cell(source))
        index = len(self.nb.cells) - 1
        cell = await self.client.async_execute_cell(self.nb.cells[index], index)
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    def send(self, comm_id: str, data: dict[str, Any]) -> None:
        """A widget comm message, as the browser sends it (clicks, value changes)."""
        kc = self.client.kc
        assert kc is not None
        msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        kc.shell_channel.send(msg)

    def click(self, comm_id: str) -> None:
        self.send(comm_id, {"method": "custom", "content": {"event": "click"}})

    def set_value(self, comm_id: str, value: Any) -> None:
        self.send(comm_id, {"method": "update", "state": {"value": value}, "buffer_paths": []})


class Cells:
    """A headless kernel's notebook: each run appends a cell and returns its outputs."""

    def __init__(self, client: NotebookClient) -> None:
        self.client = client

    async def run(self, source: str) -> list[Any]:
        nb = self.client.nb
        nb.cells.append(nbformat.v4.new_code_cell(source))
        index = len(nb.cells) - 1
        return list((await self.client.async_execute_cell(nb.cells[index], index)).outputs)

    async def one_line(self, source: str) -> str:
        """The single line the cell printed (asserting that is all it printed)."""
        outputs = [o for o in await self.run(source) if not _blank(o)]
        assert [o.output_type for o in outputs] == ["stream"], outputs
        text = outputs[0].text
        assert text.startswith("UsageError: ") and text.count("\n") == 1, text
        return text[len("UsageError: ") : -1]


def _blank(output: Any) -> bool:
    """A run's placeholder left empty once the error was said (shows nothing)."""
    data = output.get("data", {})
    return output.output_type == "display_data" and not data.get("text/markdown", "x").strip()


@contextlib.asynccontextmanager
async def headless_cells(project: Path, notebook: str) -> AsyncIterator[Cells]:
    """A kernel running an empty ``notebook`` in ``project`` as nbconvert would (no person,
    errors kept as outputs), with the extension loaded: headless, it prints nothing."""
    write_notebook(project / notebook, [])
    client = NotebookClient(
        nbformat.v4.new_notebook(),
        kernel_name="python3",
        timeout=120,
        allow_errors=True,
        resources={"metadata": {"path": str(project)}},
    )
    async with client.async_setup_kernel():
        cells = Cells(client)
        assert await cells.run("%load_ext jupyter_plan") == []
        yield cells


def write_notebook(path: Path, sources: list[str]) -> bytes:
    """The shared notebook writer (``jupyter_plan.testing.lab``); returns the file's bytes."""
    write(path, sources)
    return path.read_bytes()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_PLAN_ADMIN_DIR", str(tmp_path / "admin"))
    monkeypatch.setenv("JUPYTER_PLAN_MODEL", "openai/fake")
    monkeypatch.setenv("JUPYTER_PLAN_API_KEY", API_KEY)
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return root


class Script(list[Any]):
    """Turns for the fake model, played in order; a callable turn sees the request body."""

    def __call__(self, body: dict[str, Any]) -> Any:
        if not self:
            return None
        turn = self.pop(0)
        return turn(body) if callable(turn) else turn


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def server(script: Script, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeModelServer]:
    """Started before any kernel, so kernels inherit JUPYTER_PLAN_API_BASE."""
    with FakeModelServer(script) as srv:
        monkeypatch.setenv("JUPYTER_PLAN_API_BASE", srv.base_url)
        yield srv


@pytest.fixture
async def kernel(
    project: Path, server: FakeModelServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Kernel]:
    """A live-mode kernel (widgets without the lab extension) in the project folder."""
    monkeypatch.setenv("JUPYTER_PLAN_INTERACTIVE", "1")
    nb = nbformat.v4.new_notebook()
    client = NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(project)}}
    )
    async with client.async_setup_kernel():
        yield Kernel(client, nb, project)


@dataclass
class Replayed:
    out: Path  # the executed notebook
    shown: str  # every cell's outputs, as JSON text
    built: list[Any]  # the cells a build tagged (``metadata.jupyter_plan``)


def replay_offline(folder: Path, notebook: str, home: Path, recorded: dict[str, bytes]) -> Replayed:
    """``jupyter-plan run notebook`` in ``folder`` with no model, key or person (``home``
    holds the empty user and admin folders): it must succeed and leave the plan files and
    transcripts exactly as ``recorded``."""
    out = folder / "out.ipynb"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-plan"), "run", notebook, "--output", str(out)],
        cwd=folder, env=offline_env(home), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert plan_files(folder) == recorded  # every transcript and plan file, byte for byte
    executed = nbformat.read(out, as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in executed.cells])
    return Replayed(out, shown, [c for c in executed.cells if "jupyter_plan" in c.metadata])
