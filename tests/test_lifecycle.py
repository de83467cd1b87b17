"""Background loops end when shutdown cancels them, even if one cancellation is swallowed."""

import asyncio

from bot.lifecycle import Lifecycle
from bot.server import _every


async def test_a_loop_whose_work_swallows_the_cancellation_still_ends():
    # Python 3.11's asyncio.wait_for can return normally when it is cancelled just as its
    # inner call finishes: the work below does the same, every time.
    started = asyncio.Event()

    async def swallowing() -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return

    loop = asyncio.create_task(_every(0.01, swallowing))
    await started.wait()
    loop.cancel()
    done, _ = await asyncio.wait([loop], timeout=2)
    assert done == {loop}


async def test_stop_loops_is_bounded_and_stops_only_the_named_loops():
    lifecycle = Lifecycle()

    async def forever() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # refuses the first cancellation
        await asyncio.sleep(10)  # and ends at the next one

    async def quiet() -> None:
        await asyncio.sleep(10)

    lifecycle.spawn(forever(), name="stubborn")
    lifecycle.spawn(quiet(), name="other")
    await asyncio.sleep(0)
    await lifecycle.stop_loops(("stubborn",), timeout=0.05)
    names = {task.get_name(): task for task in lifecycle.background}
    assert not names["other"].cancelled() and not names["other"].done()
    assert not names["stubborn"].done()  # stop_loops returned without it
    await lifecycle.cancel_all(timeout=1)
    assert names["other"].done() and names["stubborn"].done()
