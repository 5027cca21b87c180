"""Which notebook panels are open, which notebook is this kernel's, which bridge reaches it.

:class:`CommRegistry` is the ``jupyter_plan`` comm target: one
:class:`~jupyter_plan.bridge.comm.CommBridge` per open panel, found by notebook path, plus
the handlers for the panel's own requests. A kernel does not know its notebook; the
answers, first that applies wins:

1. ``--notebook PATH`` given by the person: an explicit choice beats every guess;
2. an open ``jupyter_plan`` comm (JupyterLab told us, and the tab is live);
3. ``JUPYTER_PLAN_NOTEBOOK``: jupyter-plan's own runners (``jupyter-plan run``, the
   papermill engine, the nbconvert preprocessor) set it for the kernel they start;
4. ``JPY_SESSION_NAME``: jupyter-server sets it to the notebook's path when it starts the
   kernel (stale after a rename, so only used if the file is still there);
5. ``__vsc_ipynb_file__``: VS Code puts the notebook's path in the user namespace;
6. a headless runner's notebook (nbconvert, ``jupyter execute``, papermill, nbclient): the
   one holding the running cell, named on the runner's command line or in the kernel's
   folder (``bridge/runner_notebook.py``).

Then :func:`choose_bridge` edits live through the comm when the notebook's panel has one
open; for a runner's notebook (3 and 6), which that runner holds in memory and writes
itself, a copy in the kernel (:class:`~jupyter_plan.bridge.detached.DetachedBridge`: the
file is never written; built cells reach the runner as an output); otherwise the file.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from jupyter_plan.bridge.base import PROTOCOL_VERSION, BridgeError, EditableBridge
from jupyter_plan.bridge.comm import (
    TARGET,
    CommBridge,
    CommLike,
    FrontendHandler,
    ProtocolMismatch,
    Rejection,
    read_open_data,
)
from jupyter_plan.bridge.detached import DetachedBridge
from jupyter_plan.bridge.execute import Executor
from jupyter_plan.bridge.file import FileBridge
from jupyter_plan.bridge.runner_notebook import RunnerProcess, find_runner_notebook, parent_process

log = logging.getLogger(__name__)


def resolve_api_path(path: str, cwd: Path) -> Path:
    """A server-relative notebook path as a file here, best effort.

    jupyter-server starts a notebook's kernel in the notebook's folder, so the file name
    alone usually resolves; otherwise the kernel was started at the server root.
    """
    if os.path.isabs(path):
        return Path(path)
    rel = PurePosixPath(path.lstrip("/"))
    for candidate in (cwd / rel.name, cwd / rel):
        if candidate.is_file():
            return candidate
    return cwd / rel.name


def ends_with(path: Path, api_path: str) -> bool:
    """Whether a local path ends with a server-relative one (``/srv/a/b.ipynb``, ``a/b.ipynb``)."""
    parts = PurePosixPath(api_path.lstrip("/")).parts
    return bool(parts) and path.parts[-len(parts) :] == parts


def same_notebook(bridge: CommBridge, wanted: Path, cwd: Path) -> bool:
    """Whether ``wanted`` (a path on this machine) is the notebook ``bridge`` edits."""
    wanted = wanted if wanted.is_absolute() else cwd / wanted
    if bridge.os_path is not None and bridge.os_path.is_file():  # we know its file: compare
        return os.path.realpath(bridge.os_path) == os.path.realpath(wanted)
    return ends_with(wanted, bridge.path)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class CommRegistry:
    """The kernel's open notebook comms (one bridge each) and its frontend-request handlers."""

    def __init__(
        self,
        *,
        timeout: float | None = 30.0,
        run_timeout: float | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.timeout = timeout
        self.run_timeout = run_timeout
        self.loop = loop  # else the loop running when a comm opens (the kernel's)
        self.cwd = cwd
        self.rejected: list[Rejection] = []
        self._bridges: dict[str, CommBridge] = {}
        self._handlers: dict[str, FrontendHandler] = {}
        self._openers: list[Callable[[CommBridge], None]] = []
        self._lock = threading.Lock()

    # -- the comm target ---------------------------------------------------------------

    def attach(self, manager: Any | None = None) -> None:
        """Register the ``jupyter_plan`` comm target (idempotent). Call at ``%load_ext``."""
        if manager is None:
            import comm as comm_package

            manager = comm_package.get_comm_manager()
        manager.register_target(TARGET, self._target)

    def _target(self, comm: Any, msg: dict[str, Any]) -> None:
        self.handle_open(comm, msg)

    def announce(self, create: Callable[..., Any] | None = None) -> None:
        """Ring the frontends that may have tried before the target existed.

        Opens and closes a kernel → frontend comm ``{op: "announce", protocol}``; a panel
        that gets it should (re)open its own comm. Harmless when nobody listens.
        """
        if create is None:
            import comm as comm_package

            create = comm_package.create_comm
        doorbell = create(target_name=TARGET, data={"op": "announce", "protocol": PROTOCOL_VERSION})
        doorbell.close()

    def handle_open(self, comm: CommLike, msg: dict[str, Any]) -> CommBridge | None:
        """The comm target: accept a panel's comm, or close it saying why not."""
        data = (msg.get("content") or {}).get("data")
        try:
            info = read_open_data(data)
        except ProtocolMismatch as exc:
            path = data.get("path") if isinstance(data, dict) else None
            path = path if isinstance(path, str) else None
            with self._lock:  # the latest refusal per path (a panel may retry often)
                self.rejected = [r for r in self.rejected if r.path != path]
                self.rejected.append(Rejection(path, str(exc)))
            log.warning("jupyter_plan comm refused: %s", exc)
            comm.close({"ok": False, "error": {"type": exc.kind, "message": str(exc)}})
            return None
        cwd = self.cwd or Path.cwd()
        bridge = CommBridge(
            comm,
            info,
            timeout=self.timeout,
            run_timeout=self.run_timeout,
            loop=self.loop or _running_loop(),
            os_path=resolve_api_path(info.path, cwd),
            dispatch=self._dispatch,
            on_closed=self._forget,
        )
        with self._lock:
            older = [
                b
                for b in self._bridges.values()
                if (b.info.path, b.info.notebook_id) == (info.path, info.notebook_id)
            ]
            self._bridges[comm.comm_id] = bridge
            self.rejected = [r for r in self.rejected if r.path != info.path]
        for old in older:  # the same panel reconnected (a restart, a second announce)
            old.supersede()
        comm.send({"op": "ready", "args": {"protocol": PROTOCOL_VERSION}})
        for opened in list(self._openers):
            try:
                opened(bridge)
            except Exception:  # a listener's failure must not lose the panel
                log.warning("jupyter_plan comm: on-open listener failed", exc_info=True)
        return bridge

    def _forget(self, bridge: CommBridge) -> None:
        with self._lock:
            if self._bridges.get(bridge.comm.comm_id) is bridge:
                del self._bridges[bridge.comm.comm_id]

    # -- finding bridges -----------------------------------------------------------------

    def bridges(self) -> list[CommBridge]:
        """Open bridges, oldest first."""
        with self._lock:
            return [b for b in self._bridges.values() if not b.closed]

    def for_path(self, path: str | os.PathLike[str]) -> CommBridge | None:
        """The newest open bridge editing the notebook at ``path`` (a local path)."""
        wanted, cwd = Path(path), self.cwd or Path.cwd()
        for bridge in reversed(self.bridges()):
            if bridge.path == str(path) or same_notebook(bridge, wanted, cwd):
                return bridge
        return None

    # -- frontend requests and events ------------------------------------------------------

    def on(self, op: str, handler: FrontendHandler | None) -> None:
        """Handle frontend ``op`` with ``handler(bridge, args)``; None removes it."""
        with self._lock:
            if handler is None:
                self._handlers.pop(op, None)
            else:
                self._handlers[op] = handler

    def on_open(self, listener: Callable[[CommBridge], None]) -> None:
        """Call ``listener(bridge)`` after each accepted panel is told ``ready`` (once each)."""
        with self._lock:
            if listener not in self._openers:
                self._openers.append(listener)

    def off_open(self, listener: Callable[[CommBridge], None]) -> None:
        """Stop calling ``listener`` (added with :meth:`on_open`)."""
        with self._lock:
            if listener in self._openers:
                self._openers.remove(listener)

    def _dispatch(self, bridge: CommBridge, op: str, args: dict[str, Any]) -> Any:
        handler = self._handlers.get(op)
        if handler is None:
            raise BridgeError(f"this kernel has no handler for {op!r}")
        return handler(bridge, args)

    def send_event(
        self, name: str, data: dict[str, Any], *, path: str | os.PathLike[str] | None = None
    ) -> int:
        """Send an event to every open panel (or only ``path``'s); returns how many got it."""
        targets = self.bridges() if path is None else [b for b in [self.for_path(path)] if b]
        sent = 0
        for bridge in targets:
            try:
                bridge.send_event(name, data)
                sent += 1
            except Exception:
                log.warning("jupyter_plan comm: %s to %s failed", name, bridge.path, exc_info=True)
        return sent


_default: CommRegistry | None = None


def default_registry() -> CommRegistry:
    """This kernel's registry (one per process, like the comm manager)."""
    global _default
    if _default is None:
        _default = CommRegistry()
    return _default


Source = Literal[
    "--notebook",
    "comm",
    "JUPYTER_PLAN_NOTEBOOK",
    "JPY_SESSION_NAME",
    "__vsc_ipynb_file__",
    "runner",
    "folder",
]
RUNNER_ENV = "JUPYTER_PLAN_NOTEBOOK"  # set by jupyter-plan's runners for their kernel
_RUNNERS: frozenset[Source] = frozenset({"JUPYTER_PLAN_NOTEBOOK", "runner", "folder"})


@dataclass(frozen=True)
class NotebookLocation:
    path: Path
    source: Source  # how it was found, for messages ("found via JPY_SESSION_NAME")
    comm: CommBridge | None = None  # the live panel, when found through one

    @property
    def headless_runner(self) -> bool:
        """A runner holds this notebook in memory and writes it itself: never write it."""
        return self.source in _RUNNERS


def locate_notebook(
    explicit: str | os.PathLike[str] | None = None,
    *,
    registry: CommRegistry | None = None,
    environ: Mapping[str, str] | None = None,
    user_ns: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
    code: str | None = None,
    runner: RunnerProcess | Literal["parent"] | None = "parent",
) -> NotebookLocation:
    """Find the notebook (see the module docstring for the order); :class:`BridgeError`
    telling the person what to do when nothing says. ``code`` is the running cell's source
    (to recognise a headless runner's notebook); ``runner`` the process that started the
    kernel (default: this process's parent)."""
    cwd = cwd or Path.cwd()
    registry = registry if registry is not None else default_registry()
    if explicit is not None:
        path = _absolute(Path(explicit), cwd)
        if not path.is_file():
            raise BridgeError(f"--notebook {explicit}: no such notebook file ({path})")
        return NotebookLocation(path, "--notebook", registry.for_path(path))
    live = registry.bridges()
    paths = {b.path for b in live}
    if len(paths) == 1:  # several panels of one notebook are fine; two notebooks are not
        bridge = live[-1]
        return NotebookLocation(bridge.os_path or _absolute(Path(bridge.path), cwd), "comm", bridge)
    env = environ if environ is not None else os.environ
    guesses: list[tuple[Source, Any]] = [
        ("JUPYTER_PLAN_NOTEBOOK", env.get(RUNNER_ENV)),
        ("JPY_SESSION_NAME", env.get("JPY_SESSION_NAME")),
        ("__vsc_ipynb_file__", (user_ns or {}).get("__vsc_ipynb_file__")),
    ]
    for source, value in guesses:
        if isinstance(value, str) and value.endswith(".ipynb"):
            path = _absolute(Path(value), cwd)
            if path.is_file():
                return NotebookLocation(path, source, registry.for_path(path))
    ambiguous: list[Path] = []
    if code is not None and not paths:
        process = parent_process() if runner == "parent" else runner
        found, how, ambiguous = find_runner_notebook(code, cwd, process)
        if found is not None:
            return NotebookLocation(found, "runner" if how == "runner" else "folder")
    if ambiguous:
        names = ", ".join(p.name for p in ambiguous)
        raise BridgeError(
            f"several notebooks in {cwd} hold this cell ({names}): say which one with "
            f"--notebook PATH, or set {RUNNER_ENV} in the kernel's environment"
        )
    raise BridgeError(_explain(registry, paths))


def choose_bridge(
    location: NotebookLocation,
    *,
    registry: CommRegistry | None = None,
    executor: Executor | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
) -> EditableBridge:
    """The live panel's comm bridge if one is open for this notebook, else its file.

    A panel whose comm was refused (protocol mismatch) stops here with that message:
    writing the file under an open JupyterLab tab would only fight its autosave.
    """
    registry = registry if registry is not None else default_registry()
    live = location.comm if location.comm and not location.comm.closed else None
    live = live or registry.for_path(location.path)
    if live is not None:
        return live
    for rejection in registry.rejected:
        if rejection.path and ends_with(location.path, rejection.path):
            raise BridgeError(
                f"JupyterLab's connection to {location.path} was refused: {rejection.message}"
            )
    if location.headless_runner:
        return DetachedBridge(location.path, executor)
    return FileBridge(location.path, executor, checkpoint_dir=checkpoint_dir)


def _absolute(path: Path, cwd: Path) -> Path:
    return path if path.is_absolute() else cwd / path


def _explain(registry: CommRegistry, paths: set[str]) -> str:
    if len(paths) > 1:
        return (
            "this kernel is shared by several notebooks (" + ", ".join(sorted(paths)) + "): "
            "say which one with --notebook PATH"
        )
    why = f" ({registry.rejected[-1].message})" if registry.rejected else ""
    return (
        "cannot tell which notebook this kernel belongs to"
        + why
        + ": open the notebook in JupyterLab with jupyter-plan installed, or pass "
        "--notebook PATH (e.g. %build --notebook analysis.ipynb)"
    )
