"""Atomic file writes: a reader (another kernel, JupyterLab, git) sees the old file or the new
one, never half of it. Every file jupyter-plan writes goes through :func:`write_atomic`."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from jupyter_plan.redaction import REDACTED, credential_values

Stamp = tuple[int, int, int]  # mtime in ns, size, inode


def file_stamp(path: Path) -> Stamp | None:
    """What changes when ``path`` is rewritten (by us: a new inode), or None when absent."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class CredentialInPath(PermissionError):
    """A file name would hold a credential: refused (an OSError, so tools report it)."""


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.

    Temp file in the same folder (so the rename cannot cross file systems), fsync, then
    ``os.replace``; on any failure the temp file is removed and ``path`` is untouched.
    No credential in use (``redaction.credential_values``) is ever added to a file: one the
    file did not already hold is written as ``[REDACTED]``, and a path holding one is refused.
    """
    raw = _without_credentials(path, data.encode("utf-8") if isinstance(data, str) else data)
    try:  # an existing file keeps its permissions; a new one gets 0o666 less the umask
        mode: int | None = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = None
    fd, tmp = _create_temp(path)
    try:
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _without_credentials(path: Path, raw: bytes) -> bytes:
    credentials = credential_values()
    if any(c in str(path) for c in credentials):
        raise CredentialInPath(errno.EACCES, "refused: the file name holds a credential")
    present = [c.encode() for c in credentials if c.encode() in raw]
    if not present:
        return raw
    try:  # a credential the file already held (a person's own notebook) is theirs to keep
        old = path.read_bytes()
    except OSError:
        old = b""
    for secret in present:
        if secret not in old:
            raw = raw.replace(secret, REDACTED.encode())
    return raw


def _create_temp(path: Path) -> tuple[int, Path]:
    # Like mkstemp, but created 0o666 so the umask decides (mkstemp's 0600 would hide a
    # plan from the rest of a group sharing the project).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform can open a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
