"""Talk to Gemini CLI's own policy engine (oracle.mjs in node), many calls per round trip.

``scripts/setup`` installs ``@google/gemini-cli-core`` (pinned) into a cache folder outside
the repository; tests that need it skip, saying so, only when it is not there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

VERSION = "0.61.0"
SCRIPT = Path(__file__).with_name("oracle.mjs")
#: Gemini CLI's tiers (policy/config.ts): default 1, extension 2, workspace 3, user 4, admin 5.
GEMINI_TIER = {"builtin": 1, "workspace": 3, "user": 4, "admin": 5}


def oracle_dir() -> Path:
    given = os.environ.get("JUPYTER_PLAN_GEMINI_ORACLE")
    if given:
        return Path(given)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "jupyter-plan" / "gemini-oracle"


def unavailable() -> str | None:
    """Why the oracle cannot run here, or None."""
    package = oracle_dir() / "node_modules" / "@google" / "gemini-cli-core" / "package.json"
    if shutil.which("node") is None:
        return "node is not installed"
    if not package.exists():
        return (
            f"@google/gemini-cli-core is not installed in {oracle_dir()} (./scripts/setup does it)"
        )
    version = json.loads(package.read_text())["version"]
    if version != VERSION:
        return f"@google/gemini-cli-core {version} in {oracle_dir()}, expected {VERSION}"
    return None


class Oracle:
    """One node process; :meth:`decide` sends one rule set and all its calls at once."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(SCRIPT), str(oracle_dir())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="surrogatepass",
        )

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(payload, ensure_ascii=True) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Gemini oracle (node) exited")
        answer: dict[str, Any] = json.loads(line)
        if "fatal" in answer:
            raise RuntimeError(f"the Gemini oracle failed: {answer['fatal']}")
        return answer

    def decide(
        self, files: list[tuple[str, str]], calls: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``files``: (tier label, TOML text); each call: tool, args, mode, interactive,
        annotations. Returns Gemini's results and its load errors."""
        payload = {
            "files": [
                {"name": f"p{i}.toml", "tier": GEMINI_TIER[tier], "text": text}
                for i, (tier, text) in enumerate(files)
            ],
            "calls": calls,
        }
        answer = self.request(payload)
        return answer["results"], answer["errors"]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def oracle_or_skip() -> Iterator[Oracle]:
    """A module fixture's body: one oracle for the module's tests, closed after them; the
    tests skip, saying why, where it is not installed."""
    why = unavailable()
    if why:
        pytest.skip(f"Gemini CLI policy oracle not installed: {why}")
    o = Oracle()
    yield o
    o.close()
