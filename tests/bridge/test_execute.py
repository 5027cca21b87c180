"""ShellExecutor: code runs in a real InteractiveShell; everything it shows becomes outputs."""

from __future__ import annotations

import asyncio
import base64
import sys
from collections.abc import Coroutine
from typing import Any

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.bridge.execute import Execution, ShellExecutor

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def kinds(run: Execution) -> list[str]:
    return [o["output_type"] for o in run.outputs]


# code -> (status, output types, a check on the outputs)
CASES: list[tuple[str, str, str, list[str], Any]] = [
    (
        "print",
        "print('hello'); print('world')",
        "ok",
        ["stream"],
        lambda o: o[0] == {"output_type": "stream", "name": "stdout", "text": "hello\nworld\n"},
    ),
    (
        "stderr",
        "import sys; print('out'); print('warn', file=sys.stderr)",
        "ok",
        ["stream", "stream"],
        lambda o: (
            [(x["name"], x["text"]) for x in o] == [("stdout", "out\n"), ("stderr", "warn\n")]
        ),
    ),
    (
        "result",
        "6 * 7",
        "ok",
        ["execute_result"],
        lambda o: o[0]["data"] == {"text/plain": "42"} and o[0]["execution_count"] is not None,
    ),
    ("semicolon", "6 * 7;", "ok", [], None),
    ("statement", "y_statement = 1", "ok", [], None),
    (
        "display",
        "from IPython.display import HTML, display\ndisplay(HTML('<b>hi</b>'))\nprint('after')",
        "ok",
        ["display_data", "stream"],
        lambda o: o[0]["data"]["text/html"] == "<b>hi</b>" and o[1]["text"] == "after\n",
    ),
    (
        "rich repr",
        "class Rich:\n    def _repr_html_(self):\n        return '<i>rich</i>'\nRich()",
        "ok",
        ["execute_result"],
        lambda o: o[0]["data"]["text/html"] == "<i>rich</i>" and "text/plain" in o[0]["data"],
    ),
    (
        "png",
        "from IPython.display import Image\nImage(data=PNG)",
        "ok",
        ["execute_result"],
        lambda o: base64.b64decode(o[0]["data"]["image/png"]) == PNG,
    ),
    (
        "json",
        "from IPython.display import JSON, display\ndisplay(JSON({'a': [1, 2]}))",
        "ok",
        ["display_data"],
        lambda o: o[0]["data"]["application/json"] == {"a": [1, 2]},
    ),
    (
        "update",
        "from IPython.display import display\nh = display('one', display_id=True)\nh.update('two')",
        "ok",
        ["display_data"],
        lambda o: o[0]["data"]["text/plain"] == "'two'",
    ),
    (
        "clear",
        "from IPython.display import clear_output\nprint('gone')\nclear_output()\nprint('kept')",
        "ok",
        ["stream"],
        lambda o: o[0]["text"] == "kept\n",
    ),
    (
        "clear wait",
        "from IPython.display import clear_output\nprint('gone')\nclear_output(wait=True)\n"
        "print('kept')",
        "ok",
        ["stream"],
        lambda o: o[0]["text"] == "kept\n",
    ),
    (
        "error",
        "print('before')\nraise ValueError('bad value')",
        "error",
        ["stream", "error"],
        lambda o: (
            (o[1]["ename"], o[1]["evalue"]) == ("ValueError", "bad value")
            and any("bad value" in line for line in o[1]["traceback"])
        ),
    ),
    (
        "syntax error",
        "def broken(:\n    pass",
        "error",
        ["error"],
        lambda o: o[0]["ename"] == "SyntaxError",
    ),
    (
        "unknown magic",
        "%no_such_magic_here",
        "error",
        ["stream", "error"],
        lambda o: o[1]["ename"] == "UsageError",
    ),
    (
        "keyboard interrupt",
        "raise KeyboardInterrupt",
        "error",
        ["error"],
        lambda o: o[0]["ename"] == "KeyboardInterrupt",
    ),
    (
        "exception group",
        "raise ExceptionGroup('many', [ValueError(1), TypeError(2)])",
        "error",
        ["stream", "error"],
        lambda o: o[1]["ename"] == "ExceptionGroup",
    ),
    (
        "top-level await",
        "import asyncio\nawait asyncio.sleep(0)\nprint('awaited')\n'done'",
        "ok",
        ["stream", "execute_result"],
        lambda o: o[1]["data"]["text/plain"] == "'done'",
    ),
]


