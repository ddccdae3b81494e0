"""The Redis bus's publisher: frames in hand-over order, what queued in one command, failures as BusError."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from chatroom.bus.base import BusError
from chatroom.bus.redis_calls import RedisCalls
from chatroom.bus.redis_publisher import Hearing, RedisPublisher

from .redis_server import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, which it may flush, stop and restart."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


Scenario = Callable[[RedisPublisher, RedisCalls], Awaitable[None]]


def run(
    server: RedisServer, scenario: Scenario, hearing: Hearing | None = None, alone_for: float = 5.0
) -> None:
    """Play the scenario with a publisher on its own pool, then close both.

    ``alone_for``: how long a room found alone is trusted (long, unless the test waits it out).
    """

    async def main() -> None:
        calls = RedisCalls(server.url, client_name=f"chatroom-test-{secrets.token_hex(4)}")
        calls.open()
        publisher = (
            RedisPublisher(calls) if hearing is None else RedisPublisher(calls, hearing, alone_for=alone_for)
        )
        try:
            async with asyncio.timeout(30):
                await scenario(publisher, calls)
        finally:
            calls.stop()
            await publisher.close()
            await calls.close()

    asyncio.run(main())


@contextlib.asynccontextmanager
async def listening(url: str, *channels: bytes) -> AsyncIterator[aioredis.client.PubSub]:
    """A subscription of its own to the channels, closed afterwards."""
    client = aioredis.from_url(url)
    try:
        pubsub = client.pubsub()
        await pubsub.subscribe(*channels)
        yield pubsub
    finally:
        await client.aclose()


async def heard(pubsub: aioredis.client.PubSub, count: int) -> list[tuple[bytes, bytes]]:
    """The next ``count`` published frames, as (channel, data)."""
    frames: list[tuple[bytes, bytes]] = []
    while len(frames) < count:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
        if message is not None:
            frames.append((message["channel"], message["data"]))
    return frames


def commands_run(server: RedisServer) -> int:
    """How many EVALSHA and EVAL commands Redis has run since its statistics were reset."""
    admin = server.client()
    try:
        stats = admin.info("commandstats")
        return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))
    finally:
        admin.close()


def test_hand_overs_made_at_once_go_in_one_command_in_their_order(redis_server: RedisServer) -> None:
    """Thirty hand-overs of two rooms each, made in one turn: one command, every frame in hand-over order."""
    lobby, hall = b"room:lobby", b"room:hall"

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, lobby, hall) as pubsub:
            await publisher.publish([(lobby, b"warm")])
            await heard(pubsub, 1)
            with contextlib.closing(redis_server.client()) as admin:
                admin.config_resetstat()
            hand_overs = [[(lobby, b"lobby %d" % n), (hall, b"hall %d" % n)] for n in range(30)]
            await asyncio.gather(*[publisher.publish(frames) for frames in hand_overs])
            assert await heard(pubsub, 60) == [frame for frames in hand_overs for frame in frames]
            assert commands_run(redis_server) == 1

    run(redis_server, scenario)


OWN, LOBBY, HALL = b"node:n1:events:c1", b"room:lobby", b"room:hall"


def hears_lobby_and_hall() -> tuple[bytes, set[bytes]]:
    """A node whose subscription, on the connection with the own channel OWN, hears the lobby and hall."""
    return OWN, {LOBBY, HALL}


def published(server: RedisServer) -> int:
    """How many PUBLISH commands Redis has run (scripts' included) since its statistics were reset."""
    with contextlib.closing(server.client()) as admin:
        return int(admin.info("commandstats").get("cmdstat_publish", {}).get("calls", 0))


def test_a_frame_only_its_own_node_would_hear_is_not_published(redis_server: RedisServer) -> None:
    """Frames for the other nodes on channels no other subscriber hears are skipped; the rest go, in order."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, OWN, LOBBY, HALL) as node:
            with contextlib.closing(redis_server.client()) as admin:
                admin.config_resetstat()
            await publisher.publish([(LOBBY, b"stored 1"), (HALL, b"stored 2")], for_others=True)
            await publisher.publish([(LOBBY, b"typing")])
            assert await heard(node, 1) == [(LOBBY, b"typing")]
            assert published(redis_server) == 1
            async with listening(redis_server.url, HALL) as other:
                publisher.hello(HALL)
                await publisher.publish([(LOBBY, b"stored 3"), (HALL, b"stored 4")], for_others=True)
                assert await heard(other, 1) == [(HALL, b"stored 4")]
                assert await heard(node, 1) == [(HALL, b"stored 4")]
            assert published(redis_server) == 2

    run(redis_server, scenario, hears_lobby_and_hall)


def test_a_node_whose_connection_redis_dropped_is_not_counted_as_hearing(redis_server: RedisServer) -> None:
    """While the own channel has no subscriber, the node's subscription is not taken to hear anything:
    the only other subscriber of a room it believes it hears still gets every frame."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, LOBBY) as other:
            await publisher.publish([(LOBBY, b"stored 1")], for_others=True)
            assert await heard(other, 1) == [(LOBBY, b"stored 1")]

    run(redis_server, scenario, hears_lobby_and_hall)


def test_a_channel_the_node_does_not_hear_gets_every_frame(redis_server: RedisServer) -> None:
    """A room the node's subscription does not (yet) hear is published to, even with one subscriber."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, OWN, b"room:patio") as node:
            await publisher.publish([(b"room:patio", b"stored 1")], for_others=True)
            assert await heard(node, 1) == [(b"room:patio", b"stored 1")]

    run(redis_server, scenario, hears_lobby_and_hall)


async def found_alone(publisher: RedisPublisher, server: RedisServer) -> None:
    """One frame of the lobby's for the others, which finds it alone; Redis's statistics reset after."""
    await publisher.publish([(LOBBY, b"stored 1")], for_others=True)
    with contextlib.closing(server.client()) as admin:
        admin.config_resetstat()


def test_frames_of_a_room_found_alone_are_held_and_sent_to_a_node_that_says_hello(
    redis_server: RedisServer,
) -> None:
    """Once a command found the lobby alone, its frames cost no command; another node that subscribes
    and says hello gets those held since, in order, at once."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, OWN, LOBBY):
            await found_alone(publisher, redis_server)
            await publisher.publish([(LOBBY, b"stored 2")], for_others=True)
            await publisher.publish([(LOBBY, b"stored 3")], for_others=True)
            assert commands_run(redis_server) == 0
            async with listening(redis_server.url, LOBBY) as other:
                publisher.hello(LOBBY)
                assert await heard(other, 2) == [(LOBBY, b"stored 2"), (LOBBY, b"stored 3")]
                await publisher.publish([(LOBBY, b"stored 4")], for_others=True)
                assert await heard(other, 1) == [(LOBBY, b"stored 4")]
            assert commands_run(redis_server) == 2

    run(redis_server, scenario, hears_lobby_and_hall)


def test_held_frames_go_out_within_a_moment_without_a_hello(redis_server: RedisServer) -> None:
    """A node that subscribes and says nothing (an older version, a lost hello) still gets what was
    held, when the finding runs out."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, OWN, LOBBY):
            await found_alone(publisher, redis_server)
            async with listening(redis_server.url, LOBBY) as other:
                await publisher.publish([(LOBBY, b"stored 2")], for_others=True)
                assert commands_run(redis_server) == 0
                assert await heard(other, 1) == [(LOBBY, b"stored 2")]
            assert commands_run(redis_server) == 1

    run(redis_server, scenario, hears_lobby_and_hall, alone_for=1.0)


def test_a_drain_sends_what_is_held(redis_server: RedisServer) -> None:
    """What was held is published before a drain returns (a leave waits on it)."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, OWN, LOBBY):
            await found_alone(publisher, redis_server)
            await publisher.publish([(LOBBY, b"stored 2")], for_others=True)
            async with listening(redis_server.url, LOBBY) as other:
                await publisher.drain()
                assert commands_run(redis_server) == 1
                assert await heard(other, 1) == [(LOBBY, b"stored 2")]

    run(redis_server, scenario, hears_lobby_and_hall)


def test_scripts_flushed_from_redis_are_sent_again(redis_server: RedisServer) -> None:
    """After SCRIPT FLUSH (or a restart) the publisher's script is sent with its body: nothing is lost."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        async with listening(redis_server.url, b"room:lobby") as pubsub:
            await publisher.publish([(b"room:lobby", b"first")])
            with contextlib.closing(redis_server.client()) as admin:
                admin.script_flush()
            await publisher.publish([(b"room:lobby", b"second")])
            assert [data for _, data in await heard(pubsub, 2)] == [b"first", b"second"]

    run(redis_server, scenario)


def test_after_a_restart_the_next_publish_goes_on_a_fresh_connection(redis_server: RedisServer) -> None:
    """Redis restarted under the publisher: its next hand-over reaches the subscribers, without an error."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        await publisher.publish([(b"room:lobby", b"before")])
        await asyncio.to_thread(redis_server.restart)
        async with listening(redis_server.url, b"room:lobby") as pubsub:
            await publisher.publish([(b"room:lobby", b"after")])
            assert await heard(pubsub, 1) == [(b"room:lobby", b"after")]

    run(redis_server, scenario)


def test_redis_away_fails_the_hand_over_with_bus_error(redis_server: RedisServer) -> None:
    """With Redis stopped a hand-over fails with BusError (the receivers repair the gap), then works again."""

    async def scenario(publisher: RedisPublisher, _calls: RedisCalls) -> None:
        await publisher.publish([(b"room:lobby", b"before")])
        await asyncio.to_thread(redis_server.stop)
        with pytest.raises(BusError, match="Redis"):
            await publisher.publish([(b"room:lobby", b"while away")])
        await asyncio.to_thread(redis_server.start)
        await publisher.publish([(b"room:lobby", b"back")])

    run(redis_server, scenario)


def test_closing_fails_what_waits_and_leaves_no_connection(redis_server: RedisServer) -> None:
    """Hand-overs waiting when the bus closes fail (BusError), later ones are refused, no connection stays."""

    async def scenario(publisher: RedisPublisher, calls: RedisCalls) -> None:
        await publisher.publish([(b"room:lobby", b"opens the connection")])
        waiting = [asyncio.ensure_future(publisher.publish([(b"room:lobby", b"%d" % n)])) for n in range(5)]
        await asyncio.sleep(0)
        calls.stop()
        await publisher.close()
        for hand_over in waiting:
            with pytest.raises(BusError, match="closed"):
                await hand_over
        with pytest.raises(BusError, match="closed"):
            await publisher.publish([(b"room:lobby", b"after closing")])
        admin = redis_server.client()
        try:
            assert not [c for c in admin.client_list() if c["name"] == calls.client_name]
        finally:
            admin.close()

    run(redis_server, scenario)
