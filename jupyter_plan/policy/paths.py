"""Path confinement: the one check every file tool makes before touching a path.

A path is accepted only if it resolves (symlinks followed, ``..`` collapsed) inside the
root. An escape is refused with a message naming both paths; it is never rewritten into
something "safe", because a silently different path is worse than a clear refusal.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path


class PathEscapeError(ValueError):
    """A path that is not inside the root it must stay in."""

    def __init__(self, path: str, root: str | os.PathLike[str], why: str) -> None:
        self.path = path
        self.root = os.fspath(root)
        super().__init__(f"refused path {path!r}: {why} (must stay inside {self.root!r})")


def confine(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> Path:
    """Return the real absolute path of ``path`` if it lies inside ``root``; else raise.

    Relative paths are taken relative to ``root``. Refused outright: NUL and other control
    characters, a leading ``~`` (never expanded: the model must not reach a home folder),
    and backslashes (a separator on Windows, so ``..\\x`` would be an escape there).
    The path is also checked after Unicode NFKC normalisation, so look-alikes such as
    full-width dots cannot form a ``..`` on a file system that normalises names.
    """
    text = os.fspath(path)
    if not isinstance(text, str):
        raise PathEscapeError(repr(text), root, "paths must be text")
    if not text:
        raise PathEscapeError(text, root, "the path is empty")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise PathEscapeError(text, root, "the path contains a NUL or control character")
    if text.startswith("~"):
        raise PathEscapeError(text, root, "'~' is not expanded; give a path inside the root")
    if "\\" in text:
        raise PathEscapeError(text, root, "backslashes are not accepted in paths; use '/'")
    try:
        text.encode("utf-8")
    except UnicodeError:
        raise PathEscapeError(text, root, "the path is not valid text (a lone surrogate)") from None
    real_root = os.path.realpath(root)
    try:
        resolved = _resolve(text, real_root)
    except (ValueError, OSError) as exc:
        raise PathEscapeError(text, root, f"it cannot be resolved ({exc})") from None
    if not _inside(resolved, real_root):
        raise PathEscapeError(text, root, f"it resolves to {resolved!r}")
    normalised = unicodedata.normalize("NFKC", text)
    if normalised != text:
        other = _resolve(normalised.replace("\\", "/"), real_root)
        if not _inside(other, real_root):
            raise PathEscapeError(text, root, f"its normalised form resolves to {other!r}")
    return Path(resolved)


def real_path(path: str, base: str) -> str | None:
    """``path`` (relative to ``base``) with every symlink resolved; None when it is not a
    valid file name at all (a NUL byte, a lone surrogate): the caller refuses, never crashes."""
    try:
        return os.path.realpath(os.path.join(base, path))  # absolute path: join returns it
    except (ValueError, UnicodeError, OSError):
        return None


def is_inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """True when :func:`confine` would accept ``path``."""
    try:
        confine(path, root)
    except PathEscapeError:
        return False
    return True


def _resolve(text: str, real_root: str) -> str:
    joined = text if os.path.isabs(text) else os.path.join(real_root, text)
    # realpath follows every symlink that exists, including a final one to a file outside.
    return os.path.realpath(joined)


def _inside(resolved: str, real_root: str) -> bool:
    try:
        return os.path.commonpath([resolved, real_root]) == real_root
    except ValueError:  # different drives on Windows
        return False
