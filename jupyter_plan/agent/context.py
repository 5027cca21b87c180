"""The notebook outline the first model request carries, kept within a token budget.

The model pulls more with read tools (``list_cells``, ``read_cells`` by cell id), so the
outline is for orientation: which cells exist, what they do, what went wrong. Cells are
ranked (the %%plan cell and its neighbours, cells the task names, errors, headings, then the
rest by distance), picked greedily against a cheap chars/4 estimate and shown in notebook
order. Only the final text meets the real tokenizer, a few times at most while the estimate
budget is rescaled, so a 10,000-cell notebook costs about what a 100-cell one does.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from jupyter_plan.agent.tokens import TokenCounter, estimate_tokens
from jupyter_plan.models import NotebookSnapshot
from jupyter_plan.outputs import (
    Limits,
    error_line,
    first_line,
    format_outputs,
    output_summary,
    text_lines,
)

LIST_TOOL, READ_TOOL = "list_cells", "read_cells"
BEFORE, AFTER = 3, 2  # neighbours of the %%plan cell ranked right after it
FULL_SHARE = 0.6  # most of the budget detailed cells may take, so structure still shows
SOURCE_LINES, ACTIVE_LINES = 20, 3  # the %%plan cell's text is the task, sent separately
LINE_CHARS, BRIEF_CHARS, VALUE_CHARS = 160, 100, 200
OUTPUTS = Limits(
    head=6, tail=3, line_chars=LINE_CHARS, error_chars=VALUE_CHARS, traceback=4, max_outputs=8
)
SEARCH_CHARS, SEARCH_TOTAL, MAX_TERMS = 2_000, 1_500_000, 16  # bounds the task-term search
FILL, ROUNDS = 0.95, 6  # rescale until the text fills this much; real counts at most
MAX_ERRORS, MAX_HEADINGS = 30, 60  # most recent errors, top-level headings ranked as such

# Tiers, most relevant first. Cells up to ERROR may be shown in full.
ACTIVE, NEIGHBOUR, NAMED, MENTIONED, ERROR, HEADING, REST = range(7)

_HEADING = re.compile(r"\s*(#{1,6})\s")
_TERM = re.compile(r"`([^`\n]{2,60})`|([\w./-]*\w\.[A-Za-z]\w{0,7})\b|\b([A-Za-z_]\w{2,})\b")
_ID_TOKEN = re.compile(r"[\w-]{4,}")  # nbformat ids are [a-zA-Z0-9-_]; short ones collide
_STOP_WORDS = """the and for are but not you all any can had her was one our out day get has
him his how its may new now old see two way who did let put say she too use that with have this
will your from they know want been good much some time very when come here just like long make
many more only over such take than them well were what into then also each which their there
these those would could should about after again before being below between both does doing
down during few further once other same under until while where why whom most own off nor
please add fix create change update show using used cell cells notebook plan code data file
files need instead without onto per via etc"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Outline:
    text: str
    tokens: int  # as measured by the counter build_outline was given; never above the budget
    full_ids: tuple[str, ...]  # shown with source and outputs (notebook order)
    brief_ids: tuple[str, ...]  # shown as one line
    omitted: int  # cells not shown at all; the text says how many


@dataclass(slots=True)
class _Selection:
    picks: dict[int, bool]  # cell index -> shown in full
    complete: bool  # every cell shown in full: a bigger budget changes nothing


