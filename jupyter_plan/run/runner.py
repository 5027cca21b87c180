"""``jupyter-plan run``: execute a plan notebook headless, built cells included.

The notebook runs top to bottom through nbclient, as ``jupyter nbconvert --execute`` would.
The kernel is told which notebook it runs (``JUPYTER_PLAN_NOTEBOOK``): it reads the cells
from the file and never writes it. A ``%build`` edits the kernel's copy and sends its cells
back as an output of the ``%build`` cell; they become cells of the executed notebook right
after that cell ran (``run/expand.py``), with the outputs they got, and are not run again.
What the planner sees comes from the kernel (``bridge/history.py``), not from the file, so
whether the notebook was saved with outputs makes no difference.

The executed notebook goes to ``--output`` (default ``<name>.executed.ipynb`` beside it);
the source file is never written, so the next run sees the same notebook (and so replays
the same transcripts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_plan.bridge.file import load_notebook
from jupyter_plan.bridge.locate import RUNNER_ENV
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.run.expand import execute_expanding


@dataclass
class RunResult:
    output: Path
    html: Path | None
    error: str | None = None  # the failing cell's error (a replay drift included)
    built: list[str] = field(default_factory=list)  # ids of cells a build added


def default_output(source: Path) -> Path:
    return source.with_name(f"{source.stem}.executed.ipynb")


def kernel_env(source: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: ``env`` (default: this process's) naming the notebook."""
    return {**(os.environ if env is None else env), RUNNER_ENV: str(source.resolve())}


def _execute(client: Any, env: dict[str, str], prelude: str | None) -> RunResult:
    from nbclient.exceptions import CellExecutionError

    nb = client.nb
    error: str | None = None
    with client.setup_kernel(env=env):
        info = client.wait_for_reply(client.kc.kernel_info())
        if info is not None and "language_info" in info["content"]:
            nb.metadata["language_info"] = info["content"]["language_info"]
        if prelude:  # silent: no outputs, no history, the execution count unchanged
            reply = client.wait_for_reply(
                client.kc.execute(prelude, silent=True, store_history=False)
            )
            if reply is None or reply["content"].get("status") != "ok":
                content = reply["content"] if reply else {}
                raise RuntimeError(f"the prelude failed: {content.get('evalue', content)}")

        def execute(cell: Any, index: int) -> None:
            nonlocal error
            if error is not None:
                return  # after a failure: the rest is left as it is (not run)
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                error = f"cell {index + 1} (id {cell.get('id')}) failed:\n{exc}"

        built = execute_expanding(nb, execute, client)
        client.set_widgets_metadata()
    return RunResult(Path(), None, error, [str(c.get("id")) for c in built])


def run_notebook(
    source: Path,
    output: Path | None = None,
    *,
    html: bool = False,
    timeout: int = 600,
    kernel_name: str | None = None,
    env: dict[str, str] | None = None,
    prelude: str | None = None,
) -> RunResult:
    """Execute ``source`` top to bottom, write the executed notebook (and HTML); never raise
    for a failing cell: the result carries the error. ``env`` is the kernel's environment
    (default: this process's); ``prelude`` is code run silently first (recording scripts)."""
    import nbformat
    from nbclient import NotebookClient

    source = source.resolve()
    output = (output or default_output(source)).resolve()
    nb = load_notebook(source)
    kernel = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(source.parent)}},
    )
    result = _execute(client, kernel_env(source, env), prelude)
    output.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    write_atomic(output, text if text.endswith("\n") else text + "\n")
    result.output = output
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        result.html = output.with_suffix(".html")
        write_atomic(result.html, body)
    return result


def main(notebook: str, output: str | None, html: bool, timeout: int) -> int:
    """The ``jupyter-plan run`` command: 0 when every cell ran, 1 otherwise."""
    import sys

    source = Path(notebook)
    if not source.is_file():
        print(f"jupyter-plan run: no such notebook: {notebook}", file=sys.stderr)
        return 2
    result = run_notebook(source, Path(output) if output else None, html=html, timeout=timeout)
    built = f" ({len(result.built)} built cells)" if result.built else ""
    print(f"jupyter-plan run: executed notebook{built}: {result.output}")
    if result.html is not None:
        print(f"jupyter-plan run: HTML: {result.html}")
    if result.error is not None:
        print(f"jupyter-plan run: {result.error}", file=sys.stderr)
        return 1
    return 0
