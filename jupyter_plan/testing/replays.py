"""Helpers for the replay matrix: the notebooks in ``notebooks/`` run under every runner.

A copy of the notebooks folder per run (the plan directory is written by replays: a run
must not see another's), the plan files as bytes (what a replay must leave exactly as
recorded), the built cells a notebook holds (real cells, or the built-cells output a plain
runner keeps), the built cells the recording itself says a build makes, and JupyterLab
steps done as a person does them: menus and clicks, never comm messages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
QUICKSTART, LAB = "quickstart.ipynb", "lab_revenue.ipynb"
BuiltCell = tuple[str, str, dict[str, Any]]  # id, source, metadata.jupyter_plan


def copy_notebooks(target: Path) -> Path:
    """``notebooks/`` (notebooks, data, settings, recordings) copied to ``target``."""
    shutil.copytree(
        NOTEBOOKS,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".locks", "*.executed.ipynb"),
    )
    return target


def offline_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment with no model, key or api_base of any provider, and
    empty user and admin folders: a replay must need none of them."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("JUPYTER_PLAN_", "OPENAI_", "ANTHROPIC_", "GEMINI_"))
    }
    for name in ("user", "admin"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env["JUPYTER_PLAN_USER_DIR"] = str(home / "user")
    env["JUPYTER_PLAN_ADMIN_DIR"] = str(home / "admin")
    return env


def plan_files(folder: Path) -> dict[str, bytes]:
    """Every file of the plan directory by relative path (lock files and the index, a cache
    rebuilt from the plan files, are not records)."""
    plans = folder / ".jupyter_plan" / "plans"
    return {
        str(p.relative_to(plans)): p.read_bytes()
        for p in sorted(plans.rglob("*"))
        if p.is_file() and ".locks" not in p.parts and ".index" not in p.parts
    }


def _tagged(cells: list[Any]) -> list[BuiltCell]:
    found = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("jupyter_plan")
        if isinstance(meta, dict):
            source = cell.get("source", "")
            found.append((str(cell.get("id")), "".join(source), dict(meta)))
    return found


def built_cells(path: Path) -> list[BuiltCell]:
    """The notebook's built cells: tagged cells, else (a runner that keeps no inserted
    cells) the ones its ``%build`` cells carry as output."""
    import nbformat

    from jupyter_plan.run.expand import expand_notebook

    nb = nbformat.read(str(path), as_version=4)
    expand_notebook(nb)
    return _tagged(nb.cells)


def recorded_built_cells(folder: Path, plan_id: str) -> list[BuiltCell]:
    """What the recording says the build of ``plan_id`` makes: each ``insert_cell`` call's
    source and step, with the id its tool result named (the build of the approved revision:
    ``build.rN.json``, N > 1 when the plan was iterated)."""
    (path,) = (folder / ".jupyter_plan" / "plans" / plan_id).glob("build.r*.json")
    revision = int(path.name.removeprefix("build.r").removesuffix(".json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    calls: dict[str, dict[str, Any]] = {}
    made: list[BuiltCell] = []
    for entry in data["entries"]:
        if entry.get("type") != "model":
            continue
        for message in entry["messages"]:
            if message.get("role") == "tool" and message.get("tool_call_id") in calls:
                args = calls.pop(message["tool_call_id"])
                found = re.search(r"Inserted \w+ cell '([^']+)'", str(message.get("content")))
                if found:
                    tag = {"plan_id": plan_id, "revision": revision, "step_id": args["step_id"]}
                    made.append((found.group(1), args["source"], tag))
        for call in entry["response"].get("tool_calls") or []:
            if call["name"] == "insert_cell":
                calls[call["id"]] = json.loads(call["arguments"])
    return made


def plan_of_cell(folder: Path, cell_id: str) -> str:
    """The plan id a recording made from the ``%%plan`` cell ``cell_id`` (no ``--id``)."""
    for path in sorted((folder / ".jupyter_plan" / "plans").glob("*/transcript.r*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("cell") == cell_id:
            return str(data["plan_id"])
    raise LookupError(f"no recording made from cell {cell_id!r} in {folder}")


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it holds (files a kernel writes from a background task)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)


def runs_held(plan_dir: Path) -> bool:
    """Whether a run (in any kernel) still holds one of the plans (``record/lock.py``)."""
    from filelock import FileLock, Timeout

    for lock in (plan_dir / ".locks").glob("*.lock"):
        try:
            with FileLock(lock, timeout=0):
                pass
        except Timeout:
            return True
    return False


# -- JupyterLab, as a person uses it -----------------------------------------------------

BUILT_JS = """(n) => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells;
  const built = cells.filter(c => (c.getMetadata().jupyter_plan || null) !== null);
  return built.length === n && built.every(c => c.execution_count !== null);
}"""
CELLS_JS = """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
  .map(c => [c.id, c.getSource(), c.getMetadata().jupyter_plan || null])"""


def menu(page: Any, top: str, item: str) -> None:
    """Click ``top`` in JupyterLab's menu bar, then the item labelled ``item``."""
    page.locator("#jp-MainMenu").get_by_text(top, exact=True).click()
    entry = page.locator(".lm-Menu-content .lm-Menu-item .lm-Menu-itemLabel")
    entry.get_by_text(item, exact=True).first.click()


def select_code_cell(page: Any, source_start: str) -> None:
    """Click the prompt of the code cell whose source starts with ``source_start``."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    for i in range(cells.count()):
        cell = cells.nth(i)
        text = cell.locator(".jp-InputArea .cm-content").inner_text()
        if text.startswith(source_start):
            cell.locator(".jp-InputPrompt").click()
            return
    raise LookupError(f"no code cell starting with {source_start!r}")


def lab_built_cells(page: Any) -> list[BuiltCell]:
    """The built cells of the open notebook, from its model (id, source, tag)."""
    return [(i, s, m) for i, s, m in page.evaluate(CELLS_JS) if m is not None]
