"""In a real ipykernel 7: the executor nested in a cell and in a background task, a headless
file build driven synchronously, and the comm bridge answered from a subshell thread.

The test plays JupyterLab with a plain kernel client: it opens the comm, reads the kernel's
requests from IOPub and answers them on the shell channel.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipykernel
import nbformat
import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

from .conftest import cells, write_notebook

WAIT = 60  # a safety net against a hung kernel, never what a test measures

DRIVE = """
from jupyter_plan.bridge.execute import ShellExecutor
ex = ShellExecutor(get_ipython())
def drive(coro):
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("suspended")
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlockingKernelClient]:
    cwd = tmp_path_factory.mktemp("kernel")
    km: KernelManager
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        run(kc, DRIVE)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc: BlockingKernelClient, code: str) -> list[dict[str, Any]]:
    """Execute a cell; its outputs as the frontend would store them."""
    outputs: list[dict[str, Any]] = []

    def hook(msg: dict[str, Any]) -> None:
        kind = msg["msg_type"]
        if kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append({"output_type": kind, **msg["content"]})

    reply = kc.execute_interactive(code, output_hook=hook, timeout=WAIT)
    assert reply["content"]["status"] == "ok", outputs
    return outputs


def printed(outputs: list[dict[str, Any]]) -> str:
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream")


def test_executor_inside_a_running_cell(kernel: BlockingKernelClient) -> None:
    outputs = run(
        kernel,
        "r = drive(ex.execute(\"print('inner')\\nfrom IPython.display import HTML, display\\n"
        "display(HTML('<b>x</b>'))\\n1 / 0\"))\n"
        "r2 = drive(ex.execute('6 * 7'))\n"
        "import json\n"
        "print(json.dumps([[o['output_type'] for o in r.outputs], r.status, r.error, "
        "r2.outputs[0]['data']]))\n"
        "'outer'",
    )
    # Only the outer cell's own outputs reach the frontend.
    assert [o["output_type"] for o in outputs] == ["stream", "execute_result"]
    assert outputs[1]["data"]["text/plain"] == "'outer'"
    kinds, status, error, data = json.loads(printed(outputs))
    assert kinds == ["stream", "display_data", "error"]
    assert (status, error, data) == (
        "error",
        "ZeroDivisionError: division by zero",
        {"text/plain": "42"},
    )


def test_executor_in_a_background_task(kernel: BlockingKernelClient) -> None:
    started = run(
        kernel, "import asyncio\ntask = asyncio.ensure_future(ex.execute(\"print('bg')\\n'v'\"))"
    )
    assert started == []
    outputs = run(kernel, "r = await task\nprint([o['output_type'] for o in r.outputs], r.status)")
    assert printed(outputs) == "['stream', 'execute_result'] ok\n"


def test_headless_file_build_driven_synchronously(
    kernel: BlockingKernelClient, tmp_path: Path
) -> None:
    path = tmp_path / "built.ipynb"
    write_notebook(path, cells())
    run(
        kernel,
        "from jupyter_plan.bridge.file import FileBridge\n"
        "from jupyter_plan.models import NewCell\n"
        f"b = FileBridge({str(path)!r}, ex)\n"
        "(new,) = drive(b.insert_cells([NewCell(source='z = 5\\nz * 2')], after='a'))\n"
        "runs = drive(b.run_cells(['a', new]))\n",
    )
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    new = nb.cells[1]
    assert new.source == "z = 5\nz * 2"
    assert new.outputs[0]["data"]["text/plain"] == "10"
    assert nb.cells[0].execution_count + 1 == new.execution_count


def _iopub_comm_msg(kc: BlockingKernelClient, comm_id: str) -> dict[str, Any]:
    while True:
        msg = kc.get_iopub_msg(timeout=WAIT)
        if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == comm_id:
            data: dict[str, Any] = msg["content"]["data"]
            return data


def run_in_subshell(kc: BlockingKernelClient, subshell: str, code: str) -> None:
    msg = kc.session.msg("execute_request", {"code": code, "silent": False})
    msg["header"]["subshell_id"] = subshell
    kc.shell_channel.send(msg)
    while True:
        reply = kc.get_shell_msg(timeout=WAIT)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            assert reply["content"]["status"] == "ok", reply["content"]
            return


@pytest.mark.skipif(
    int(ipykernel.__version__.split(".")[0]) < 7, reason="subshells arrived in ipykernel 7"
)
def test_comm_bridge_answered_on_a_subshell_thread(kernel: BlockingKernelClient) -> None:
    """ipykernel 7 routes a comm reply to the subshell that last sent on the comm: here
    the reply to a request awaited on the main loop is handled on a subshell's thread."""
    run(
        kernel,
        "from jupyter_plan.bridge.locate import default_registry\ndefault_registry().attach()",
    )
    comm_id = uuid.uuid4().hex
    open_data = {"path": "work/live.ipynb", "notebook_id": "n1", "capabilities": [], "protocol": 1}
    kernel.shell_channel.send(
        kernel.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": "jupyter_plan", "data": open_data}
        )
    )
    assert _iopub_comm_msg(kernel, comm_id) == {"op": "ready", "args": {"protocol": 1}}
    run(
        kernel,
        "import asyncio, threading\n"
        "bridge = default_registry().for_path('work/live.ipynb')\n"
        "seen = []\n"
        "def spy(msg, _orig=bridge._on_msg):\n"
        "    seen.append(threading.get_ident())\n"
        "    _orig(msg)\n"
        "bridge.comm.on_msg(spy)\n"
        "main = threading.get_ident()\n"
        "task = asyncio.ensure_future(bridge.get_notebook())",
    )
    request = _iopub_comm_msg(kernel, comm_id)
    assert (request["op"], request["args"]) == ("get_notebook", {})

    kernel.control_channel.send(kernel.session.msg("create_subshell_request", {}))
    subshell = kernel.get_control_msg(timeout=WAIT)["content"]["subshell_id"]
    run_in_subshell(
        kernel, subshell, "sub = threading.get_ident()\nbridge.send_event('state', {'n': 1})"
    )
    assert _iopub_comm_msg(kernel, comm_id) == {"op": "state", "args": {"n": 1}}

    result = {"cells": [{"id": "a", "cell_type": "code", "source": "x = 1"}]}
    kernel.shell_channel.send(
        kernel.session.msg(
            "comm_msg",
            {"comm_id": comm_id, "data": {"id": request["id"], "ok": True, "result": result}},
        )
    )
    outputs = run(kernel, "nb = await task\nprint(nb.cells[0].source, seen == [sub], sub != main)")
    assert printed(outputs) == "x = 1 True True\n"
