"""Split a shell command into the simple commands it would run, with bashlex.

Every part of a chained command is decided on its own: ``&&``, ``||``, ``;``, pipes,
newlines, ``$( )``, backticks, process substitution, compound commands (``if``, ``for``…),
``bash -c '…'`` / ``sh -c`` and ``eval`` (parsed again), and wrappers such as ``env``,
``sudo`` or ``timeout`` (the wrapped command is a part too).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish"})
_WRAPPERS = frozenset(
    {"env", "sudo", "nohup", "time", "nice", "exec", "command", "builtin", "xargs", "stdbuf"}
)
_OUTPUT_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&"})
_MAX_DEPTH = 8  # nested `bash -c` levels before we give up (and ask)


@dataclass(frozen=True, slots=True)
class ShellPart:
    """One simple command: its words joined by single spaces, and whether it writes a file."""

    text: str
    redirects_output: bool


@dataclass(frozen=True, slots=True)
class ShellSplit:
    parts: tuple[ShellPart, ...]
    error: str | None = None  # set when the command could not be parsed

    @property
    def compound(self) -> bool:
        return len(self.parts) > 1


@functools.lru_cache(maxsize=512)  # an agent repeats its commands; bashlex is ~0.3 ms a parse
def split_command(command: str) -> ShellSplit:
    """Parse ``command``; on any parse failure return ``error`` (the caller asks or denies)."""
    if not command.strip():
        return ShellSplit((), "the command is empty")
    try:
        parts = _split(command, 0)
    except _Unparsable as exc:
        return ShellSplit((), str(exc))
    if not parts:
        return ShellSplit((), "no command found")
    return ShellSplit(tuple(parts))


class _Unparsable(Exception):
    pass


def _split(command: str, depth: int) -> list[ShellPart]:
    if depth > _MAX_DEPTH:
        raise _Unparsable("commands nested too deeply")
    import bashlex  # imported here: only shell decisions pay for it

    try:
        trees = bashlex.parse(command)
    except Exception as exc:  # bashlex raises several types for what it cannot parse
        raise _Unparsable(f"cannot parse shell command: {exc}") from None
    out: list[ShellPart] = []
    for tree in trees:
        _walk(tree, out, depth)
    return out


def _walk(node: Any, out: list[ShellPart], depth: int) -> None:
    kind = node.kind
    if kind == "command":
        _command(node, out, depth)
        return
    if kind in ("commandsubstitution", "processsubstitution"):
        _walk(node.command, out, depth)
        return
    if kind == "heredoc":
        return
    for child in _children(node):
        _walk(child, out, depth)


def _children(node: Any) -> list[Any]:
    children: list[Any] = []
    for attr in ("parts", "list"):
        value = getattr(node, attr, None)
        if isinstance(value, list):
            children.extend(value)
    if node.kind == "redirect" and not isinstance(node.output, int):
        children.append(node.output)
    return children


def _command(node: Any, out: list[ShellPart], depth: int) -> None:
    words: list[str] = []
    redirects = False
    nested: list[Any] = []
    for part in node.parts:
        if part.kind == "word":
            words.append(part.word)
            nested.extend(p for p in getattr(part, "parts", []) if p.kind != "parameter")
        elif part.kind == "redirect":
            if _writes_file(part):
                redirects = True
            nested.extend(_children(part))
        elif part.kind == "assignment":
            nested.extend(getattr(part, "parts", []))
        else:
            nested.append(part)
    if words:
        out.append(ShellPart(" ".join(words), redirects))
        _inner(words, out, depth)
    for child in nested:
        _walk(child, out, depth)


def _writes_file(redirect: Any) -> bool:
    if redirect.type not in _OUTPUT_REDIRECTS:
        return False
    target = redirect.output
    if isinstance(target, int):  # 2>&1: duplicating a descriptor writes no file
        return False
    return bool(getattr(target, "word", "") != "/dev/null")


def _inner(words: list[str], out: list[ShellPart], depth: int) -> None:
    """Commands hidden inside arguments: ``bash -c 'X'``, ``eval X``, ``sudo X``, ``env A=1 X``."""
    name = os.path.basename(words[0])
    if name in _SHELLS:
        script = _shell_script(words[1:])
        if script is not None:
            out.extend(_split(script, depth + 1))
    elif name == "eval" and len(words) > 1:
        out.extend(_split(" ".join(words[1:]), depth + 1))
    elif name in _WRAPPERS or name == "timeout":
        rest = _unwrap(name, words[1:])
        if rest:
            out.append(ShellPart(" ".join(rest), False))
            _inner(rest, out, depth)


def _shell_script(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
            return args[i + 1] if i + 1 < len(args) else None
        if not arg.startswith("-"):
            return None  # `bash script.sh`: a script file, decided as the command itself
    return None


def _unwrap(name: str, args: list[str]) -> list[str]:
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") or (name == "env" and "=" in arg.split("/", 1)[0]):
            i += 1
        else:
            break
    rest = args[i:]
    if name == "timeout" and rest:
        rest = rest[1:]  # the duration
    return rest
