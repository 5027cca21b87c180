"""Gemini CLI asks before any edit of a build file, whatever the rules allow: so do we.

``package.json``, ``pyproject.toml``, a ``Makefile``, a ``Dockerfile``… define what runs at
build and install time: an allowed write to one is asked (denied headless), as Gemini CLI
0.61 does (``utils/buildFileUtils.ts``). The name is read after following symlinks.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import Any

from jupyter_plan.policy.paths import real_path

BUILD_FILE_NAMES = frozenset(
    {
        *("BUILD", "BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel", "MODULE.bazel"),
        *(".bazelrc", ".blazerc", "Makefile", "makefile", "GNUmakefile", "CMakeLists.txt"),
        *("package.json", "package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb"),
        *("setup.py", "setup.cfg", "pyproject.toml", "go.mod", "go.sum"),
        *("Cargo.toml", "Cargo.lock", "pom.xml", "build.gradle", "build.gradle.kts"),
        *("settings.gradle", "settings.gradle.kts", "Dockerfile", "Containerfile"),
    }
)
BUILD_FILE_EXTENSIONS = frozenset({".bzl", ".bazel", ".bzlmod", ".mk", ".cmake"})
_EDIT_WORDS = frozenset({"write", "edit", "replace", "patch", "update", "create", "append", "save"})


@functools.lru_cache(maxsize=1024)  # asked on every allowed call: a name's answer is fixed
def is_file_edit_tool(tool: str) -> bool:
    """Gemini's test: a known edit tool, or a name with an editing word in it."""
    if tool in ("replace", "write_file", "edit"):
        return True
    return any(token in _EDIT_WORDS for token in re.split(r"[^a-z0-9]+", tool.lower()))


def is_build_file(path: str, root: str | os.PathLike[str] | None) -> bool:
    clean = path.replace("\0", "").strip().replace("\\", "/")
    real = real_path(clean, os.fspath(root) if root is not None else os.getcwd())
    name = os.path.basename(real if real is not None else clean)
    if name in BUILD_FILE_NAMES or name.startswith(("Dockerfile.", "Containerfile.")):
        return True
    return os.path.splitext(name)[1].lower() in BUILD_FILE_EXTENSIONS


def edited_path(args: Mapping[str, Any]) -> str | None:
    """The file a file-edit call changes (Gemini's extractFilePathFromArgs)."""
    for key in ("file_path", "path", "filePath", "file"):
        if key in args and args[key] is not None:
            value = args[key]
            return value if isinstance(value, str) else None
    return None
