"""Pages are the person's: no tool writes them, in any mode, unless a policy rule says so.

The built-in rules allow file writes while building (``autoEdit``, ``yolo``) and the plan
document while planning; none of them may open the pages folder. A write whose path lands
in it (symlinks followed, relative to the project root or the plan directory) is denied
unless the rule that allowed it is a workspace, user or admin rule: the person's own
policy, e.g. ``toolName = "write_file"``, ``argsPattern = "pages/"``, ``decision = "allow"``.

A shell command gets the same treatment: bash can write a page as well as ``write_file``
(``echo x > pages/a.md``, ``rm``, ``sed -i``, ``tee``, ``mv``). Its words are taken from the
parse tree (the same tree-sitter-bash parser as :mod:`shell`, ``bash -c`` and ``eval``
scripts included): an output redirect's target, and every argument of a command that is
not known to only read (``cat``, ``grep``, ``ls``…). One that names the pages folder, a
page, or a folder holding it (relative to the project root, the plan directory, the pages
folder's parent or a ``cd`` target; globs expanded) makes the command a page write.
Conservative on purpose: ``cp pages/a.md /tmp`` counts too; a person's rule can open it.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jupyter_plan.policy.build_files import is_file_edit_tool
from jupyter_plan.policy.engine import PATH_ARGS, PolicyEngine
from jupyter_plan.policy.paths import real_path
from jupyter_plan.policy.shell import split_command
from jupyter_plan.policy.types import SHELL_TOOL, Decision, Mode, PolicyDecision, Tier, ToolKind

REFUSED = (
    "Pages are the person's: {path!r} is in the pages folder ({folder}), which no tool writes "
    "unless a workspace or user policy rule allows it. Propose the change in the plan instead."
)


class PagesGuardedEngine(PolicyEngine):
    """The policy engine with the pages folder closed to every built-in allow."""

    def __init__(self, *args: Any, pages_dir: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages_dir = os.path.realpath(os.fspath(pages_dir))

    def decide(
        self,
        tool: str,
        args: Mapping[str, Any] | None = None,
        mode: Mode | str = Mode.DEFAULT,
        *,
        interactive: bool = True,
        kind: ToolKind | None = None,
        annotations: Mapping[str, Any] | None = None,
    ) -> PolicyDecision:
        """:meth:`PolicyEngine.decide`, then the pages guard."""
        audit, self.audit = self.audit, None  # audited once, after the guard
        try:
            result = super().decide(
                tool, args, mode, interactive=interactive, kind=kind, annotations=annotations
            )
        finally:
            self.audit = audit
        why = self.pages_protected(tool, args or {}, kind, result)
        if why is not None:
            result = result.but(Decision.DENY, why)
        if audit is not None:
            audit(result)
        return result

    def pages_protected(
        self,
        tool: str,
        args: Mapping[str, Any],
        kind: ToolKind | None,
        result: PolicyDecision,
    ) -> str | None:
        """Why this call may not run (it writes a page and no person's rule allowed it)."""
        if result.decision is Decision.DENY:
            return None
        shell = tool == SHELL_TOOL or kind is ToolKind.SHELL
        if not shell and kind is not ToolKind.WRITE and not is_file_edit_tool(tool):
            return None
        rule = result.rule
        if rule is not None and rule.tier is not Tier.BUILTIN and result.allowed:
            return None  # the person's own policy opened it
        if shell:
            command = args.get("command")
            if not isinstance(command, str):
                return None  # no command: denied by the engine already
            word = self.shell_writes_page(command)
            return None if word is None else REFUSED.format(path=word, folder=self._folder)
        bases = [os.fspath(b) for b in (self.workspace_root, self.plan_dir) if b is not None]
        for key in PATH_ARGS:
            value = args.get(key)
            if not isinstance(value, str):
                continue
            for base in bases or [os.getcwd()]:
                real = real_path(value, base)
                if real is None or _under(real, self.pages_dir):
                    return REFUSED.format(path=value, folder=self._folder)
        return None

    @property
    def _folder(self) -> str:
        return Path(self.pages_dir).name

    def shell_writes_page(self, command: str) -> str | None:
        """The first word of ``command`` that writes into the pages folder, or None.

        Words are tried from where the command runs (the project root, or a ``cd`` target)
        and, as the file guard does, from the plan directory and the pages folder's parent.
        Only from where it runs does a folder holding the pages (``.jupyter_plan``) count.
        """
        root = os.path.realpath(self.workspace_root) if self.workspace_root else None
        words, cds = _written_words(command, 0)
        here = [root or os.getcwd()]
        here += [real for cd in cds for b in list(here) if (real := real_path(cd, b)) is not None]
        guessed = [os.fspath(b) for b in (self.plan_dir,) if b is not None]
        guessed.append(os.path.dirname(self.pages_dir))
        for word in words:
            for base in [*here, *guessed]:
                for real in _expanded(word, base):
                    if _under(real, self.pages_dir):
                        return word
                    if base in here and _holds(real, self.pages_dir, root):
                        return word
        return None


#: Commands whose arguments are only read (their output redirects are still checked).
READ_ONLY_COMMANDS = frozenset(
    {
        "cat", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "ls", "wc",
        "file", "stat", "diff", "cmp", "md5sum", "sha1sum", "sha256sum", "du",
        "realpath", "readlink", "basename", "dirname", "echo", "printf", "nl", "test", "[",
    }
)  # fmt: skip
_TOKEN = re.compile(rb"[^\s'\"`$(){};|&<>=]+")
_MAX_DEPTH = 8  # nested `bash -c` scripts, as shell_decision


@functools.lru_cache(maxsize=256)  # an agent repeats its commands
def _written_words(command: str, depth: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(words that may be written, cd targets)`` of ``command`` and its inner scripts."""
    words: list[str] = []
    cds: list[str] = []
    if depth > _MAX_DEPTH:
        return (), ()
    source = command.encode("utf-8", "surrogatepass")
    stack = [_parser().parse(source).root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type == "file_redirect":
            operator = next((c for c in node.children if not c.is_named), None)
            target = node.child_by_field_name("destination")
            if operator is not None and b">" in (operator.text or b"") and target is not None:
                words += _unquoted(target.text)
        elif node.type == "command" and (name := node.child_by_field_name("name")) is not None:
            program = os.path.basename(" ".join(_unquoted(name.text)))
            raw = [a.text or b"" for a in node.children_by_field_name("argument")]
            arguments = [w for a in raw for w in _unquoted(a)]
            # `rm $(echo pages/a.md)`: the paths a substitution spells out count as arguments
            arguments += [t.decode("utf-8", "replace") for a in raw if b"$(" in a or b"`" in a
                          for t in _TOKEN.findall(a)]  # fmt: skip
            if program == "cd":
                cds += arguments[-1:]
            elif program not in READ_ONLY_COMMANDS:
                words += arguments
                words += [w.split("=", 1)[1] for w in arguments if w.startswith("-") and "=" in w]
    for part in split_command(command).parts:  # `bash -c '…'`, `eval …`
        if part.script is not None:
            inner, inner_cds = _written_words(part.script, depth + 1)
            words += inner
            cds += inner_cds
    return tuple(words), tuple(cds)


def _unquoted(raw: bytes | None) -> list[str]:
    text = (raw or b"").decode("utf-8", "surrogatepass")
    try:
        return shlex.split(text) or [text]
    except ValueError:
        return [text]


def _expanded(word: str, base: str) -> Iterator[str]:
    """``word``'s real path from ``base``, and what its glob (or its folder's) matches."""
    real = real_path(word, base)
    if real is None:
        return
    yield real
    if glob.has_magic(word):
        joined = os.path.join(base, word)
        for match in [*glob.glob(joined), *glob.glob(os.path.dirname(joined))]:
            if (found := real_path(match, base)) is not None:
                yield found


def _holds(path: str, pages: str, root: str | None) -> bool:
    """``path`` is a folder the pages folder is in, below the project root (``.jupyter_plan``)."""
    return root is not None and path != root and _under(path, root) and _under(pages, path)


@functools.cache
def _parser() -> Any:
    import tree_sitter  # as policy/shell.py: only shell decisions pay for it
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def _under(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:
        return False


__all__ = ["READ_ONLY_COMMANDS", "REFUSED", "PagesGuardedEngine"]
