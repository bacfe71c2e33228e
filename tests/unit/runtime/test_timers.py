"""Stopping background work whose awaits may swallow a cancellation, as AppDaemon 4.5's Home Assistant calls do."""

import asyncio

import pytest

from ampeco_ev_charger.runtime.timers import cancel_and_wait


async def home_assistant_call(forever: asyncio.Event) -> None:
    """AppDaemon's way: a cancelled call answers None and its caller goes on."""
    try:
        await forever.wait()
    except asyncio.CancelledError:
        return


async def test_a_task_that_swallowed_the_first_cancellation_is_cancelled_again_until_it_ends():
    calls = 0

    async def publishing() -> None:
        nonlocal calls
        while True:
            calls += 1
            await home_assistant_call(asyncio.Event())
            await asyncio.sleep(3600)

    task = asyncio.ensure_future(publishing())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(task, wait=0.05), 5)
    assert task.cancelled() and calls == 1


async def test_a_task_that_never_ends_holds_up_the_stop_only_for_a_bounded_time():
    giving_up = False

    async def stubborn() -> None:
        while not giving_up:
            await home_assistant_call(asyncio.Event())

    task = asyncio.ensure_future(stubborn())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await cancel_and_wait(task, tries=3, wait=0.05)
    assert not task.done() and loop.time() - began < 1
    giving_up = True
    await cancel_and_wait(task)
    assert task.done()


async def test_an_error_on_the_way_out_is_raised_as_awaiting_the_task_would():
    async def failing() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            raise RuntimeError("bug while stopping")

    task = asyncio.ensure_future(failing())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="bug while stopping"):
        await cancel_and_wait(task)


async def test_a_task_that_already_ended_is_left_as_it_is():
    task = asyncio.ensure_future(asyncio.sleep(0))
    await task
    await cancel_and_wait(task)
    await cancel_and_wait(None)
