"""Compile a policy regex once, refusing patterns that can backtrack catastrophically.

Rules are matched against model-chosen arguments (a whole file's content for
``write_file``), so a pattern like ``(a+)+$`` could stall the kernel for minutes. We refuse
the classic shapes statically: an unbounded repeat containing another repeat, or containing
alternatives that can match the same text. This is a conservative screen, not a proof.
"""

from __future__ import annotations

import re

# The parser behind `re` itself (no public API, no stubs): we screen the tree it compiles.
import re._constants as _c  # type: ignore[import-not-found]
import re._parser as _parser  # type: ignore[import-not-found]
from typing import Any

MAX_PATTERN_LENGTH = 2000
_UNBOUNDED = 100  # a repeat allowing more than this many is treated as unbounded
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_JS_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_MAY_REPEAT = re.compile(r"[*+{]")


class UnsafeRegex(ValueError):
    pass


def compile_safe(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` (JS-style ``(?<name>…)`` groups accepted, as Gemini files use)."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafeRegex(f"regular expression longer than {MAX_PATTERN_LENGTH} characters")
    source = _JS_NAMED_GROUP.sub("(?P<", pattern)
    try:
        compiled = re.compile(source)
        parsed = _parser.parse(source)
    except re.error as exc:
        raise UnsafeRegex(f"invalid regular expression {pattern!r}: {exc}") from None
    why = _catastrophic(parsed.data, inside_unbounded=False, inside_repeat=False)
    if why:
        raise UnsafeRegex(f"regular expression {pattern!r} can backtrack catastrophically: {why}")
    return compiled


def screen(source: str) -> str | None:
    """Why the (already valid) Python pattern ``source`` could backtrack catastrophically.

    Without ``*``, ``+`` or ``{`` a pattern holds no repeat above one (only ``?``), which is
    all the screen looks for: such patterns (most prefixes and argument patterns) are not
    parsed a second time."""
    if not _MAY_REPEAT.search(source):
        return None
    return _catastrophic(_parser.parse(source).data, inside_unbounded=False, inside_repeat=False)


def _catastrophic(items: list[Any], inside_unbounded: bool, inside_repeat: bool) -> str | None:
    for op, arg in items:
        if op in _REPEATS:
            _low, high, body = arg
            unbounded = high is _c.MAXREPEAT or high > _UNBOUNDED
            if (inside_unbounded and high > 1) or (inside_repeat and unbounded):
                return "a repeat nested in another repeat (nested quantifiers)"
            why = _catastrophic(
                list(body), inside_unbounded or unbounded, inside_repeat or high > 1
            )
            if why:
                return why
        elif op is _c.SUBPATTERN:
            why = _catastrophic(list(arg[-1]), inside_unbounded, inside_repeat)
            if why:
                return why
        elif op is _c.BRANCH:
            alternatives = arg[1]
            if inside_unbounded and _overlapping(alternatives):
                return "alternatives that can match the same text inside an unbounded repeat"
            for alt in alternatives:
                why = _catastrophic(list(alt), inside_unbounded, inside_repeat)
                if why:
                    return why
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            why = _catastrophic(list(arg[1]), inside_unbounded, inside_repeat)
            if why:
                return why
        # ATOMIC_GROUP and POSSESSIVE_REPEAT never backtrack into themselves: safe.
    return None


def _overlapping(alternatives: list[Any]) -> bool:
    firsts: list[set[int] | None] = []
    for alt in alternatives:
        items = list(alt)
        if not items:
            return True  # an empty alternative matches wherever any other does
        firsts.append(_first_chars(items[0]))
    for i, a in enumerate(firsts):
        for b in firsts[i + 1 :]:
            if a is None or b is None or a & b:
                return True
    return False


def _first_chars(item: Any) -> set[int] | None:
    """The literal first characters an item can start with; None when it could be many."""
    op, arg = item
    if op is _c.LITERAL:
        return {arg}
    if op is _c.IN and all(o is _c.LITERAL for o, _ in arg):
        return {v for _, v in arg}
    if op is _c.SUBPATTERN and list(arg[-1]):
        return _first_chars(next(iter(arg[-1])))
    return None
