"""The Redis bus's subscription: which rooms' channels it hears, so that a node's own frames stay home."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from chatroom.backend import StoredMessage
from chatroom.bus.redis import RedisBus
from chatroom.bus.redis_calls import RedisCalls
from chatroom.bus.redis_keys import RedisKeys
from chatroom.bus.redis_subscription import RedisSubscription

from .redis_server import RedisServer
from .support import Collector
from .test_redis_bus import Node, eventually, nodes, run_nodes


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server for this module; each test has its own key prefix."""
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    yield server
    server.stop()


def published(server: RedisServer) -> int:
    """How many PUBLISH commands Redis has run (scripts' included) since its statistics were reset."""
    with contextlib.closing(server.client()) as admin:
        return int(admin.info("commandstats").get("cmdstat_publish", {}).get("calls", 0))


def subscribers(server: RedisServer, channel: bytes) -> int:
    """How many connections Redis has subscribed to the channel."""
    with contextlib.closing(server.client()) as admin:
        [(_channel, count)] = admin.pubsub_numsub(channel)
        return int(count)


async def handed_over(node: Node) -> None:
    """Wait until the node's publisher ran every command for what was stored so far."""
    assert isinstance(node.bus, RedisBus)
    # A commit reaches the bus a few loop turns after its senders hear of it (service.py, _hand_over).
    for _ in range(5):
        await asyncio.sleep(0)
    await node.bus._publisher.drain()


