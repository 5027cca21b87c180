"""A turn the fake server starts streaming and then abandons: the connection closes after
``after_frames`` frames, with no end of stream (a proxy timing out, a server crashing)."""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_plan.testing.turns import Text, ToolCalls


@dataclass(frozen=True)
class Cut:
    then: Text | ToolCalls
    after_frames: int = 2


def cut(then: Text | ToolCalls, *, after_frames: int = 2) -> Cut:
    """Stream the first ``after_frames`` frames of ``then``, then hang up."""
    return Cut(then, after_frames)