@pytest.mark.parametrize(
    ("code", "status", "types", "check"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_outputs(
    shell: InteractiveShell,
    executor: ShellExecutor,
    code: str,
    status: str,
    types: list[str],
    check: Any,
) -> None:
    shell.user_ns["PNG"] = PNG
    stdout, displayhook, pub = sys.stdout, sys.displayhook, shell.display_pub
    run = await executor.execute(code)
    assert (run.status, kinds(run)) == (status, types), run.outputs
    if check is not None:
        assert check(run.outputs), run.outputs
    if status == "error":
        error = next(o for o in run.outputs if o["output_type"] == "error")
        assert run.error == f"{error['ename']}: {error['evalue']}"
    else:
        assert run.error is None
    for output in run.outputs:  # every output is valid nbformat
        nbformat.validate(nbformat.from_dict(output), ref="output", version=4, version_minor=5)
    # the shell is exactly as it was
    assert (sys.stdout, sys.displayhook, shell.display_pub) == (stdout, displayhook, pub)
    assert "_showtraceback" not in vars(shell)


async def test_history_and_counts_like_a_cell(
    shell: InteractiveShell, executor: ShellExecutor
) -> None:
    first = await executor.execute("6 * 7")
    second = await executor.execute("_ + 1")
    assert second.execution_count == first.execution_count + 1  # type: ignore[operator]
    assert second.outputs[0]["data"] == {"text/plain": "43"}
    assert shell.user_ns["Out"][second.execution_count] == 43
    assert shell.user_ns["In"][second.execution_count] == "_ + 1"
    assert shell.execution_count == second.execution_count + 1  # type: ignore[operator]


async def test_from_a_background_task(executor: ShellExecutor) -> None:
    task = asyncio.create_task(executor.execute("print('bg'); 'task'"))
    run = await task
    assert kinds(run) == ["stream", "execute_result"]


def drive(coro: Coroutine[Any, Any, Execution]) -> Execution:
    """Run ``execute`` to the end without an event loop (what a synchronous magic does)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    raise AssertionError("execute suspended for code without top-level await")


def test_from_inside_a_running_cell(
    shell: InteractiveShell, executor: ShellExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    runs: list[Execution] = []

    def jp_test_build(line: str) -> None:
        runs.append(drive(executor.execute("print('inner'); 1 / 0")))
        runs.append(drive(executor.execute("'inner value'")))

    shell.register_magic_function(jp_test_build)
    try:
        capsys.readouterr()
        outer = shell.run_cell(
            "print('outer before')\n%jp_test_build\n'outer value'", store_history=True
        )
    finally:
        del shell.magics_manager.magics["line"]["jp_test_build"]
    assert outer.success and outer.result == "outer value"  # the outer cell is untouched
    bad, good = runs
    assert (bad.status, kinds(bad)) == ("error", ["stream", "error"])
    assert bad.outputs[0]["text"] == "inner\n"
    assert good.outputs[0]["data"] == {"text/plain": "'inner value'"}
    assert good.execution_count == outer.execution_count + 2  # type: ignore[operator]
    printed = capsys.readouterr().out
    assert "outer before" in printed and "inner" not in printed and "ZeroDivision" not in printed


async def test_async_runs_do_not_interleave_their_capture(executor: ShellExecutor) -> None:
    code = "import asyncio\nprint('{0} start')\nawait asyncio.sleep(0)\nprint('{0} end')"
    one, two = await asyncio.gather(
        executor.execute(code.format("one")), executor.execute(code.format("two"))
    )
    assert one.outputs == [
        {"output_type": "stream", "name": "stdout", "text": "one start\none end\n"}
    ]
    assert two.outputs == [
        {"output_type": "stream", "name": "stdout", "text": "two start\ntwo end\n"}
    ]


def test_as_run_names_the_cell() -> None:
    run = Execution(status="error", execution_count=3, outputs=[], error="E: x").as_run("c1")
    assert (run.cell_id, run.status, run.execution_count, run.error) == ("c1", "error", 3, "E: x")