def scripts_run(server: RedisServer) -> int:
    """How many EVALSHA commands Redis has run since its statistics were reset."""
    with contextlib.closing(server.client()) as admin:
        return int(admin.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


def test_a_room_whose_members_are_all_on_one_node_costs_redis_no_publish(redis_server: RedisServer) -> None:
    """Messages stored by the only node in a room are not published, and most cost no command; once
    another node subscribes, it gets every message from then on, and again after the first node's
    subscription was cut."""

    async def scenario(alone: Node, other: Node) -> None:
        mine = Collector()
        await alone.subscribe("lobby", mine)
        with contextlib.closing(redis_server.client()) as admin:
            admin.config_resetstat()
        for n in range(20):
            await alone.publish("lobby", "ann", f"alone {n}")
        await mine.wait_for(lambda s: len(s.messages()) == 20)
        await handed_over(alone)
        assert published(redis_server) == 0
        assert scripts_run(redis_server) < 10
        theirs = Collector()
        await other.subscribe("lobby", theirs)
        await alone.publish("lobby", "ann", "together")
        await handed_over(alone)
        await theirs.wait_for(lambda s: "together" in [m.text for m in s.messages()])
        with contextlib.closing(redis_server.client()) as admin:
            admin.client_kill_filter(_type="pubsub")
        await eventually(alone.healthy)
        await eventually(other.healthy)
        await alone.publish("lobby", "ann", "after the cut")
        await theirs.wait_for(lambda s: "after the cut" in [m.text for m in s.messages()])
        assert [m.text for m in mine.messages()][-2:] == ["together", "after the cut"]

    run_nodes(nodes(redis_server.url, 2), scenario)


def test_hearing_follows_subscribes_unsubscribes_and_a_new_connection(redis_server: RedisServer) -> None:
    """A room is heard once Redis confirmed it and not once it is left; a new connection has a new own
    channel, subscribed at Redis, and hears its rooms again once they are confirmed on it."""

    async def scenario(node: Node) -> None:
        bus = node.bus
        assert isinstance(bus, RedisBus)
        subscription = bus._subscription
        lobby = f"{bus.prefix}room:lobby:events".encode()
        await node.subscribe("lobby", Collector())
        own, heard = subscription.hearing()
        assert lobby in heard and subscribers(redis_server, own) == 1
        await node.unsubscribe("lobby")
        assert lobby not in subscription.hearing()[1]
        await node.subscribe("lobby", Collector())
        with contextlib.closing(redis_server.client()) as admin:
            admin.client_kill_filter(_type="pubsub")
        await eventually(node.healthy)
        again, heard = subscription.hearing()
        assert again != own and lobby in heard
        assert subscribers(redis_server, own) == 0 and subscribers(redis_server, again) == 1

    run_nodes(nodes(redis_server.url, 1), scenario)


Gated = Callable[[RedisSubscription, RedisKeys, asyncio.Event], Awaitable[None]]


def run_gated(server: RedisServer, scenario: Gated) -> None:
    """Play the scenario with a subscription whose unsubscribes wait until the event is set
    (as they wait for the publish in flight), then close it."""

    async def main() -> None:
        keys = RedisKeys(f"test-{secrets.token_hex(4)}:", secrets.token_hex(6))
        calls = RedisCalls(server.url, client_name="chatroom-test-subscription")
        calls.open()
        publish_answered = asyncio.Event()

        async def resumed() -> None:
            pass

        async def answered() -> None:
            await publish_answered.wait()

        subscription = RedisSubscription(
            calls,
            keys,
            health_ttl_ms=5000,
            on_resume=resumed,
            on_notice=lambda _notice: None,
            before_unsubscribe=answered,
            greet=lambda _channels: None,
            on_hello=lambda _channel: None,
        )
        await subscription.start()
        try:
            async with asyncio.timeout(30):
                await scenario(subscription, keys, publish_answered)
        finally:
            calls.stop()
            await subscription.stop()
            await subscription.close()
            await calls.close()

    asyncio.run(main())


async def start_leaving(subscription: RedisSubscription) -> asyncio.Future[None]:
    """Subscribe the lobby, then start leaving it: the unsubscribe waits at its gate."""
    await subscription.subscribe("lobby", Collector())
    leaving = asyncio.ensure_future(subscription.unsubscribe("lobby"))
    await asyncio.sleep(0.2)
    return leaving


def test_an_unsubscribe_waits_for_the_publish_in_flight(redis_server: RedisServer) -> None:
    """Leaving a room stops it being heard at once, but Redis unsubscribes it only after the publish
    in flight (which may have been told it is heard) has run."""

    async def scenario(
        subscription: RedisSubscription, keys: RedisKeys, publish_answered: asyncio.Event
    ) -> None:
        leaving = await start_leaving(subscription)
        assert keys.channel("lobby") not in subscription.hearing()[1]
        assert subscribers(redis_server, keys.channel("lobby")) == 1
        publish_answered.set()
        await leaving
        await eventually_true(lambda: subscribers(redis_server, keys.channel("lobby")) == 0)

    run_gated(redis_server, scenario)


def test_a_room_subscribed_again_while_its_unsubscribe_waits_stays_subscribed(
    redis_server: RedisServer,
) -> None:
    """A member joins the room its node was leaving: the late unsubscribe is not sent, the room is heard."""

    async def scenario(
        subscription: RedisSubscription, keys: RedisKeys, publish_answered: asyncio.Event
    ) -> None:
        leaving = await start_leaving(subscription)
        back = Collector()
        await subscription.subscribe("lobby", back)
        publish_answered.set()
        await leaving
        with contextlib.closing(redis_server.client()) as admin:
            admin.publish(keys.channel("lobby"), b"tbob")
        await back.wait_for(lambda seen: len(seen.events) == 1)
        assert subscribers(redis_server, keys.channel("lobby")) == 1
        assert keys.channel("lobby") in subscription.hearing()[1]

    run_gated(redis_server, scenario)


async def eventually_true(condition: object, timeout: float = 5.0) -> None:
    """Wait until ``condition()`` holds."""
    assert callable(condition)

    async def holds() -> bool:
        return bool(condition())

    await eventually(holds, timeout)


def every_id_from(first: int, last: int) -> Callable[[Collector], bool]:
    """Whether a collector has every message id from ``first`` to ``last``."""
    expected = set(range(first, last + 1))
    return lambda seen: expected <= {m.id for m in seen.messages()}


@contextlib.asynccontextmanager
async def two_nodes(server: RedisServer) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    """Two nodes' buses on one deployment's prefix, started, closed afterwards."""
    prefix = f"test-{secrets.token_hex(4)}:"
    first, second = RedisBus(server.url, prefix=prefix), RedisBus(server.url, prefix=prefix)
    await first.start()
    await second.start()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def test_another_nodes_subscriber_gets_every_message_while_this_node_comes_and_goes(
    redis_server: RedisServer,
) -> None:
    """A node's members leave and come back to a room over and over while it publishes there: the other
    node, subscribed throughout, hears every message of it on the bus (no store to repair from here)."""

    async def main() -> None:
        async with two_nodes(redis_server) as (publisher, listener):
            heard = Collector()
            await listener.subscribe("lobby", heard)

            async def churn() -> None:
                for _ in range(40):
                    await publisher.subscribe("lobby", Collector())
                    await asyncio.sleep(0)
                    await publisher.unsubscribe("lobby")

            async def publish() -> None:
                for n in range(1, 401):
                    message = StoredMessage(n, "lobby", "ann", f"m{n}", 1_700_000_000_000, False, False)
                    await publisher.publish_stored([("lobby", [message])])
                    if n % 3 == 0:
                        await asyncio.sleep(0)

            async with asyncio.timeout(30):
                await asyncio.gather(churn(), publish())
                await heard.wait_for(lambda seen: len(seen.messages()) == 400)
            assert [m.id for m in heard.messages()] == list(range(1, 401))

    asyncio.run(main())


def test_a_node_that_subscribes_gets_every_message_handed_over_after_it_did(
    redis_server: RedisServer,
) -> None:
    """One node publishes into a room it serves alone (its frames held, most of the time) while
    another subscribes and leaves, five times: each time, every message handed over once its
    subscription was in effect reaches it on the bus."""

    async def main() -> None:
        handed = 0
        publishing = True

        async def publish() -> None:
            nonlocal handed
            while publishing:
                message = StoredMessage(handed + 1, "lobby", "ann", "hi", 1_700_000_000_000, False, False)
                await publisher.publish_stored([("lobby", [message])])
                handed += 1
                await asyncio.sleep(0.002)

        async with two_nodes(redis_server) as (publisher, listener):
            await publisher.subscribe("lobby", Collector())
            sending = asyncio.ensure_future(publish())
            async with asyncio.timeout(60):
                for _ in range(5):
                    await asyncio.sleep(0.4)  # alone: the room is found so, and its frames held
                    heard = Collector()
                    await listener.subscribe("lobby", heard)
                    first = handed + 1
                    await asyncio.sleep(0.3)
                    last = handed
                    await heard.wait_for(every_id_from(first, last))
                    await listener.unsubscribe("lobby")
            publishing = False
            await sending

    asyncio.run(main())
