"""Cell outputs as the model reads them: one format for the notebook outline and the tools.

nbformat outputs hold terminal colour codes, progress bars redrawn with carriage returns,
base64 images and whole HTML tables; the model can use none of that verbatim. Every output
becomes a label (``stdout``, ``stderr``, ``out``, ``error``) and lines of plain text; rich
data becomes a placeholder such as ``[image/png]`` or ``[text/html, 14 kB]``; an error is
``ename: evalue`` and the tail of its traceback. The outline and ``read_cells`` differ only
in their :class:`Limits`, never in the format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Output = Mapping[str, Any]

# CSI (colours, cursor moves), OSC (titles, links; unterminated ones end at the line) and
# two-byte escapes; a lone ESC goes too.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # keeps tab and newline
_BASE64 = re.compile(r"[A-Za-z0-9+/]{65,}={0,2}")  # longer than a sha256 in hex
_VISIBLE = re.compile(r"\S")
TEXT_MIMES = ("text/plain", "text/markdown", "text/latex", "application/json")
MIME_CHARS = 24  # "[application/vnd.plotly.…]" still says what it is
SUMMARY_CHARS = 100
_BLANKISH_LINES = 20  # lines of only escape codes first_line skips before giving up


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of each output to show; ``None`` means all of it."""

    head: int | None = None  # first lines of a text, then a count of the hidden ones
    tail: int = 0  # and its last lines (only with a head)
    line_chars: int | None = None  # longer lines are clipped with "…"
    error_chars: int | None = None  # of the "ename: evalue" line
    traceback: int = 12  # lines of a traceback's tail
    max_outputs: int | None = None  # per cell; errors are always shown


WHOLE = Limits()


def multiline(value: Any) -> str:
    """nbformat text (a string or a list of lines) as one string; other JSON as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _unbase64(match: re.Match[str]) -> str:
    # Encoded data mixes cases and digits; a DNA sequence, a hex digest or "zzzz…" does not.
    run = match.group()
    kinds = (str.isupper, str.islower, str.isdigit)
    return "[base64 data]" if all(any(map(k, run)) for k in kinds) else run


def clean_line(line: str, limit: int | None = None, *, strip: bool = False) -> str:
    """One display line: progress-bar rewrites, ANSI, control bytes and base64 out, clipped
    (after ``strip``, so indentation does not eat the room).

    A line is cut to ``4 * limit`` characters before the regexes run, so a megabyte of
    JSON on one line costs what a short line does.
    """
    if limit is not None:
        line = line[: limit * 4]
    if "\r" in line:  # a terminal shows only what was written after the last carriage return
        line = line.rstrip("\r").rsplit("\r", 1)[-1]
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    line = _BASE64.sub(_unbase64, _CONTROL.sub("", line))
    return clip(line.strip() if strip else line.rstrip(), limit)


def clip(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def first_line(text: str, limit: int) -> str:
    """The first line with something visible, cleaned and clipped; reads no further."""
    pos = 0
    for _ in range(_BLANKISH_LINES):
        if (m := _VISIBLE.search(text, pos)) is None:
            return ""
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.start())
        end = len(text) if end == -1 else end
        if line := clean_line(text[start : min(end, start + limit * 4)], limit, strip=True):
            return line
        pos = end + 1
    return ""


def text_lines(
    text: str, head: int | None = None, tail: int = 0, line_chars: int | None = None
) -> list[str]:
    """Cleaned lines of ``text``: all, or the first ``head`` and last ``tail`` with a count of
    those between (found without splitting the whole text)."""
    end = len(text)
    while end and text[end - 1] in "\r\n":
        end -= 1
    if not end:
        return []
    if head is None:
        return [clean_line(s, line_chars) for s in text[:end].split("\n")]
    total = text.count("\n", 0, end) + 1
    if total <= head + tail:
        head, tail = total, 0
    span = line_chars * 4 if line_chars else end  # clean_line reads no more of a line
    first = text[: min(end, head * span)].split("\n")[:head]
    last = text[max(0, end - tail * span) : end].split("\n")[-tail:] if tail else []
    out = [clean_line(s, line_chars) for s in first]
    if (hidden := total - len(first) - len(last)) > 0:
        out.append(f"… {hidden:,} more lines")
    return out + [clean_line(s, line_chars) for s in last]


def error_line(output: Output, limit: int | None = None) -> str:
    """``ename: evalue`` on one line."""
    line = f"{multiline(output.get('ename')) or 'Error'}: {multiline(output.get('evalue'))}"
    return clean_line(line.replace("\n", " "), limit)


def traceback_tail(
    output: Output, count: int, line_chars: int | None = None, error: str = ""
) -> list[str]:
    """The last ``count`` non-blank traceback lines, stripped, without a repeat of ``error``.

    Reads entries from the end until it has enough lines: a traceback can be long.
    """
    entries = output.get("traceback")
    if count <= 0 or not isinstance(entries, list):
        return []
    want, found, chunks = 3 * count, 0, []  # room for blank lines and the repeated error
    for entry in reversed(entries):
        text = multiline(entry)
        chunks.append(text[-want * line_chars * 4 :] if line_chars else text)
        found += chunks[-1].count("\n") + 1
        if found >= want:
            break
    raw = "\n".join(reversed(chunks)).split("\n")[-want:]
    lines = [s for s in (clean_line(s, line_chars, strip=True) for s in raw) if s]
    return [s for s in lines if s != error][-count:]


def placeholder(mime: str, value: Any) -> str:
    """``[image/png]``, ``[widget]``, ``[text/html, 14 kB]``: what there is, never its data."""
    if mime.endswith("widget-view+json"):
        return "[widget]"
    name = clip(mime, MIME_CHARS)
    if mime.startswith("image/"):  # its size says nothing the model can use
        return f"[{name}]"
    size = len(value) if isinstance(value, str) else 0
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        size = sum(map(len, value))
    if not size:  # JSON data: measuring it would mean serialising it
        return f"[{name}]"
    return f"[{name}, {size} B]" if size < 1000 else f"[{name}, {round(size / 1000)} kB]"


def shown_mime(data: Mapping[str, Any]) -> str | None:
    """Which MIME type's text stands for a rich output: plain text first."""
    return next((m for m in TEXT_MIMES if m in data), None)


