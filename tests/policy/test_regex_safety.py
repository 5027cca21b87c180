"""Regexes are compiled once and screened for catastrophic backtracking."""

from __future__ import annotations

import pytest

from jupyter_plan.policy.regex_safety import MAX_PATTERN_LENGTH, UnsafeRegex, compile_safe

SAFE = [
    r'"command":"(git|npm)',
    r"\d+\.\d+",
    r"^rm\s+-rf\s+/",
    r"(foo|bar)+baz",  # disjoint alternatives
    r"a{1,5}b",
    r"[a-z]+@[a-z]+\.com",
    r"(?<name>git) log",  # JS named group, as Gemini files may use
    r"(?=x)y",
    r"(?:a|b)*c",  # collapsed into a character class
]
UNSAFE = [
    r"(a+)+$",
    r"(a*)*b",
    r"(x+x+)+y",
    r"(\w+\s?)*$",
    r"(a|a)*$",
    r"(a|ab)*c",
    r"(.*a){20}",
    r"((ab)*)+",
    r"(?:\d+)+x",
]


@pytest.mark.parametrize("pattern", SAFE)
def test_safe(pattern: str) -> None:
    assert compile_safe(pattern).pattern


@pytest.mark.parametrize("pattern", UNSAFE)
def test_unsafe(pattern: str) -> None:
    with pytest.raises(UnsafeRegex, match="catastrophically"):
        compile_safe(pattern)


def test_invalid_and_too_long() -> None:
    with pytest.raises(UnsafeRegex, match="invalid regular expression"):
        compile_safe("(")
    with pytest.raises(UnsafeRegex, match="longer than"):
        compile_safe("a" * (MAX_PATTERN_LENGTH + 1))
