"""Background tasks are stopped: cancelled, and waited for until they end."""

from __future__ import annotations

import asyncio

from chatroom.tasks import stop_task


def test_a_running_loop_is_cancelled_and_has_ended_when_stop_returns() -> None:
    """The loop sees its cancellation (its cleanup runs) before stop_task returns."""
    cleaned: list[str] = []

    async def loop() -> None:
        try:
            while True:
                await asyncio.sleep(0.01)
        finally:
            cleaned.append("done")

    async def main() -> None:
        task = asyncio.create_task(loop())
        await asyncio.sleep(0.05)
        await stop_task(task)
        assert task.cancelled() and cleaned == ["done"]

    asyncio.run(main())


def test_no_task_or_an_ended_one_is_nothing_to_stop() -> None:
    """None, or a task already finished, returns at once without raising."""

    async def main() -> None:
        await stop_task(None)
        ended = asyncio.create_task(asyncio.sleep(0))
        await ended
        await stop_task(ended)
        assert ended.done() and not ended.cancelled()

    asyncio.run(main())
