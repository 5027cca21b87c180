"""Interrupting the kernel while it plans cancels the run and keeps the draft."""

from __future__ import annotations

import asyncio
import threading

from jupyter_plan.testing.fake_server import FakeModelServer, stall, tool_call

from .conftest import Kernel, Script
from .test_live import PLAN, SETUP


async def test_interrupt_during_planning(
    kernel: Kernel, script: Script, server: FakeModelServer
) -> None:
    (kernel.root / "analysis.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    hang = stall(threading.Event())
    script += [tool_call("write_file", {"file_path": "sales.md", "content": PLAN}), hang]
    await kernel.run("%load_ext jupyter_plan")
    await kernel.run(SETUP)
    await kernel.run("%%plan --id sales --notebook analysis.ipynb\nSummarise revenue")
    await asyncio.to_thread(hang.reached.wait)  # the model call is in flight

    km = kernel.client.km
    assert km is not None
    await km.interrupt_kernel()
    out = await kernel.run(
        "await S.wait_idle()\nprint(len(S.tasks), '|', S.humans[-1].review_widget.error)"
    )
    assert out.startswith("0 |")
    assert "the draft is kept" in out.lower()
    draft = (kernel.root / ".jupyter_plan" / "plans" / "sales.md").read_text()
    assert draft.endswith(PLAN) and "status: drafting" in draft
