"""One run at a time per plan, across kernels and processes.

Two kernels running ``%%plan --id shared`` at once would write the same plan document, the
same revision and the same transcript: one of them silently lost. A run therefore *claims*
its plan id first: an OS file lock (``flock`` through the ``filelock`` library), held for the
whole run and released when it ends, or by the OS when the kernel dies (no stale locks). A
second claim of the same id, from another kernel or the same one, fails at once with a clear
message naming who holds it; nothing is written.

The locks live in ``<plan dir>/.locks/``, which ignores itself in git.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from jupyter_plan.record.atomic import write_atomic

LOCK_DIR = ".locks"


class PlanClaimed(Exception):
    """Another run holds this plan id; ``holder`` describes it (may be empty)."""

    def __init__(self, plan_id: str, holder: str) -> None:
        where = f" ({holder})" if holder else ""
        super().__init__(
            f"plan {plan_id!r} is being planned or built by another run{where}; nothing was "
            "changed: wait until it finishes, then run this again (or use another --id)"
        )
        self.plan_id = plan_id
        self.holder = holder


def _folder(plan_dir: Path) -> Path:
    folder = plan_dir / LOCK_DIR
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, "# locks of running plans and builds (record/lock.py)\n*\n")
    return folder


@contextmanager
def claim(plan_dir: Path, plan_id: str, *, what: str = "a run") -> Iterator[None]:
    """Hold ``plan_id`` for the duration of the ``with`` block, or raise :class:`PlanClaimed`.

    ``plan_id`` must already be a checked id (``store.check_id``): it names a file.
    """
    folder = _folder(plan_dir)
    lock = FileLock(folder / f"{plan_id}.lock", timeout=0, thread_local=False)
    holder_file = folder / f"{plan_id}.holder"
    try:
        lock.acquire()
    except Timeout:
        raise PlanClaimed(plan_id, _holder(holder_file)) from None
    try:
        me = {"pid": os.getpid(), "host": socket.gethostname(), "what": what}
        write_atomic(holder_file, json.dumps(me))
        yield
    finally:
        lock.release()


def _holder(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return f"{data['what']} in process {data['pid']} on {data['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return ""
