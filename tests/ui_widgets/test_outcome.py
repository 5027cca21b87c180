"""ui/outcome.py: one answer, set on any thread, awaited on the loop."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_plan.ui.outcome import Locked, Outcome

from .conftest import Waiting, on_thread


async def test_set_before_wait_is_kept() -> None:
    outcome: Outcome[int] = Outcome()
    outcome.set(1)
    assert await outcome.wait() == 1
    assert await outcome.wait() == 1  # awaiting again gives the same answer


async def test_set_from_another_thread_resolves_on_the_loop() -> None:
    outcome: Outcome[str] = Outcome(asyncio.get_running_loop())
    waiting = Waiting(outcome.wait())
    on_thread(lambda: outcome.set("yes"))
    assert not waiting.resolved_here  # queued onto the loop, not set on the other thread
    assert await waiting.result() == "yes"


async def test_two_waiters_get_the_same_answer() -> None:
    outcome: Outcome[int] = Outcome()
    first, second = Waiting(outcome.wait()), Waiting(outcome.wait())
    on_thread(lambda: outcome.set(7))
    assert not (first.resolved_here or second.resolved_here)
    assert [await first.result(), await second.result()] == [7, 7]


async def test_first_answer_wins() -> None:
    outcome: Outcome[int] = Outcome()
    outcome.set(1)
    with pytest.raises(Locked):
        outcome.set(2)
    assert await outcome.wait() == 1


async def test_cancel_cancels_waiters_and_refuses_answers() -> None:
    outcome: Outcome[int] = Outcome()
    waiting = Waiting(outcome.wait())
    assert outcome.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting.result()
    assert not outcome.cancel()
    with pytest.raises(Locked):
        outcome.set(1)


async def test_a_cancelled_waiter_does_not_block_the_answer() -> None:
    outcome: Outcome[int] = Outcome()
    waiting = Waiting(outcome.wait())
    waiting.future.cancel()  # what a kernel interrupt does to the awaiting task
    with pytest.raises(asyncio.CancelledError):
        waiting.coro.send(None)
    outcome.set(3)  # the cancelled future is skipped, not set
    assert await outcome.wait() == 3


async def test_waiting_on_another_loop_is_refused() -> None:
    other = asyncio.new_event_loop()
    try:
        outcome: Outcome[int] = Outcome(other)
        with pytest.raises(RuntimeError, match="another event loop"):
            await outcome.wait()
    finally:
        other.close()
