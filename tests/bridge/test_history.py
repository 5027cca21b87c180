"""What the kernel ran, as the agent sees it: outputs from the kernel's own messages, found
by cell id (JupyterLab) or source (headless runners); the running cell from the request."""

from __future__ import annotations

from typing import Any

from jupyter_plan.bridge.as_run import AsRun, find_running
from jupyter_plan.bridge.history import History, RunningCell, install, outputs_of, running_cell
from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.models import Cell, NotebookSnapshot


class Session:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, stream: Any, msg_or_type: Any, content: Any = None, parent: Any = None,
             **kwargs: Any) -> Any:  # fmt: skip
        self.sent.append(msg_or_type)
        return {"sent": msg_or_type}


class Kernel:
    def __init__(self, parent: dict[str, Any] | None = None) -> None:
        self.session = Session()
        self.parent = parent

    def get_parent(self, channel: str = "shell") -> Any:
        return self.parent


def _request(msg_id: str, code: str, cell_id: str | None = None) -> dict[str, Any]:
    metadata = {"cellId": cell_id} if cell_id else {}
    return {
        "header": {"msg_id": msg_id, "msg_type": "execute_request"},
        "metadata": metadata,
        "content": {"code": code},
    }


def test_the_tap_records_each_execution_and_passes_every_message_on() -> None:
    kernel = Kernel()
    history = install(kernel)
    assert install(kernel) is history  # once per kernel
    send = kernel.session.send
    first, second = _request("m1", "x = 1\nx", "cell-a"), _request("m2", "print('hi')")
    assert send(None, "execute_input", {"code": "x = 1\nx", "execution_count": 4}, first) == {
        "sent": "execute_input"
    }
    send(None, "execute_result", {"data": {"text/plain": "1"}, "execution_count": 4}, first)
    send(None, "execute_input", {"code": "print('hi')", "execution_count": 5}, second)
    header = second["header"]  # streams come with the parent header only
    send(None, "stream", {"name": "stdout", "text": "h"}, header)
    send(None, "stream", {"name": "stdout", "text": "i\n"}, header)
    send(None, {"header": {"msg_type": "status"}, "content": {}, "parent_header": header})

    by_id = history.latest("cell-a", "anything")
    assert by_id is not None and by_id.execution_count == 4
    assert outputs_of(by_id)[0]["data"] == {"text/plain": "1"}
    by_source = history.latest("other-id", "print('hi')")  # headless: no cell id was sent
    assert by_source is not None
    assert outputs_of(by_source) == [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    assert history.latest("never", "ran") is None


def test_display_updates_and_captured_runs() -> None:
    history = History()
    request = _request("m1", "show()")
    history.observe("execute_input", {"code": "show()", "execution_count": 1}, request)
    shown = {"data": {"text/plain": "old"}, "metadata": {}, "transient": {"display_id": "d"}}
    history.observe("display_data", shown, request["header"])
    history.observe(
        "update_display_data", {**shown, "data": {"text/plain": "new"}}, {"msg_id": "x"}
    )
    history.record("built", "y = 2", [{"output_type": "stream", "name": "stdout", "text": "2"}], 7)
    ran = history.latest("c", "show()")
    assert ran is not None and outputs_of(ran)[0]["data"] == {"text/plain": "new"}
    built = history.latest("built", "")
    assert built is not None and built.execution_count == 7


def test_the_running_cell_comes_from_the_execute_request() -> None:
    class Shell:
        kernel = Kernel(_request("m", "%%plan\nTask", "plan-cell"))

    assert running_cell(Shell()) == RunningCell("plan-cell", "%%plan\nTask")
    assert running_cell(object()) == RunningCell(None, None)  # terminal IPython: not known
    cells = [
        Cell(id="a", cell_type="code", source="%%plan\nTask"),
        Cell(id="b", cell_type="code", source="%%plan\nTask"),
    ]
    assert find_running(cells, RunningCell("b", None)) == "b"
    assert find_running(cells[:1], RunningCell(None, "%%plan\nTask")) == "a"
    assert find_running(cells, RunningCell(None, "%%plan\nTask")) is None  # two: no guess


async def test_as_run_takes_outputs_from_the_kernel_not_the_file() -> None:
    history = History()
    request = _request("m1", "x", "a")
    history.observe("execute_input", {"code": "x", "execution_count": 3}, request)
    history.observe("stream", {"name": "stdout", "text": "this run\n"}, request["header"])
    stale = [{"output_type": "stream", "name": "stdout", "text": "saved long ago\n"}]
    snapshot = NotebookSnapshot(
        cells=[
            Cell(id="a", cell_type="code", source="x", outputs=stale, execution_count=9),
            Cell(id="b", cell_type="code", source="y", outputs=stale, execution_count=10),
        ],
        active_cell_id="b",  # the browser's selection: not the running cell
    )
    seen = await AsRun(MemoryBridge(snapshot), history, RunningCell("a", "x")).get_notebook()
    assert seen.active_cell_id == "a"
    assert seen.cells[0].outputs[0]["text"] == "this run\n" and seen.cells[0].execution_count == 3
    assert seen.cells[1].outputs == [] and seen.cells[1].execution_count is None  # not run here
