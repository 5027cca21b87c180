"""What a replay matches on: the model requests, up to display data.

A recording answers the requests the model was sent. A request that differs only in an
output that is *display* (an image, a widget, a script: ``out: [image/png] <Figure …>``) is
not a different question: with ``MPLBACKEND=Agg`` (common on CI machines) a chart cell
shows no PNG, and nothing the model would do depends on it. Such a turn is replayed, with a
warning naming the cell and the output. Anything else — text, a value, an error, a cell's
source, the task, the tools, the model — is a drift.

Outputs appear in requests as ``format_outputs`` lines (``out:``/``stdout:``/``stderr:``/
``error:`` and indented continuation lines), in the notebook outline and in tool results.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_LABEL = re.compile(r"^(\s*)(out|stdout|stderr|error): ")
_DISPLAY = re.compile(r"^\s*out: (\[(image/[^\]]*|widget|application/javascript[^\]]*)\]\s*)+")
_CELL = re.compile(r"(?:Cell '([^']+)' ran|^\s*\[([^\]\s]+)\] (?:code|md|raw)\b|\bid=(\S+))")


def _blocks(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """``text`` without its display outputs, and those outputs as (cell, first line)."""
    lines = text.split("\n")
    kept: list[str] = []
    removed: list[tuple[str, str]] = []
    cell = "?"
    i = 0
    while i < len(lines):
        line = lines[i]
        if found := _CELL.search(line):
            cell = next(g for g in found.groups() if g)
        label = _LABEL.match(line)
        if label is None or not _DISPLAY.match(line):
            kept.append(line)
            i += 1
            continue
        indent = len(label.group(1))
        j = i + 1
        while j < len(lines) and not _LABEL.match(lines[j]):
            if len(lines[j]) - len(lines[j].lstrip()) <= indent:
                break
            j += 1
        removed.append((cell, line.strip()))
        i = j
    return kept, removed


def _content(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    return content if isinstance(content, str) else None


def display_only(recorded: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[str] | None:
    """Warnings (one per display output that differs) when ``now`` is ``recorded`` up to
    display outputs; None when anything else differs (a drift)."""
    if len(recorded) != len(now):
        return None
    warnings: list[str] = []
    for old, new in zip(recorded, now, strict=True):
        if old == new:
            continue
        rest_old = {k: v for k, v in old.items() if k != "content"}
        rest_new = {k: v for k, v in new.items() if k != "content"}
        a, b = _content(old), _content(new)
        if rest_old != rest_new or a is None or b is None:
            return None
        kept_a, gone_a = _blocks(a)
        kept_b, gone_b = _blocks(b)
        if kept_a != kept_b:
            return None
        was, now_shown = Counter(gone_a), Counter(gone_b)
        for cell, line in (was - now_shown).elements():
            warnings.append(
                f"cell {cell!r}: the display output {line!r} was recorded but is not produced "
                "now (display data only, e.g. MPLBACKEND=Agg shows no image); the recorded "
                "actions are replayed"
            )
        for cell, line in (now_shown - was).elements():
            warnings.append(
                f"cell {cell!r}: the display output {line!r} is produced now but was not "
                "recorded (display data only); the recorded actions are replayed"
            )
    return warnings