def build_outline(
    snapshot: NotebookSnapshot,
    task: str = "",
    *,
    budget_tokens: int = 8_000,
    count_tokens: TokenCounter = estimate_tokens,
) -> Outline:
    """The outline of ``snapshot`` for ``task``, at most ``budget_tokens`` by ``count_tokens``."""
    nb = _Notebook(snapshot, task)
    target, fits, overflows = budget_tokens, 0, 0  # estimate budgets known to fit / overflow
    best: tuple[_Selection, str, int] | None = None
    for _ in range(ROUNDS):
        sel = nb.select(target)
        text = nb.render(sel)
        tokens = count_tokens(text)
        if tokens <= budget_tokens:
            if best is None or tokens > best[2]:
                best = (sel, text, tokens)
            if sel.complete or tokens >= budget_tokens * FILL:
                break
            fits = max(fits, target)
        else:
            if not sel.picks:
                break  # header and footer alone overflow
            overflows = min(overflows, target) if overflows else target
        # Secant step on the real/estimate ratio, bisecting when it leaves the known bracket.
        nxt = (
            target * budget_tokens // max(tokens, 1) * (49 if tokens > budget_tokens else 50) // 50
        )
        if (overflows and nxt >= overflows) or nxt <= fits:
            nxt = (fits + overflows) // 2 if overflows else 2 * fits
        if nxt == target:
            break
        target = nxt
    if best is None:
        return nb.minimal(budget_tokens, count_tokens)
    sel, text, tokens = best
    full = tuple(nb.cells[i].id for i in sorted(sel.picks) if sel.picks[i])
    brief = tuple(nb.cells[i].id for i in sorted(sel.picks) if not sel.picks[i])
    return Outline(text, tokens, full, brief, len(nb.cells) - len(sel.picks))


