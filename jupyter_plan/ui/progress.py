"""The live status line of a plan or build: loop events folded into a :class:`Progress`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from jupyter_plan.models import Usage
from jupyter_plan.ui.words import activity


class EventLike(Protocol):
    """Structurally :class:`jupyter_plan.agent.loop.LoopEvent` (not imported: stays light)."""

    kind: str
    turn: int
    data: dict[str, Any]


@dataclass(frozen=True)
class Progress:
    """What the status line shows; :func:`advance` folds loop events into it."""

    turn: int = 0
    activity: str = "Starting"
    tokens: int = 0
    cost_usd: float | None = None
    elapsed: float = 0.0


def advance(progress: Progress, event: EventLike, elapsed: float) -> Progress:
    data: Mapping[str, Any] = event.data
    p = replace(progress, turn=max(progress.turn, event.turn), elapsed=elapsed)
    if event.kind == "turn":
        return replace(p, activity="Waiting for the model")
    if event.kind == "text":
        return replace(p, activity="Writing")
    if event.kind == "tool_call":
        return replace(p, activity=activity(str(data.get("name", "")), data.get("arguments")))
    if event.kind == "usage":
        usage = Usage.model_validate(data.get("usage", {}))
        return replace(p, tokens=usage.total_tokens, cost_usd=usage.cost_usd)
    return p


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}:{whole % 60:02d}"


def status_text(progress: Progress) -> str:
    """``Turn 3 · Reading cells · 1,234 tokens · $0.0123 · 0:42``."""
    parts = [f"Turn {progress.turn}", progress.activity, f"{progress.tokens:,} tokens"]
    if progress.cost_usd is not None:
        parts.append(f"${progress.cost_usd:.4f}")
    parts.append(_clock(progress.elapsed))
    return " · ".join(parts)
