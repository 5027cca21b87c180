"""Plan mode holds: whatever the model tries, nothing outside the plan directory changes."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd

from jupyter_plan.bridge.memory import MemoryBridge
from jupyter_plan.testing.fake_server import FakeModelServer, text, tool_call
from jupyter_plan.testing.human import ScriptedHuman

from .conftest import Planner, Project, namespace, notebook


def outside(project: Project) -> dict[str, bytes]:
    return {k: v for k, v in project.files().items() if not k.startswith(".jupyter_plan/plans")}


async def test_every_mutation_is_refused(plan: Planner, project: Project, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere"
    secret.mkdir()
    (secret / "keep.txt").write_text("untouched")
    project.plan_dir.mkdir(parents=True)
    (project.plan_dir / "escape").symlink_to(secret)
    nb = notebook()
    bridge = MemoryBridge(nb)
    ns = namespace()
    ns_before = {k: (id(v), copy.deepcopy(v)) for k, v in ns.items()}
    files_before = outside(project)
    notebook_file = str(project.root / "analysis.ipynb")

    attempts = [
        ("insert_cell", {"after": "peek", "source": "import os; os.remove('sales.csv')"}),
        ("write_file", {"file_path": "../../x.py", "content": "print('pwned')"}),
        ("edit_cell", {"cell_id": "load", "source": "sales = None"}),
        ("write_file", {"file_path": str(project.root / "evil.md"), "content": "# x"}),
        ("delete_cell", {"cell_ids": ["load"]}),
        ("write_file", {"file_path": "escape/keep.txt", "content": "overwritten"}),
        ("run_cell", {"cell_id": "load"}),
        ("replace", {"file_path": notebook_file, "old_string": "a", "new_string": "b"}),
        ("run_shell_command", {"command": "git reset --hard"}),
        ("write_file", {"file_path": "escape/new.md", "content": "# out"}),
        ("mcp_evil_delete", {"path": "/"}),
        ("replace", {"file_path": "../../sales.csv", "old_string": "north", "new_string": "x"}),
    ]
    script = [tool_call(name, args) for name, args in attempts]
    script.append(text("Plan mode is read-only; I cannot make these changes."))
    with FakeModelServer(script) as server:
        outcome = await plan(server, ScriptedHuman(), bridge=bridge, ns=ns, plan_id=None)

    # Every attempt was answered with a denial or an error, never with success.
    answers = [
        m["content"] for m in (server.requests[-1].body or {})["messages"] if m["role"] == "tool"
    ]
    assert len(answers) == len(attempts)
    for (name, _), answer in zip(attempts, answers, strict=True):
        assert answer.startswith(("Denied by policy:", "Error:")), (name, answer)
    assert outcome.plan is None

    # Nothing changed: the notebook, the kernel namespace, the files (byte for byte).
    assert bridge.snapshot == nb
    assert set(ns) == set(ns_before)
    for name, (ident, value) in ns_before.items():
        assert id(ns[name]) == ident
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(ns[name], value)
        else:
            assert ns[name] == value
    assert outside(project) == files_before
    assert [p.name for p in secret.iterdir()] == ["keep.txt"]
    assert (secret / "keep.txt").read_text() == "untouched"
    assert not (project.root / "evil.md").exists()
