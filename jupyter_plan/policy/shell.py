"""Split a shell command into the sub-commands it would run, as Gemini CLI splits it.

The parser is tree-sitter-bash, the grammar Gemini CLI parses with, and the walk is Gemini's
(``utils/shell-utils.ts`` ``collectCommandDetails``): every ``command``, declaration, ``unset``
and test node anywhere in the tree is a part, with its source text (quotes kept, spacing as
typed), so a rule sees each part exactly as it would in Gemini. That covers ``&&``, ``||``,
``;``, pipes, ``$( )``, backticks, ``<( )``, subshells and ``if``/``for``/``case`` bodies.
The script of ``bash -c '…'`` is unwrapped as Gemini's ``stripShellWrapper`` does.

Beyond Gemini (parts marked ``extra``): the command behind a wrapper (``sudo``, ``env``,
``timeout``, ``xargs``…), the script of ``eval``, and ``-c`` scripts of other shells or
spellings (``dash -c``, ``bash -lc``). Deciding more parts can only make a decision stricter.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any

_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish"})
_WRAPPERS = frozenset(
    {"env", "sudo", "nohup", "time", "nice", "exec", "command", "builtin", "xargs", "stdbuf"}
)
#: Options of a wrapper that take a value (``sudo -u root X``, ``env -u NAME X``).
_OPTION_VALUES = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"},
    "env": {"-u", "-C", "-S"},
}
_DETAIL_TYPES = frozenset({"command", "declaration_command", "unset_command", "test_command"})
_REDIRECT_TYPES = frozenset(
    {"redirected_statement", "file_redirect", "heredoc_redirect", "herestring_redirect"}
)
#: Gemini CLI's stripShellWrapper (shell-utils.ts), JavaScript regex semantics kept.
_GEMINI_WRAPPER = re.compile(
    r"^\s*(?:(?:(?:\S+/)?(?:sh|bash|zsh))\s+-c|cmd\.exe\s+/c|"
    r"powershell(?:\.exe)?\s+(?:-NoProfile\s+)?-Command|"
    r"pwsh(?:\.exe)?\s+(?:-NoProfile\s+)?-Command)\s+",
    re.IGNORECASE,
)
_MAX_PARSE_BYTES = 100_000  # a longer "command" is not one anybody types: asked, not parsed


@dataclass(frozen=True, slots=True)
class ShellPart:
    """One sub-command: its text as written, where it starts, and how to decide it."""

    text: str
    start: int  # byte offset in the command (Gemini's startIndex)
    extra: bool = False  # a part Gemini CLI does not decide on its own
    script: str | None = None  # a `bash -c` script, decided as a whole command of its own
    script_extra: bool = False  # that script is one only jupyter-plan unwraps


@dataclass(frozen=True, slots=True)
class ShellSplit:
    parts: tuple[ShellPart, ...]
    redirection: bool  # any redirection anywhere (Gemini's hasRedirection)
    error: str | None = None  # set when the command could not be parsed

    @property
    def compound(self) -> bool:
        return sum(not p.extra for p in self.parts) > 1


@functools.cache
def _parser() -> Any:
    import tree_sitter  # imported here: only shell decisions pay for it
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


@functools.lru_cache(maxsize=1024)  # an agent repeats its commands
def split_command(command: str) -> ShellSplit:
    """Parse ``command``; on any parse failure ``error`` is set (the caller asks or denies)."""
    if not command.strip():
        return ShellSplit((), False, "the command is empty")
    source = command.encode("utf-8", "surrogatepass")
    if len(source) > _MAX_PARSE_BYTES:
        return ShellSplit((), bool(re.search("[<>]", command)), "the command is too long")
    root = _parser().parse(source).root_node
    parts: list[ShellPart] = []
    redirection = False
    stack = [root]
    while stack:  # pre-order, as Gemini walks
        node = stack.pop()
        kind = node.type
        if kind in _REDIRECT_TYPES:
            redirection = True
        if kind in _DETAIL_TYPES and (kind != "command" or node.child_by_field_name("name")):
            text = _text(source, node.start_byte, node.end_byte)
            script, script_extra = _script(node, source, text)
            parts.append(ShellPart(text, node.start_byte, False, script, script_extra))
            if kind == "command":
                parts += _extras(node, source)
        elif kind == "expansion" and _prompt_transform(node):
            return ShellSplit((), redirection, "the command uses the ${…@P} prompt expansion")
        stack.extend(reversed(node.children))
    if root.has_error:
        return ShellSplit(tuple(parts), redirection, "cannot parse the shell command")
    if not parts:
        return ShellSplit((), redirection, "no command found")
    return ShellSplit(tuple(sorted(parts, key=lambda p: (p.start, p.extra))), redirection)


def has_redirection(command: str) -> bool:
    return bool(re.search("[<>]", command)) and split_command(command).redirection


def strip_shell_wrapper(command: str) -> str:
    """Gemini's stripShellWrapper: the script of ``bash -c 'X'`` (quotes removed), or the
    command itself, trimmed."""
    m = _GEMINI_WRAPPER.match(command)
    if not m:
        return command.strip()
    inner = command[m.end() :].strip()
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "\"'":
        if m.group().strip().endswith("-c") and inner[0] == '"':
            try:
                words = shlex.split(inner)
            except ValueError:
                words = []
            return words[0] if len(words) == 1 else inner[1:-1]
        return inner[1:-1]
    return inner


def _text(source: bytes, start: int, end: int) -> str:
    return source[start:end].decode("utf-8", "surrogatepass").strip()


def _prompt_transform(node: Any) -> bool:
    children = node.children
    return any(
        a.text == b"@" and (b.text or b"").lower() == b"p" for a, b in itertools.pairwise(children)
    )


def _script(node: Any, source: bytes, text: str) -> tuple[str | None, bool]:
    stripped = strip_shell_wrapper(text)
    if stripped != text:
        return stripped, False
    if node.type != "command":
        return None, False
    words = _words(node, source)
    if words and os.path.basename(words[0][1]) in _SHELLS:
        for i, (_, arg) in enumerate(words[1:], 1):
            if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
                return (words[i + 1][1], True) if i + 1 < len(words) else (None, False)
            if not arg.startswith("-"):
                break  # `bash script.sh`: a script file, decided as the command itself
    if words and os.path.basename(words[0][1]) == "eval" and len(words) > 1:
        return " ".join(w for _, w in words[1:]), True
    return None, False


def _extras(node: Any, source: bytes) -> list[ShellPart]:
    """The command behind ``sudo``, ``env A=1``, ``timeout 5``, ``xargs -0``…"""
    words = _words(node, source)
    if not words or os.path.basename(words[0][1]) not in (*_WRAPPERS, "timeout"):
        return []
    name = os.path.basename(words[0][1])
    i = 1
    while i < len(words):
        arg = words[i][1]
        if arg in _OPTION_VALUES.get(name, ()):
            i += 2
        elif arg.startswith("-") or (name == "env" and "=" in arg.split("/", 1)[0]):
            i += 1
        else:
            break
    if name == "timeout" and i < len(words):
        i += 1  # the duration
    if i >= len(words):
        return []
    start = words[i][0].start_byte
    text = _text(source, start, node.end_byte)
    return [ShellPart(text, start, extra=True)] if text else []


def _words(node: Any, source: bytes) -> list[tuple[Any, str]]:
    """The command's name and arguments, unquoted (for recognising wrappers)."""
    out: list[tuple[Any, str]] = []
    for child in node.children:
        if child.type in ("variable_assignment", "file_redirect", "herestring_redirect"):
            if out:
                break
            continue
        raw = _text(source, child.start_byte, child.end_byte)
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw]
        out.append((child, words[0] if len(words) == 1 else raw))
    return out
