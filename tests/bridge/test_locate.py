"""Finding the kernel's notebook (explicit > comm > JPY_SESSION_NAME > VS Code) and its bridge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.bridge.base import BridgeError
from jupyter_plan.bridge.comm import CommBridge
from jupyter_plan.bridge.execute import ShellExecutor
from jupyter_plan.bridge.file import FileBridge
from jupyter_plan.bridge.locate import CommRegistry, choose_bridge, locate_notebook
from jupyter_plan.testing.frontend import Connection, SimulatedFrontend


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("flag.ipynb", "live.ipynb", "session.ipynb", "vscode.ipynb"):
        (tmp_path / name).write_text("{}")
    return tmp_path


# Which sources are present -> which one wins.
ORDER: list[tuple[set[str], str, str]] = [
    ({"flag", "comm", "env", "vscode"}, "--notebook", "flag.ipynb"),
    ({"comm", "env", "vscode"}, "comm", "live.ipynb"),
    ({"env", "vscode"}, "JPY_SESSION_NAME", "session.ipynb"),
    ({"vscode"}, "__vsc_ipynb_file__", "vscode.ipynb"),
    ({"stale-env", "vscode"}, "__vsc_ipynb_file__", "vscode.ipynb"),  # renamed since start
    ({"console-env", "vscode"}, "__vsc_ipynb_file__", "vscode.ipynb"),  # not a notebook
    ({"relative-env"}, "JPY_SESSION_NAME", "session.ipynb"),
    ({"flag"}, "--notebook", "flag.ipynb"),
]


@pytest.mark.parametrize(("present", "source", "name"), ORDER)
async def test_locate_order(root: Path, present: set[str], source: str, name: str) -> None:
    registry = CommRegistry(cwd=root)
    if "comm" in present:
        Connection(SimulatedFrontend(path="live.ipynb"), registry).open()
    environ = {
        "env": {"JPY_SESSION_NAME": str(root / "session.ipynb")},
        "stale-env": {"JPY_SESSION_NAME": str(root / "renamed.ipynb")},
        "console-env": {"JPY_SESSION_NAME": str(root / "Console 1")},
        "relative-env": {"JPY_SESSION_NAME": "session.ipynb"},
    }
    env: dict[str, str] = {}
    for key, value in environ.items():
        if key in present:
            env.update(value)
    user_ns = {"__vsc_ipynb_file__": str(root / "vscode.ipynb")} if "vscode" in present else {}
    found = locate_notebook(
        "flag.ipynb" if "flag" in present else None,
        registry=registry,
        environ=env,
        user_ns=user_ns,
        cwd=root,
    )
    assert (found.source, found.path) == (source, root / name)
    assert (found.comm is not None) is (source == "comm")


def test_nothing_says_which_notebook(root: Path) -> None:
    with pytest.raises(BridgeError) as caught:
        locate_notebook(registry=CommRegistry(cwd=root), environ={}, user_ns={}, cwd=root)
    message = str(caught.value)
    assert "open the notebook in JupyterLab" in message and "--notebook PATH" in message


def test_an_explicit_notebook_must_exist(root: Path) -> None:
    with pytest.raises(BridgeError, match=r"--notebook missing\.ipynb: no such notebook"):
        locate_notebook("missing.ipynb", registry=CommRegistry(cwd=root), environ={}, cwd=root)


def test_a_kernel_shared_by_two_notebooks_asks(root: Path) -> None:
    registry = CommRegistry(cwd=root)
    Connection(SimulatedFrontend(path="live.ipynb"), registry).open()
    Connection(SimulatedFrontend(path="flag.ipynb"), registry).open()
    env = {"JPY_SESSION_NAME": str(root / "session.ipynb")}
    assert locate_notebook(registry=registry, environ=env, cwd=root).source == "JPY_SESSION_NAME"
    with pytest.raises(BridgeError, match=r"several notebooks \(flag.ipynb, live.ipynb\)"):
        locate_notebook(registry=registry, environ={}, cwd=root)


def test_two_panels_of_one_notebook_are_one_answer(root: Path) -> None:
    registry = CommRegistry(cwd=root)
    Connection(SimulatedFrontend(path="live.ipynb"), registry).open()
    newest = Connection(SimulatedFrontend(path="live.ipynb", notebook_id="view-2"), registry).open()
    found = locate_notebook(registry=registry, environ={}, cwd=root)
    assert found.comm is newest


@pytest.mark.parametrize("how", ["comm", "flag", "env"])
def test_choose_the_live_bridge_when_the_panel_is_open(root: Path, how: str) -> None:
    registry = CommRegistry(cwd=root)
    live = Connection(SimulatedFrontend(path="live.ipynb"), registry).open()
    found = locate_notebook(
        "live.ipynb" if how == "flag" else None,
        registry=registry,
        environ={"JPY_SESSION_NAME": str(root / "live.ipynb")} if how == "env" else {},
        cwd=root,
    )
    bridge = choose_bridge(found, registry=registry)
    assert isinstance(bridge, CommBridge) and bridge is live


def test_choose_the_file_when_no_panel_is_open(root: Path, executor: ShellExecutor) -> None:
    registry = CommRegistry(cwd=root)
    found = locate_notebook("flag.ipynb", registry=registry, cwd=root)
    bridge = choose_bridge(found, registry=registry, executor=executor, checkpoint_dir=root / "cp")
    assert isinstance(bridge, FileBridge)
    assert (bridge.path, bridge.executor, bridge.checkpoint_dir) == (
        root / "flag.ipynb",
        executor,
        root / "cp",
    )


async def test_a_closed_panel_falls_back_to_the_file(root: Path) -> None:
    registry = CommRegistry(cwd=root)
    conn = Connection(SimulatedFrontend(path="live.ipynb"), registry)
    conn.open()
    found = locate_notebook(registry=registry, environ={}, cwd=root)
    await conn.close_from_frontend()
    assert isinstance(choose_bridge(found, registry=registry), FileBridge)


def test_a_refused_panel_is_not_edited_behind_its_back(root: Path) -> None:
    registry = CommRegistry(cwd=root)
    Connection(SimulatedFrontend(path="live.ipynb", protocol=2), registry).open()
    env: dict[str, Any] = {"JPY_SESSION_NAME": str(root / "live.ipynb")}
    found = locate_notebook(registry=registry, environ=env, cwd=root)
    with pytest.raises(BridgeError, match=r"refused: .*speaks protocol 2"):
        choose_bridge(found, registry=registry)