class _Notebook:
    """One snapshot with its ranking and rendered cells, cached across rescaling rounds."""

    def __init__(self, snapshot: NotebookSnapshot, task: str) -> None:
        self.cells = cells = snapshot.cells
        n = len(cells)
        self.errors = bytearray(n)
        kinds = {"code": 0, "markdown": 0, "raw": 0}
        error_idx: list[int] = []
        headings: list[tuple[int, int]] = []
        for i, cell in enumerate(cells):  # the one pass over every cell: keep it lean
            kinds[kind := cell.cell_type] += 1
            if kind == "markdown":
                if m := _HEADING.match(cell.source):
                    headings.append((len(m.group(1)), i))
                continue
            for output in cell.outputs:
                if output.get("output_type") == "error":
                    self.errors[i] = 1
                    error_idx.append(i)
                    break
        self.error_count = len(error_idx)
        self.ids = {cell.id: i for i, cell in enumerate(cells)}
        active = snapshot.active_cell_id
        self.active = None if active is None else self.ids.get(active)
        self.anchor = n if self.active is None else self.active  # no %%plan cell: the end
        raw = f", {kinds['raw']:,} raw" if kinds["raw"] else ""
        self.header = (
            f"Notebook outline{f' of {snapshot.path}' if snapshot.path else ''}: {n:,} "
            f"cell{'' if n == 1 else 's'} "
            f"({kinds['code']:,} code, {kinds['markdown']:,} markdown{raw}), "
            f"{len(error_idx):,} with errors.\nCells in notebook order as [id] type "
            "In[execution count]; sources and outputs cut, rich outputs as [mime type]."
        )
        self.gap_room = len(self._gap(n)) + 1
        self.footer_room = max(len(self._footer(n, len(error_idx))), len(self._footer(0, 0)))
        self._gen = self._rank(task, error_idx, headings)
        self._ranked: list[tuple[int, int]] = []
        self._full: dict[int, str] = {}
        self._brief: dict[int, str] = {}

    # -- ranking -------------------------------------------------------------------

    def ranked(self) -> Iterator[tuple[int, int]]:
        """(cell index, tier), most relevant first; computed lazily, replayed from a cache."""
        k = 0
        while True:
            if k == len(self._ranked):
                nxt = next(self._gen, None)
                if nxt is None:
                    return
                self._ranked.append(nxt)
            yield self._ranked[k]
            k += 1

    def _rank(
        self, task: str, error_idx: list[int], headings: list[tuple[int, int]]
    ) -> Iterator[tuple[int, int]]:
        n, anchor, cells = len(self.cells), self.anchor, self.cells

        def dist(i: int) -> int:
            return abs(i - anchor)

        tiers: list[tuple[int, list[int]]] = []
        if self.active is not None:
            near = range(max(0, anchor - BEFORE), min(n, anchor + AFTER + 1))
            tiers += [(ACTIVE, [anchor]), (NEIGHBOUR, sorted(near, key=dist))]
        named = [self.ids[t] for t in dict.fromkeys(_ID_TOKEN.findall(task)) if t in self.ids]
        tiers += [(NAMED, named), (MENTIONED, self._mentioned(task, error_idx))]
        # Capped, so a notebook of stale errors or many sections still shows its neighbourhood;
        # cells past the cap rank with the rest (an error is still shown on its cell's line).
        recent = sorted(error_idx, key=lambda i: (-(cells[i].execution_count or -1), dist(i)))
        top = sorted(headings, key=lambda h: (h[0], dist(h[1])))[:MAX_HEADINGS]
        tiers += [(ERROR, recent[:MAX_ERRORS]), (HEADING, [i for _, i in top])]
        seen = bytearray(n)
        for tier, indices in tiers:
            for i in indices:
                if not seen[i]:
                    seen[i] = 1
                    yield i, tier
        for d in range(n + 1):  # the rest, nearest the %%plan cell first
            for i in (anchor - d, anchor + d):
                if 0 <= i < n and not seen[i]:
                    seen[i] = 1
                    yield i, REST

    def _mentioned(self, task: str, error_idx: list[int]) -> list[int]:
        """Cells whose source holds the task's distinctive terms, best match first.

        One lowered string of every cell's start, searched with str.find per term: terms in
        many cells say nothing and are dropped; a cell that assigns the term scores double.
        """
        terms = _task_terms(task)
        n = len(self.cells)
        if not terms or not n:
            return []
        window = max(80, min(SEARCH_CHARS, SEARCH_TOTAL // n))
        parts = [c.source[:window] for c in self.cells]
        if self.active is not None:
            parts[self.active] = ""  # the %%plan cell holds the task itself
        for i in error_idx:  # so "fix the KeyError" finds it
            parts[i] += "".join(
                f"\n{error_line(o, VALUE_CHARS)}"
                for o in self.cells[i].outputs
                if o.get("output_type") == "error"
            )
        big = "\x00".join(parts).lower()
        starts = list(accumulate((len(p) + 1 for p in parts), initial=0))
        cap = max(10, n // 20)
        score: dict[int, float] = {}
        for term in terms:
            hits = _find_cells(big, starts, term, cap)
            for i, weight in hits:
                score[i] = score.get(i, 0.0) + weight / len(hits)
        return sorted(score, key=lambda i: (-score[i], abs(i - self.anchor)))

    # -- selection and rendering ---------------------------------------------------

    def select(self, budget: int) -> _Selection:
        """Greedy pick against ``budget`` estimate tokens, counted exactly in characters."""
        n = len(self.cells)
        left = 4 * budget - len(self.header) - 1 - self.footer_room - (self.gap_room if n else 0)
        full_left = int(left * FULL_SHARE)
        picks: dict[int, bool] = {}
        chosen = bytearray(n)
        every = True
        for i, tier in self.ranked():
            # Gap markers stand for each run of hidden cells: picking i splits, shrinks or ends one.
            runs = (i > 0 and not chosen[i - 1]) + (i < n - 1 and not chosen[i + 1]) - 1
            gap = runs * self.gap_room
            cost = len(self.full(i)) + 1 if tier <= ERROR else 0
            if cost and cost <= full_left and cost + gap <= left:
                picks[i], full_left = True, full_left - cost
            else:
                cost = len(self.brief(i)) + 1
                if cost + gap > left:
                    every = False
                    break
                picks[i] = False
            left -= cost + gap
            chosen[i] = 1
        complete = every
        if every:  # all cells listed: spend what is left on detail, most relevant first
            for i, _ in self.ranked():
                if not picks[i]:
                    extra = len(self.full(i)) - len(self.brief(i))
                    if extra <= left:
                        picks[i], left = True, left - extra
                    else:
                        complete = False
        return _Selection(picks, complete)

    def render(self, sel: _Selection) -> str:
        out, prev, errors = [self.header], -1, 0
        for i in sorted(sel.picks):
            if i > prev + 1:
                out.append(self._gap(i - prev - 1))
            out.append(self.full(i) if sel.picks[i] else self.brief(i))
            prev, errors = i, errors + self.errors[i]
        if sel.picks and prev < len(self.cells) - 1:
            out.append(self._gap(len(self.cells) - 1 - prev))
        out.append(self._footer(len(self.cells) - len(sel.picks), self.error_count - errors))
        return "\n".join(out)

    def minimal(self, budget: int, count: TokenCounter) -> Outline:
        """No cell fits: the header and footer, the footer alone, a bare count, or nothing."""
        n, footer = len(self.cells), self._footer(len(self.cells), self.error_count)
        for text in (f"{self.header}\n{footer}", footer, f"{n:,} cells not shown.", ""):
            if (tokens := count(text)) <= budget or not text:
                return Outline(text, tokens, (), (), n)
        raise AssertionError("unreachable")

    def _gap(self, hidden: int) -> str:
        return f"  … {hidden:,} cells not shown"

    def _footer(self, omitted: int, errors: int) -> str:
        if not self.cells:
            return "The notebook has no cells."
        if not omitted:
            return f"All cells shown; {READ_TOOL} (by cell id) gives whole sources and outputs."
        with_errors = f" ({errors:,} with errors)" if errors else ""
        return (
            f"… {omitted:,} of {len(self.cells):,} cells not shown{with_errors}; "
            f"use {LIST_TOOL} / {READ_TOOL} (by cell id) to see them."
        )

    def _label(self, i: int) -> str:
        cell = self.cells[i]
        label = f"[{cell.id}] {'md' if cell.cell_type == 'markdown' else cell.cell_type}"
        if cell.cell_type == "code":
            count = cell.execution_count
            label += f" In[{' ' if count is None else count}]"
        return label + (" (the %%plan cell)" if i == self.active else "")

    def brief(self, i: int) -> str:
        if (text := self._brief.get(i)) is None:
            cell = self.cells[i]
            summary = output_summary(cell.outputs, BRIEF_CHARS)
            text = f"{self._label(i)}: {first_line(cell.source, BRIEF_CHARS)}"
            self._brief[i] = text = f"{text}  -> {summary}" if summary else text
        return text

    def full(self, i: int) -> str:
        if (text := self._full.get(i)) is None:
            cell = self.cells[i]
            lines = [self._label(i)]
            limit = ACTIVE_LINES if i == self.active else SOURCE_LINES
            lines += [f"    {s}" for s in text_lines(cell.source, limit, 0, LINE_CHARS)]
            lines += format_outputs(cell.outputs, OUTPUTS, "  ")
            self._full[i] = text = "\n".join(lines)
        return text


# -- task terms ------------------------------------------------------------------------


def _task_terms(task: str) -> list[str]:
    """Backticked code, file names and identifiers of the task, lowered, stop words out."""
    terms: dict[str, None] = {}
    for code, path, word in _TERM.findall(task):
        term = (code or path or word).strip().lower()
        if len(term) >= 3 and term not in _STOP:
            terms[term] = None
    return list(terms)[:MAX_TERMS]


def _find_cells(big: str, starts: list[int], term: str, cap: int) -> list[tuple[int, float]]:
    """(cell, weight) for cells holding ``term`` as a whole word; empty if in more than cap."""
    hits: list[tuple[int, float]] = []
    pos, tries, size = big.find(term), 0, len(big)
    edge_start, edge_end = _is_word(term[0]), _is_word(term[-1])
    while pos != -1 and tries <= 4 * cap:
        tries += 1
        end = pos + len(term)
        if (edge_start and pos and _is_word(big[pos - 1])) or (
            edge_end and end < size and _is_word(big[end])
        ):
            pos = big.find(term, pos + 1)
            continue
        i = bisect_right(starts, pos) - 1
        after = big[end : end + 4].lstrip(" ")
        hits.append((i, 2.0 if after[:1] == "=" and after[1:2] != "=" else 1.0))
        if len(hits) > cap:
            return []  # in too many cells to tell them apart
        pos = big.find(term, starts[i + 1])
    return [] if pos != -1 else hits


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
