"""Cell outputs as text: cleaning, placeholders, errors, the per-output lines and the summary."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_plan.outputs import (
    WHOLE,
    Limits,
    clean_line,
    error_line,
    first_line,
    format_outputs,
    multiline,
    output_lines,
    output_summary,
    output_text,
    placeholder,
    text_lines,
    traceback_tail,
)

RED, RESET = "\x1b[0;31m", "\x1b[0m"
B64 = base64.b64encode(bytes(range(256))).decode()  # 344 characters, every kind of them
SMALL = Limits(head=2, tail=1, line_chars=20, error_chars=30, traceback=2, max_outputs=2)


def stream(text: Any, name: str | None = "stdout") -> dict[str, Any]:
    out: dict[str, Any] = {"output_type": "stream", "text": text}
    return out | ({"name": name} if name else {})


def error(
    ename: Any = "KeyError", evalue: Any = "'x'", tb: list[Any] | None = None
) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": tb or []}


def data(bundle: Any, kind: str = "display_data") -> dict[str, Any]:
    return {"output_type": kind, "data": bundle, "metadata": {}}


@pytest.mark.parametrize(
    ("line", "limit", "expected"),
    [
        (f"{RED}red{RESET} plain", None, "red plain"),
        ("\x1b]0;title\x07a \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", None, "a link"),
        ("\x1b]0;unterminated", None, ""),
        ("lone \x1b escape", None, "lone  escape"),
        (" 10%|█  |\r 50%|██ |\r100%|███|", None, "100%|███|"),
        ("windows line\r", None, "windows line"),
        ("bell\x07 nul\x00 del\x7f\ttab", None, "bell nul del\ttab"),
        (f"src='{B64}'", None, "src='[base64 data]'"),
        (f"data:image/png;base64,{B64}", None, "data:image/png;base64,[base64 data]"),
        ("ACGT" * 30, None, "ACGT" * 30),  # a DNA sequence is data the model may need
        ("0123456789abcdef" * 5, None, "0123456789abcdef" * 5),  # a hex digest too
        ("z" * 80, None, "z" * 80),
        ("abcdefghij", 5, "abcd…"),
        ("abcde", 5, "abcde"),
        ("trailing   ", None, "trailing"),
        ("x" * 10_000 + "\r" + "y", 10, "xxxxxxxxx…"),  # cut before the \r is seen
    ],
)
def test_clean_line(line: str, limit: int | None, expected: str) -> None:
    assert clean_line(line, limit) == expected


@given(st.text())
def test_clean_line_leaves_no_escape_or_control_bytes(line: str) -> None:
    assert re.search(r"[\x00-\x08\x0b-\x1f\x7f]", clean_line(line)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\nb", "a\nb"),
        (["a\n", "b"], "a\nb"),
        (None, ""),
        ([], ""),
        ({"a": 1, "é": [2]}, '{"a": 1, "é": [2]}'),
        ([1, 2], "[1, 2]"),  # an application/json array, not lines
        (3, "3"),
    ],
)
def test_multiline(value: Any, expected: str) -> None:
    assert multiline(value) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("first\nsecond", 100, "first"),
        ("\n\n   \n  indented\n", 100, "indented"),
        (f"{RESET}\n\x1b[1m\n{RED}shown{RESET}", 100, "shown"),  # lines of only escapes skipped
        ("a long first line", 6, "a lon…"),
        ("", 100, ""),
        (" \n\t\n", 100, ""),
        (f"{RESET}\n" * 50 + "too far", 100, ""),  # gives up rather than scan a whole text
    ],
)
def test_first_line(text: str, limit: int, expected: str) -> None:
    assert first_line(text, limit) == expected


TEN = "".join(f"line {i}\n" for i in range(10))


@pytest.mark.parametrize(
    ("text", "head", "tail", "line_chars", "expected"),
    [
        (TEN, None, 0, None, [f"line {i}" for i in range(10)]),
        (TEN, 2, 1, None, ["line 0", "line 1", "… 7 more lines", "line 9"]),
        (TEN, 3, 0, None, ["line 0", "line 1", "line 2", "… 7 more lines"]),
        (TEN, 8, 2, None, [f"line {i}" for i in range(10)]),  # nothing hidden: no count
        (TEN, 20, 5, None, [f"line {i}" for i in range(10)]),
        ("a\n\nb\r\n\r\n", None, 0, None, ["a", "", "b"]),
        ("\n\n", 3, 1, None, []),
        ("", None, 0, None, []),
        ("x" * 50 + "\nshort", 1, 1, 10, ["xxxxxxxxx…", "short"]),
        (f"{RED}err{RESET}\nok", None, 0, None, ["err", "ok"]),
    ],
)
def test_text_lines(
    text: str, head: int | None, tail: int, line_chars: int | None, expected: list[str]
) -> None:
    assert text_lines(text, head, tail, line_chars) == expected


@pytest.mark.parametrize(
    ("output", "limit", "expected"),
    [
        (error(), None, "KeyError: 'x'"),
        (error(f"{RED}ValueError{RESET}", f"bad {RED}row{RESET}"), None, "ValueError: bad row"),
        (
            error("ValidationError", "2 errors\nfield a\nfield b"),
            None,
            "ValidationError: 2 errors field a field b",
        ),
        (error(None, ["multi", "part"]), None, "Error: multipart"),
        ({"output_type": "error"}, None, "Error:"),
        (error("E", "v" * 50), 10, "E: vvvvvv…"),
    ],
)
def test_error_line(output: dict[str, Any], limit: int | None, expected: str) -> None:
    assert error_line(output, limit) == expected


IPYTHON_TB = [
    f"{RED}---------------------------------------------------------------------------{RESET}",
    f"{RED}KeyError{RESET}                                  Traceback (most recent call last)",
    f"Cell {RED}In[4], line 2{RESET}\n      1 x = 1\n{RED}----> 2{RESET} df['region']\n",
    f"{RED}KeyError{RESET}: 'region'",
]
FRAMES = [f"File x.py, line {i}\n  frame {i}" for i in range(30)]


@pytest.mark.parametrize(
    ("tb", "count", "line_chars", "expected"),
    [
        (IPYTHON_TB, 2, None, ["1 x = 1", "----> 2 df['region']"]),  # the error line not repeated
        (
            IPYTHON_TB,
            10,
            None,
            [
                "-" * 75,
                "KeyError                                  Traceback (most recent call last)",
                "Cell In[4], line 2",
                "1 x = 1",
                "----> 2 df['region']",
            ],
        ),
        (FRAMES, 3, None, ["frame 28", "File x.py, line 29", "frame 29"]),  # across entries
        (FRAMES, 2, 8, ["File x.…", "frame 29"]),  # clipped after stripping
        (FRAMES, 0, None, []),
        ([], 4, None, []),
        ([["File y.py\n", "  list entry"]], 4, None, ["File y.py", "list entry"]),
    ],
)
def test_traceback_tail(
    tb: list[Any], count: int, line_chars: int | None, expected: list[str]
) -> None:
    assert traceback_tail(error(tb=tb), count, line_chars, "KeyError: 'region'") == expected


def test_traceback_tail_of_a_malformed_output_is_empty() -> None:
    assert traceback_tail({"output_type": "error", "traceback": "not a list"}, 4) == []


@pytest.mark.parametrize(
    ("mime", "value", "expected"),
    [
        ("image/png", B64, "[image/png]"),
        ("image/svg+xml", ["<svg>", "</svg>"], "[image/svg+xml]"),
        ("application/vnd.jupyter.widget-view+json", {"model_id": "m"}, "[widget]"),
        ("text/html", "<b>x</b>", "[text/html, 8 B]"),
        ("text/html", "x" * 14_400, "[text/html, 14 kB]"),
        ("text/html", ["<p>", "x" * 2_000, "</p>"], "[text/html, 2 kB]"),
        ("text/html", "", "[text/html]"),
        ("application/vnd.plotly.v1+json", {"data": []}, "[application/vnd.plotly.…]"),
    ],
)
def test_placeholder(mime: str, value: Any, expected: str) -> None:
    assert placeholder(mime, value) == expected


FIGURE = {"image/png": B64, "text/plain": "<Figure size 640x480 with 1 Axes>"}
FRAME = {"text/html": "<table/>", "text/plain": "   a\n0  1\n1  2"}

OUTPUTS: list[tuple[dict[str, Any], str, list[str]]] = [
    (stream(["a\n", "b\n"]), "stdout", ["a", "b"]),
    (stream("warn\n", "stderr"), "stderr", ["warn"]),
    (stream("x\n", None), "stream", ["x"]),
    (stream(""), "stdout", []),
    (
        error("KeyError", "'region'", IPYTHON_TB),
        "error",
        [
            "KeyError: 'region'",
            "-" * 75,
            "KeyError                                  Traceback (most recent call last)",
            "Cell In[4], line 2",
            "1 x = 1",
            "----> 2 df['region']",
        ],
    ),
    (data(FIGURE), "out", ["[image/png] <Figure size 640x480 with 1 Axes>"]),
    (data(FRAME, "execute_result"), "out", ["[text/html, 8 B]", "   a", "0  1", "1  2"]),
    (data({"image/png": B64}), "out", ["[image/png]"]),
    (data({"text/markdown": "**bold**"}), "out", ["**bold**"]),
    (data({"text/plain": "x", "text/latex": "$x$"}), "out", ["[text/latex, 3 B] x"]),
    (data({"application/json": {"a": 1}}), "out", ['{"a": 1}']),
    (data({"application/vnd.jupyter.widget-view+json": {}}), "out", ["[widget]"]),
    (data({}), "out", []),
    (data("not a bundle"), "out", []),
    ({"output_type": "update_display_data"}, "out", ["[update_display_data output]"]),
]


@pytest.mark.parametrize(("output", "label", "lines"), OUTPUTS)
def test_output_lines_and_text(output: dict[str, Any], label: str, lines: list[str]) -> None:
    assert output_lines(output, WHOLE) == (label, lines)
    assert output_text(output) == "\n".join(lines)


@pytest.mark.parametrize(
    ("output", "lines"),
    [
        (stream(TEN), ["line 0", "line 1", "… 7 more lines", "line 9"]),
        (error("E", "v" * 40, FRAMES), ["E: " + "v" * 26 + "…", "File x.py, line 29", "frame 29"]),
        (
            data({"text/plain": TEN, "image/png": B64}),
            ["[image/png]", "line 0", "line 1", "… 7 more lines", "line 9"],
        ),
    ],
)
def test_output_lines_within_limits(output: dict[str, Any], lines: list[str]) -> None:
    assert output_lines(output, SMALL)[1] == lines


@pytest.mark.parametrize(
    ("outputs", "limits", "indent", "expected"),
    [
        ([], WHOLE, "", []),
        (
            [stream("loaded\n"), data(FRAME, "execute_result")],
            WHOLE,
            "  ",
            [
                "  stdout: loaded",
                "  out: [text/html, 8 B]",
                "         a",
                "      0  1",
                "      1  2",
            ],
        ),
        (
            [stream("a"), stream("b"), stream("c"), error(), stream("d")],
            SMALL,
            "",
            ["stdout: a", "stdout: b", "error: KeyError: 'x'", "… 2 more outputs"],
        ),
        ([stream("a"), stream("")], SMALL, "", ["stdout: a"]),  # the empty one is not "more"
    ],
)
def test_format_outputs(
    outputs: list[dict[str, Any]], limits: Limits, indent: str, expected: list[str]
) -> None:
    assert format_outputs(outputs, limits, indent) == expected


@pytest.mark.parametrize(
    ("outputs", "limit", "expected"),
    [
        ([], 100, ""),
        (
            [stream("fine\n"), error("ValueError", "bad")],
            100,
            "error: ValueError: bad; stdout: fine",
        ),
        ([stream("fine\n"), error("ValueError", "bad")], 30, "error: ValueError: bad (+1 more)"),
        ([stream("\n\nhello\nworld")], 100, "stdout: hello"),
        ([data(FIGURE)], 100, "out: [image/png] <Figure size 640x480 with 1 Axes>"),
        ([data(FRAME, "execute_result")], 100, "out: [text/html, 8 B] a"),
        ([stream(""), stream("x")], 100, "stdout: x"),  # nothing to say about an empty one
        ([error("E", "v" * 200)], 20, "error: E: vvvvvvvvv…"),  # the first always shows, cut
        ([stream(f"{i}\n") for i in range(30)], 30, "stdout: 0; stdout: 1 (+28 more)"),
        ([{"output_type": "clear_output"}], 100, "out: [clear_output output]"),
    ],
)
def test_output_summary(outputs: list[dict[str, Any]], limit: int, expected: str) -> None:
    assert output_summary(outputs, limit) == expected
    assert len(expected.split(" (+")[0]) <= limit
