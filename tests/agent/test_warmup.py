"""The model layer is warmed while the kernel is idle after ``%load_ext``; never where only a
replay can run; a person's cell meanwhile runs as it would (the warm-up pauses for it)."""

from __future__ import annotations

import importlib
import json
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.notebook import warmup
from jupyter_plan.testing.fake_server import FakeModelServer
from jupyter_plan.testing.lab import model_env
from jupyter_plan.testing.local_kernel import LocalKernel

PERSON = {"JPY_SESSION_NAME": "/srv/nb.ipynb", "JUPYTER_PLAN_MODEL": "openai/m"}


@pytest.mark.parametrize(
    ("env", "settings", "why"),
    [
        ({**PERSON, "JUPYTER_PLAN_NOTEBOOK": "/srv/nb.ipynb"}, None, "headless runner"),
        ({"JUPYTER_PLAN_MODEL": "openai/m"}, None, "no person's frontend"),
        ({"JPY_SESSION_NAME": "/srv/nb.ipynb"}, None, "no model configured"),
        (PERSON, {"replay": "always"}, "replay is 'always'"),
        (PERSON, {"warm_up": False}, "warm_up is off"),
        (PERSON, None, None),
        ({**PERSON, "JPY_SESSION_NAME": "", "JUPYTER_PLAN_INTERACTIVE": "1"}, None, None),
    ],
)
def test_when_to_warm_up(
    tmp_path: Path, env: dict[str, str], settings: dict[str, Any] | None, why: str | None
) -> None:
    (tmp_path / "user").mkdir()
    if settings is not None:
        (tmp_path / "user" / "settings.json").write_text(json.dumps(settings))
    reason = warmup.reason_not_to(
        {**env, "JUPYTER_PLAN_USER_DIR": str(tmp_path / "user")}, tmp_path
    )
    if why is None:
        assert reason is None
    else:
        assert reason is not None and why in reason


def warm_import(gate_type: Any, idle: threading.Event, module: str, gates: list[Any]) -> None:
    """Import ``module`` in this thread as the warm-up does: behind its gate (kept in
    ``gates``), which pauses while ``idle`` is clear."""
    gates.append(gate := gate_type(threading.get_ident(), idle))
    sys.meta_path.insert(0, gate)
    try:
        importlib.import_module(module)
    finally:
        sys.meta_path.remove(gate)


def test_the_gate_pauses_the_warm_up_while_a_cell_runs(tmp_path: Path) -> None:
    (tmp_path / "jp_warm_probe.py").write_text("VALUE = 42\n")
    sys.path.insert(0, str(tmp_path))
    idle, reached = threading.Event(), threading.Event()

    class Gate(warmup._Gate):
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name == "jp_warm_probe":
                reached.set()
            return super().find_spec(name, path, target)

    thread = threading.Thread(target=warm_import, args=(Gate, idle, "jp_warm_probe", []))
    try:
        thread.start()
        assert reached.wait(30)
        assert "jp_warm_probe" not in sys.modules  # paused: a cell runs
        idle.set()  # the cell ended
        thread.join(30)
        assert sys.modules["jp_warm_probe"].VALUE == 42
    finally:
        idle.set()
        sys.path.remove(str(tmp_path))
        sys.modules.pop("jp_warm_probe", None)


def test_the_warm_up_goes_on_at_once_while_another_thread_waits_for_its_import(
    tmp_path: Path,
) -> None:
    """The first plan's ``import litellm`` waits for the warm-up's half-done import: the
    warm-up must not pause a poll at each module then (litellm has ~2,000 of them)."""
    package = tmp_path / "jp_warm_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import jp_warm_sync\njp_warm_sync.entered.set()\nassert jp_warm_sync.go.wait(30)\n"
        "from . import a, b, c\n"
    )
    for name in "abc":
        (package / f"{name}.py").write_text(f"NAME = {name!r}\n")
    sync = types.SimpleNamespace(entered=threading.Event(), go=threading.Event())
    sys.modules["jp_warm_sync"] = sync  # type: ignore[assignment]
    sys.path.insert(0, str(tmp_path))
    idle = threading.Event()
    idle.set()  # no cell runs yet: the warm-up starts the package
    gates: list[warmup._Gate] = []
    got: list[Any] = []
    warmer = threading.Thread(target=warm_import, args=(warmup._Gate, idle, "jp_warm_pkg", gates))
    plan = threading.Thread(target=lambda: got.append(importlib.import_module("jp_warm_pkg")))
    try:
        warmer.start()
        assert sync.entered.wait(30)  # the warm-up holds jp_warm_pkg half-imported
        idle.clear()  # a cell starts: the %%plan, whose thread imports the same package
        plan.start()
        waiting = threading.Event()  # paces the look at the plan's thread, 30 s at most
        for _ in range(3000):
            if warmup._another_thread_imports(warmer.ident or 0) or waiting.wait(0.01):
                break
        assert warmup._another_thread_imports(warmer.ident or 0), "the plan never imported"
        sync.go.set()
        warmer.join(30)
        plan.join(30)
        assert [m.NAME for m in (got[0].a, got[0].b, got[0].c)] == ["a", "b", "c"]
        assert gates[0].paused == 0  # never stopped at a module while the plan waited
    finally:
        idle.set()
        sync.go.set()
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith(("jp_warm_sync", "jp_warm_pkg"))]:
            sys.modules.pop(name, None)


@pytest.fixture
def kernel_env(tmp_path: Path) -> Any:
    with FakeModelServer([]) as fake:
        env = {**model_env(fake.base_url, tmp_path), "JUPYTER_PLAN_INTERACTIVE": "1"}
        yield tmp_path, env


WAIT = (  # waits for the warm-up outside any cell's pause: this cell marks the kernel idle
    "import sys\nfrom jupyter_plan.notebook.warmup import current\n_w = current()\n"
    "_w.idle.set(); _w.finished.wait(300)\n"
    "print('litellm' in sys.modules, 'mcp' in sys.modules, _w.state)"
)


def test_after_load_ext_and_idle_the_model_layer_is_imported(kernel_env: Any) -> None:
    root, env = kernel_env
    with LocalKernel(root, env) as kernel:
        loaded = kernel.run("import sys\n%load_ext jupyter_plan\nprint('litellm' in sys.modules)")
        assert loaded.text.strip() == "False"  # %load_ext itself imports nothing heavy
        assert kernel.run(WAIT).text.split() == ["True", "True", "done"]


def test_a_cell_during_the_warm_up_runs_as_usual(kernel_env: Any) -> None:
    root, env = kernel_env
    with LocalKernel(root, env) as kernel:
        kernel.run("import jupyter_plan.notebook.warmup as w; w.START_DELAY = 0")
        kernel.run("%load_ext jupyter_plan")
        # At once, while the warm-up imports: CPU work and the same imports in the cell.
        reply = kernel.run(
            "import litellm, mcp\n"
            "print(sum(i * i for i in range(200_000)), litellm.__name__, mcp.__name__)"
        )
        assert reply.status == "ok", reply.text
        assert reply.text.split() == [str(sum(i * i for i in range(200_000))), "litellm", "mcp"]
        assert kernel.run(WAIT).text.split()[2] == "done"


def test_no_warm_up_without_a_model(kernel_env: Any) -> None:
    root, env = kernel_env
    env = {k: v for k, v in env.items() if k != "JUPYTER_PLAN_MODEL"}
    with LocalKernel(root, env) as kernel:
        kernel.run("%load_ext jupyter_plan")
        litellm, _, state = kernel.run(WAIT).text.split(maxsplit=2)
        assert litellm == "False" and state.startswith("skipped: no model configured")
