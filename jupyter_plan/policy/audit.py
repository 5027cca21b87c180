"""An append-only JSON-lines log of policy decisions (setting ``audit.enabled``)."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from jupyter_plan.policy.types import PolicyDecision


class AuditLog:
    """Each decision becomes one line: tool, args digest (never the args), decision, rule,
    ``file:line``, tier, mode and time. One ``write`` per line on an ``O_APPEND`` file, so
    lines from two kernels sharing a project never interleave mid-line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __call__(self, decision: PolicyDecision) -> None:
        record = {"time": datetime.now(UTC).isoformat(), **decision.to_json()}
        line = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
