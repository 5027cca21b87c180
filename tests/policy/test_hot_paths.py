"""The speed-ups of the decision and loading paths change no byte of what rules see."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_plan.policy.js_regex import compile_js
from jupyter_plan.policy.regex_safety import UnsafeRegex, screen
from jupyter_plan.policy.types import canonical_args


class _Key(str):
    """A str subclass: canonical_args takes its general path for such keys."""


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
_KEYS = st.text() | st.sampled_from(["file_path", "command", "a", "B", "_x", "é", "\ud800"])


@settings(max_examples=500, derandomize=True)
@given(st.dictionaries(_KEYS, _VALUES | st.just(len), max_size=5))
def test_fast_canonical_path_writes_the_same_bytes_as_the_general_one(args: dict) -> None:
    general = canonical_args({_Key(k): v for k, v in args.items()})
    assert canonical_args(args) == general


def test_canonical_args_frames_sorted_keys_and_skips_functions() -> None:
    got = canonical_args({"b": "x\u2028\ud800", "a": 1.0, "f": len})
    assert got == '{\0"a":1\0,\0"b":"x\u2028\\ud800"\0}'


def test_identical_patterns_compile_once() -> None:
    assert compile_js("p123x") is compile_js("p123x")


def test_a_refused_pattern_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(UnsafeRegex, match="backtrack"):
            compile_js("(a|ab)*c")


@pytest.mark.parametrize("source", ["abc", r"(a|a)?b", r"x\?y", '(?:[\\s"]|\\\\")'])
def test_patterns_without_unbounded_repeats_pass_the_screen(source: str) -> None:
    assert screen(source) is None


@pytest.mark.parametrize("source", [r"(a+)+$", r"(a|a)*$", r"(.*a){20}"])
def test_patterns_with_nested_repeats_still_fail_the_screen(source: str) -> None:
    assert screen(source) is not None
