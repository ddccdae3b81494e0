"""The PostgreSQL writer's queue: a lone message goes at once, under load batches fill up first."""

from __future__ import annotations

import asyncio
import time

from chatroom.store.pg_batch import Pending
from chatroom.store.pg_writer import GATHER_TARGET, BatchQueue


def pending(loop: asyncio.AbstractEventLoop, n: int) -> Pending:
    return Pending("lobby", "ann", f"m{n}", 0, False, loop.create_future())


def test_a_lone_message_is_not_held() -> None:
    """After small batches, the next message is handed out without waiting."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = BatchQueue(max_batch=100, gather_wait=1.0)
        for n in range(3):
            queue.put(pending(loop, n))
            started = time.monotonic()
            batch, stop = await queue.next_batch()
            assert (len(batch), stop) == (1, False)
            assert time.monotonic() - started < 0.5

    asyncio.run(main())


def test_under_load_a_batch_waits_for_more_but_not_long() -> None:
    """After a large batch the writer waits for GATHER_TARGET messages, or gather_wait at most."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = BatchQueue(max_batch=100, gather_wait=0.2)
        for n in range(10):
            queue.put(pending(loop, n))
        assert len((await queue.next_batch())[0]) == 10
        queue.put(pending(loop, 0))
        started = time.monotonic()
        assert len((await queue.next_batch())[0]) == 1
        assert 0.15 < time.monotonic() - started < 1.0

        async def trickle() -> None:
            for n in range(GATHER_TARGET + 5):
                queue.put(pending(loop, n))
                await asyncio.sleep(0)

        # The last batch held one message: this one goes at once.
        assert len((await asyncio.gather(queue.next_batch(), trickle()))[0][0]) == 1
        for n in range(10):
            queue.put(pending(loop, n))
        while len((await queue.next_batch())[0]) < 4:
            pass
        started = time.monotonic()
        batch, _ = (await asyncio.gather(queue.next_batch(), trickle()))[0]
        assert len(batch) == GATHER_TARGET
        assert time.monotonic() - started < 0.15

    asyncio.run(main())


def test_a_stop_ends_the_wait() -> None:
    """None (the store closing) is not held up by a gathering writer."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = BatchQueue(max_batch=100, gather_wait=5.0)
        for n in range(10):
            queue.put(pending(loop, n))
        await queue.next_batch()
        queue.put(pending(loop, 0))
        loop.call_soon(queue.put, None)
        started = time.monotonic()
        batch, stop = await queue.next_batch()
        assert (len(batch), stop) == (1, True)
        assert time.monotonic() - started < 1.0

    asyncio.run(main())