def _bundle(output: Output) -> tuple[str, Mapping[str, Any]]:
    """The placeholders of a MIME bundle's other types, and the bundle."""
    data = output.get("data")
    if not isinstance(data, Mapping):
        return "", {}
    shown = shown_mime(data)
    return " ".join(placeholder(m, v) for m, v in data.items() if m != shown), data


def output_lines(output: Output, limits: Limits = WHOLE) -> tuple[str, list[str]]:
    """One output as a label and its lines of text (no lines: nothing to show)."""
    kind = output.get("output_type")
    if kind == "stream":
        text = multiline(output.get("text"))
        lines = text_lines(text, limits.head, limits.tail, limits.line_chars)
        return str(output.get("name") or "stream"), lines
    if kind == "error":
        error = error_line(output, limits.error_chars)
        return "error", [error, *traceback_tail(output, limits.traceback, limits.line_chars, error)]
    if kind in ("execute_result", "display_data"):
        rich, data = _bundle(output)
        shown = shown_mime(data)
        text = multiline(data[shown]) if shown else ""
        lines = text_lines(text, limits.head, limits.tail, limits.line_chars)
        if rich and len(lines) == 1:  # "[image/png] <Figure size 640x480 with 1 Axes>"
            return "out", [f"{rich} {lines[0]}"]
        return "out", [rich, *lines] if rich else lines
    return "out", [f"[{kind} output]"]


def output_text(output: Output) -> str:
    """One output's whole text without its label: what search_cells searches."""
    return "\n".join(output_lines(output)[1])


def format_outputs(
    outputs: Sequence[Output], limits: Limits = WHOLE, indent: str = ""
) -> list[str]:
    """Each output as ``label: first line``, its other lines indented below it."""
    out: list[str] = []
    cut = limits.max_outputs
    for n, output in enumerate(outputs):
        if cut is not None and n >= cut and output.get("output_type") != "error":
            continue
        label, lines = output_lines(output, limits)
        if lines:
            out += [f"{indent}{label}: {lines[0]}", *(f"{indent}    {s}" for s in lines[1:])]
    if cut is not None and (extra := sum(o.get("output_type") != "error" for o in outputs[cut:])):
        out.append(f"{indent}… {extra:,} more outputs")
    return out


def _gist(output: Output, limit: int) -> str:
    """The line an output's summary starts with: label and first visible line."""
    kind = output.get("output_type")
    if kind == "error":
        return clip(f"error: {error_line(output, limit)}", limit)
    if kind == "stream":
        label, body = str(output.get("name") or "stream"), multiline(output.get("text"))
        body = first_line(body, limit)
    elif kind in ("execute_result", "display_data"):
        rich, data = _bundle(output)
        shown = shown_mime(data)
        label, body = "out", first_line(multiline(data[shown]), limit) if shown else ""
        body = f"{rich} {body}".strip()
    else:
        label, body = "out", f"[{kind} output]"
    return clip(f"{label}: {body}", limit) if body else ""


def output_summary(outputs: Sequence[Output], limit: int = SUMMARY_CHARS) -> str:
    """One line for a cell's outputs: errors first, then the others in order, each as its
    label and first line, as many as fit in ``limit``, and how many more there are."""
    ordered = sorted(outputs, key=lambda o: o.get("output_type") != "error")  # stable
    bits: list[str] = []
    used = -2
    for n, output in enumerate(ordered):
        if not (gist := _gist(output, limit)):
            continue
        if bits and used + 2 + len(gist) > limit:
            return f"{'; '.join(bits)} (+{len(ordered) - n} more)"
        bits.append(gist)
        used += 2 + len(gist)
    return "; ".join(bits)
