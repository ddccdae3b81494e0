"""The Redis bus beyond the shared contract: several nodes, dead nodes, Redis going away.

Each "node" here is a ChatService of its own in this process (a SQLite store
on one shared file, a RedisBus with its own connections), as a separate
server process would have.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import secrets
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from chatroom.backend import BackendError, StoredMessage
from chatroom.bus.base import account_owner
from chatroom.bus.redis import RedisBus
from chatroom.bus.redis_frames import decode_frame, message_frames, typing_frame
from chatroom.bus.redis_notices import decode_notices, notice_frames
from chatroom.emoji_frames import EmojiNotice
from chatroom.events import (
    DELETE,
    EDIT,
    REACTION,
    ROOM_MEMBERS,
    SIGNED_OUT,
    AccountNotice,
    AdminNotice,
    AvatarNotice,
    BlockNotice,
    FileInfo,
    GuestNotice,
    Notice,
    PauseNotice,
    PresenceEvent,
    ReminderNotice,
    RoomNotice,
    SavedNotice,
    ScheduledNotice,
    StarNotice,
    StatusNotice,
    StoredChange,
    ThreadNotice,
    ThreadReplyNotice,
    TypingEvent,
)
from chatroom.group_frames import GroupNotice
from chatroom.service import ChatService
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.files_base import ATTACHMENT, NewFile
from chatroom.store.sqlite import SQLiteStore

from .redis_server import RedisServer
from .support import Collector


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server for the tests that do not stop it; each test has its own prefix."""
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server that the test may stop and restart."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


Node = ChatService


def nodes(url: str, count: int, **options: float) -> list[Node]:
    """``count`` nodes on one Redis and key prefix and one database file, as one deployment."""
    prefix = f"test-{secrets.token_hex(4)}:"
    path = str(Path(tempfile.mkdtemp(prefix="chatroom-test-nodes-")) / "chat.db")
    return [node(path, url, prefix, **options) for _ in range(count)]


def node(path: str, url: str, prefix: str, **options: float) -> Node:
    """One node: its own store connections on the shared file, its own bus."""
    return ChatService(SQLiteStore(path), RedisBus(url, prefix=prefix, **options))  # type: ignore[arg-type]


SCENARIO_BOUND, CLOSE_BOUND = 75.0, 20.0


def run_nodes(backends: list[Node], scenario: Callable[..., Awaitable[None]]) -> None:
    """Start the nodes, play the scenario with them, close them; a hang fails with every task's stack."""

    async def main() -> None:
        for backend in backends:
            await backend.start()
        try:
            await bounded(scenario(*backends), SCENARIO_BOUND, "the scenario")
        finally:
            for backend in backends:
                await bounded(backend.close(), CLOSE_BOUND, "closing a node")

    asyncio.run(main())


async def bounded(step: Awaitable[None], seconds: float, what: str) -> None:
    """Await ``step``; past ``seconds``, print where every task waits and fail (without waiting on it)."""
    task = asyncio.ensure_future(step)
    await asyncio.wait([task], timeout=seconds)
    if not task.done():
        stacks = io.StringIO()
        for pending in asyncio.all_tasks():
            pending.print_stack(file=stacks)
        print(stacks.getvalue())
        raise AssertionError(f"{what} hung for {seconds}s; the tasks:\n{stacks.getvalue()}")
    task.result()


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Wait until the async ``condition`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        await asyncio.sleep(0.05)


def test_concurrent_senders_on_two_nodes_see_one_order(shared_redis: RedisServer) -> None:
    """Both nodes deliver ids 1..N once each, in the same order, with every sender's order kept."""

    async def scenario(left: Node, right: Node) -> None:
        seen_left, seen_right = Collector(), Collector()
        await left.subscribe("lobby", seen_left)
        await right.subscribe("lobby", seen_right)

        async def sender(node: Node, nick: str) -> None:
            for i in range(50):
                node.publish("lobby", nick, str(i))
                if i % 7 == 0:
                    await asyncio.sleep(0)

        await asyncio.gather(
            sender(left, "ann"), sender(right, "ben"), sender(left, "cat"), sender(right, "dan")
        )
        for seen in (seen_left, seen_right):
            await seen.wait_for(lambda s: len(s.messages()) >= 200)
        order = [(m.id, m.nick, m.text) for m in seen_left.messages()]
        assert [m[0] for m in order] == list(range(1, 201))
        assert order == [(m.id, m.nick, m.text) for m in seen_right.messages()]
        for nick in ("ann", "ben", "cat", "dan"):
            assert [text for _, who, text in order if who == nick] == [str(i) for i in range(50)]

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_nick_is_taken_across_nodes(shared_redis: RedisServer) -> None:
    """A nick held on one node is taken on the other, whatever its case, until released."""

    async def scenario(left: Node, right: Node) -> None:
        assert await left.reserve("lobby", "Alice") == ["Alice"]
        assert await right.reserve("lobby", "alice") is None
        assert sorted(await right.reserve("lobby", "bob") or []) == ["Alice", "bob"]
        await left.release("lobby", "Alice", announce=False)
        assert sorted(await right.reserve("lobby", "ALICE") or []) == ["ALICE", "bob"]

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_joins_and_leaves_reach_every_node(shared_redis: RedisServer) -> None:
    """A join and a leave on one node reach the other node's subscribers with the room's count."""

    async def scenario(left: Node, right: Node) -> None:
        seen = Collector()
        await right.subscribe("lobby", seen)
        await right.reserve("lobby", "bob")
        await left.reserve("lobby", "alice")
        await left.announce_join("lobby", "alice")
        await left.release("lobby", "alice", announce=True)
        await seen.wait_for(lambda s: len(s.presence()) >= 2)
        assert seen.presence() == [("join", "alice", 2), ("leave", "alice", 1)]

    run_nodes(nodes(shared_redis.url, 2), scenario)


async def crash(service: Node) -> None:
    """Stop a node as SIGKILL would: no release, no goodbye; its key just expires."""
    bus = service.bus
    assert isinstance(bus, RedisBus)
    await bus.abandon()


def test_dead_nodes_members_leave_once(shared_redis: RedisServer) -> None:
    """When a node stops refreshing, the others announce each of its members' leave exactly once."""

    async def scenario(dead: Node, left: Node, right: Node) -> None:
        seen_left, seen_right = Collector(), Collector()
        await left.subscribe("lobby", seen_left)
        await right.subscribe("lobby", seen_right)
        await left.reserve("lobby", "carol")
        await dead.reserve("lobby", "alice")
        await dead.reserve("lobby", "bob")
        await crash(dead)
        for seen in (seen_left, seen_right):
            await seen.wait_for(lambda s: len(s.presence()) >= 2)
        await asyncio.sleep(1.0)  # more refreshes: nobody announces them again
        leaves = sorted(seen_left.presence())
        assert leaves == [("leave", "alice", 2), ("leave", "bob", 1)] or leaves == [
            ("leave", "alice", 1),
            ("leave", "bob", 2),
        ]
        assert sorted(seen_right.presence()) == leaves
        assert await right.reserve("lobby", "alice") is not None

    run_nodes(nodes(shared_redis.url, 3, presence_ttl=0.6, presence_refresh=0.2), scenario)


def test_nick_of_a_dead_node_can_be_taken_at_once(shared_redis: RedisServer) -> None:
    """A member reconnecting elsewhere gets its nick back as soon as its old node's key expired."""

    async def scenario(dead: Node, other: Node) -> None:
        seen = Collector()
        await other.subscribe("lobby", seen)
        await dead.reserve("lobby", "alice")
        await crash(dead)
        await eventually(lambda: _reserve(other))
        await seen.wait_for(lambda s: bool(s.presence()))
        assert seen.presence() == [("leave", "alice", 0)]

    async def _reserve(node: Node) -> bool:
        return await node.reserve("lobby", "Alice") is not None

    run_nodes(nodes(shared_redis.url, 2, presence_ttl=0.5, presence_refresh=60), scenario)


def test_redis_away_pauses_other_nodes_then_catches_up(own_redis: RedisServer) -> None:
    """Without Redis a node is unhealthy and takes no new members, but stores and delivers its own
    messages; the other node gets what it missed, in order, once Redis is back."""

    async def scenario(node: Node, other: Node) -> None:
        seen, seen_other = Collector(), Collector()
        await node.subscribe("lobby", seen)
        await other.subscribe("lobby", seen_other)
        await node.publish("lobby", "alice", "before")
        await asyncio.to_thread(own_redis.stop)
        await eventually(lambda: _not(node.healthy()))
        while_away = await node.publish("lobby", "alice", "while Redis is away")
        with pytest.raises(BackendError):
            await node.reserve("lobby", "bob")
        assert [m.text for m in await node.history("lobby")] == ["before", "while Redis is away"]
        await seen.wait_for(lambda s: len(s.messages()) >= 2)
        await asyncio.to_thread(own_redis.start)
        await eventually(node.healthy)
        stored = await node.publish("lobby", "alice", "after")
        await seen.wait_for(lambda s: len(s.messages()) >= 3)
        await seen_other.wait_for(lambda s: len(s.messages()) >= 3)
        expected = [(1, "before"), (while_away.id, "while Redis is away"), (stored.id, "after")]
        assert [(m.id, m.text) for m in seen.messages()] == expected
        assert [(m.id, m.text) for m in seen_other.messages()] == expected

    run_nodes(nodes(own_redis.url, 2), scenario)


async def _not(check: Awaitable[bool]) -> bool:
    return not await check


def test_lost_subscription_is_repaired_without_a_gap(shared_redis: RedisServer) -> None:
    """Messages stored while a node's subscription was cut are delivered to it, in order, once."""

    async def scenario(listener: Node, sender: Node) -> None:
        seen = Collector()
        await listener.subscribe("lobby", seen)
        await sender.publish("lobby", "bob", "1")
        await seen.wait_for(lambda s: len(s.messages()) == 1)
        admin = shared_redis.client()
        admin.client_kill_filter(_type="pubsub")
        admin.close()
        for i in range(2, 41):
            await sender.publish("lobby", "bob", str(i))
            await asyncio.sleep(0.005)
        await seen.wait_for(lambda s: len(s.messages()) >= 40)
        await asyncio.sleep(0.2)
        assert [m.text for m in seen.messages()] == [str(i) for i in range(1, 41)]
        assert [m.id for m in seen.messages()] == list(range(1, 41))

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_redis_losing_its_data_loses_no_message(own_redis: RedisServer) -> None:
    """Redis restarted empty: history, ids and the epoch go on; the node holds its members again."""

    async def scenario(node: Node) -> None:
        await node.publish("lobby", "bob", "one")
        await node.publish("lobby", "bob", "two")
        assert await node.reserve("lobby", "bob") == ["bob"]
        before = await node.epoch("lobby")
        admin = own_redis.client()
        admin.flushall()
        admin.close()
        stored = await node.publish("lobby", "bob", "three")
        assert stored.id == 3
        assert await node.epoch("lobby") == before
        assert [m.text for m in await node.history("lobby")] == ["one", "two", "three"]
        assert isinstance(stored, StoredMessage)
        await eventually(lambda: _taken(node, "lobby", "BOB"))

    async def _taken(service: Node, room: str, nick: str) -> bool:
        return (await service.bus.online_counts([room])) == [1] and await service.reserve(room, nick) is None

    run_nodes(nodes(own_redis.url, 1, presence_ttl=0.6, presence_refresh=0.2), scenario)


@dataclasses.dataclass(eq=False)
class Relayed:
    """One client connection through the proxy, and what happens to what Redis sends it."""

    writer: asyncio.StreamWriter
    cut: bool = False
    deaf: bool = False
    held: list[bytes] | None = None


class CuttingProxy:
    """A TCP proxy in front of Redis that can lose a reply, or go deaf, like a failing network.

    ``lose_reply_to(marker)``: the next command whose bytes contain ``marker``
    reaches Redis and runs, but its connection is cut before the reply gets
    back. ``hold_reply_to(marker)``: the same, but the connection stays open
    and its replies wait (``holding`` is set once the command was sent) until
    ``let_go()``. Each marker is for the next command that holds it, in the
    order they were given. ``deafen_subscribers()``: connections that
    subscribed stop receiving anything, while Redis still counts them as
    subscribed.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cuts = 0
        self.holding = asyncio.Event()
        self._plan: list[tuple[bytes, str]] = []
        self._subscribers: list[Relayed] = []
        self._held: list[Relayed] = []
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def close(self) -> None:
        assert self._server is not None
        self._server.close()

    def lose_reply_to(self, marker: bytes) -> None:
        self._plan.append((marker, "cut"))

    def hold_reply_to(self, marker: bytes) -> None:
        self._plan.append((marker, "hold"))

    def let_go(self) -> None:
        for relayed in self._held:
            held, relayed.held = relayed.held or [], None
            relayed.writer.writelines(held)
        self._held.clear()

    def deafen_subscribers(self) -> None:
        for relayed in self._subscribers:
            relayed.deaf = True

    def _follow_plan(self, relayed: Relayed, data: bytes) -> None:
        if not self._plan or self._plan[0][0] not in data:
            return
        _marker, action = self._plan.pop(0)
        if action == "cut":
            relayed.cut = True
        else:
            relayed.held = []
            self._held.append(relayed)
            self.holding.set()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        relayed = Relayed(writer)

        async def upstream() -> None:
            while data := await reader.read(65536):
                if b"SUBSCRIBE" in data and relayed not in self._subscribers:
                    self._subscribers.append(relayed)
                self._follow_plan(relayed, data)
                up_writer.write(data)
                await up_writer.drain()
            up_writer.transport.abort()

        async def downstream() -> None:
            while data := await up_reader.read(65536):
                if relayed.cut:
                    self.cuts += 1
                    break
                if relayed.held is not None:
                    relayed.held.append(data)
                elif not relayed.deaf:
                    writer.write(data)
                    await writer.drain()
            writer.transport.abort()
            up_writer.transport.abort()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)


def run_behind_proxy(
    redis: RedisServer, count: int, scenario: Callable[..., Awaitable[None]], **options: float
) -> None:
    """Play ``scenario(proxy, *nodes)``: the first node reaches Redis through the proxy."""

    async def main() -> None:
        proxy = CuttingProxy(redis.port)
        await proxy.start()
        prefix = f"test-{secrets.token_hex(4)}:"
        path = str(Path(tempfile.mkdtemp(prefix="chatroom-test-nodes-")) / "chat.db")
        backends = [node(path, proxy.url if i == 0 else redis.url, prefix, **options) for i in range(count)]
        for backend in backends:
            await backend.start()
        try:
            await scenario(proxy, *backends)
        finally:
            for backend in backends:
                await backend.close()
            proxy.close()

    asyncio.run(main())


def test_publish_whose_reply_is_lost_is_stored_once(shared_redis: RedisServer) -> None:
    """A hand-over whose reply was lost is sent again: stored once, delivered once to the other node."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        seen = Collector()
        await other.subscribe("lobby", seen)
        await node.publish("lobby", "alice", "first")
        proxy.lose_reply_to(b"second, reply lost")
        stored = await node.publish("lobby", "alice", "second, reply lost")
        assert stored.id == 2
        assert (await node.publish("lobby", "alice", "third")).id == 3
        await seen.wait_for(lambda s: len(s.messages()) >= 3)
        await asyncio.sleep(0.2)
        assert proxy.cuts == 1
        expected = [(1, "first"), (2, "second, reply lost"), (3, "third")]
        assert [(m.id, m.text) for m in seen.messages()] == expected
        assert [(m.id, m.text) for m in await other.history("lobby")] == expected

    run_behind_proxy(shared_redis, 2, scenario)


def test_a_leave_waits_for_the_messages_handed_over_before_it(shared_redis: RedisServer) -> None:
    """A message waiting behind a slow publish still reaches the other node before its author's leave."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        seen = Collector()
        await other.subscribe("lobby", seen)
        await node.reserve("lobby", "alice")
        await node.announce_join("lobby", "alice")
        proxy.hold_reply_to(b"held up")
        await node.publish("lobby", "alice", "held up")
        await proxy.holding.wait()
        await node.publish("lobby", "alice", "then this")
        for _ in range(3):
            await asyncio.sleep(0)  # its hand-over reaches the bus, behind the held one
        leaving = asyncio.ensure_future(node.release("lobby", "alice", announce=True))
        await asyncio.sleep(0.3)
        assert ([m.text for m in seen.messages()], seen.presence()) == (["held up"], [("join", "alice", 1)])
        proxy.let_go()
        await leaving
        await seen.wait_for(lambda s: len(s.presence()) >= 2)
        order = [e.event if isinstance(e, PresenceEvent) else e.text for e in seen.messages_and_presence()]
        assert order == ["join", "held up", "then this", "leave"]

    run_behind_proxy(shared_redis, 2, scenario)


def test_nick_claimed_by_a_lost_reply_is_the_claimers(shared_redis: RedisServer) -> None:
    """A reserve or join whose reply was lost still gives the caller its nick and announces one join."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        seen = Collector()
        await other.subscribe("lobby", seen)
        proxy.lose_reply_to(b"carol")
        assert await node.reserve("lobby", "carol") == ["carol"]
        assert proxy.cuts == 1
        assert await other.reserve("lobby", "Carol") is None
        proxy.lose_reply_to(b"carol")
        await node.announce_join("lobby", "carol")
        assert proxy.cuts == 2
        await node.release("lobby", "carol", announce=True)
        await seen.wait_for(lambda s: len(s.presence()) >= 2)
        await asyncio.sleep(0.2)
        assert seen.presence() == [("join", "carol", 1), ("leave", "carol", 0)]
        assert await other.reserve("lobby", "carol") == ["carol"]

    run_behind_proxy(shared_redis, 2, scenario)


def test_deaf_subscription_is_unhealthy_then_repaired(shared_redis: RedisServer) -> None:
    """A subscription that hears nothing while Redis answers is unhealthy, reconnected, and loses nothing."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        seen = Collector()
        await node.subscribe("lobby", seen)
        assert await node.healthy()
        proxy.deafen_subscribers()
        await other.publish("lobby", "bob", "while deaf")
        assert not await node.healthy()
        await eventually(node.healthy)
        await other.publish("lobby", "bob", "after")
        await seen.wait_for(lambda s: len(s.messages()) >= 2)
        assert [(m.id, m.text) for m in seen.messages()] == [(1, "while deaf"), (2, "after")]

    run_behind_proxy(shared_redis, 2, scenario)


def test_stale_pooled_connections_are_retried_after_a_restart(own_redis: RedisServer) -> None:
    """After Redis restarts under a node, every read and write answers on a fresh connection, none fails."""

    async def scenario(node: Node) -> None:
        await node.publish("lobby", "alice", "before")
        # Many concurrent reads: the pool holds many connections, all stale after the restart.
        await asyncio.gather(*[node.history("lobby") for _ in range(64)])
        await asyncio.to_thread(own_redis.restart)
        pages = await asyncio.gather(*[node.history("lobby") for _ in range(200)])
        assert all([m.text for m in page] == ["before"] for page in pages)
        await asyncio.to_thread(own_redis.restart)
        assert await node.reserve("lobby", "bob") == ["bob"]
        await asyncio.to_thread(own_redis.restart)
        assert (await node.publish("lobby", "alice", "after")).id == 2
        assert [m.text for m in await node.history("lobby")] == ["before", "after"]

    run_nodes(nodes(own_redis.url, 1), scenario)


def test_a_room_only_joined_leaves_no_key_behind(shared_redis: RedisServer) -> None:
    """Joining a room and leaving it keeps nothing in Redis, history or not: Redis holds nothing durable."""

    async def scenario(left: Node, right: Node) -> None:
        prefix = left.bus.prefix  # type: ignore[attr-defined]
        await left.reserve("fresh", "alice")
        await left.claim_room("fresh")
        await left.epoch("fresh")
        await right.reserve("fresh", "bob")
        await right.subscribe("fresh", Collector())
        await left.publish("kept", "alice", "hi")
        await left.release("fresh", "alice", announce=True)
        admin = shared_redis.client()
        try:
            assert admin.exists(f"{prefix}room:fresh:members") == 1  # bob is still there
            await right.release("fresh", "bob", announce=True)
            assert admin.keys(f"{prefix}room:*") == []
            assert admin.zrange(f"{prefix}online-names", 0, -1) == []
            assert admin.hgetall(f"{prefix}room-claims") == {}
        finally:
            admin.close()

    run_nodes(nodes(shared_redis.url, 2), scenario)


def connections_of(redis: RedisServer, bus: RedisBus) -> int:
    """How many connections Redis has from the node of ``bus`` right now."""
    admin = redis.client()
    try:
        return sum(client["name"] == f"chatroom-{bus.node_id}" for client in admin.client_list())
    finally:
        admin.close()


def test_a_closed_node_leaves_no_connection_open(shared_redis: RedisServer) -> None:
    """Closing a node closes every connection it made, and nothing asked of it later opens one."""

    async def scenario(node: Node) -> None:
        bus = node.bus
        assert isinstance(bus, RedisBus)
        await node.subscribe("lobby", Collector())
        await asyncio.gather(*[node.reserve("lobby", f"user{i}") for i in range(8)])
        assert connections_of(shared_redis, bus) > 1
        await node.close()
        await node.unsubscribe("lobby")
        async with asyncio.timeout(1):
            with pytest.raises(BackendError):
                await node.subscribe("hall", Collector())
        await eventually(lambda: _none_left(bus), timeout=3)

    async def _none_left(bus: RedisBus) -> bool:
        return connections_of(shared_redis, bus) == 0

    run_nodes(nodes(shared_redis.url, 1), scenario)


def test_a_call_cut_off_by_closing_is_not_sent_again(shared_redis: RedisServer) -> None:
    """A command still waiting for its reply when its node closes fails, and opens no connection."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        bus = node.bus
        assert isinstance(bus, RedisBus)
        proxy.hold_reply_to(b"held up")
        typing = asyncio.ensure_future(node.typing("lobby", "held up"))
        await proxy.holding.wait()
        await node.close()
        with pytest.raises(BackendError):
            await typing
        await eventually(lambda: _none_left(bus), timeout=3)

    async def _none_left(bus: RedisBus) -> bool:
        return connections_of(shared_redis, bus) == 0

    run_behind_proxy(shared_redis, 2, scenario)


def subscribers(redis: RedisServer, bus: RedisBus, room: str) -> int:
    """How many connections Redis has subscribed to the room's channel."""
    admin = redis.client()
    try:
        [(_channel, count)] = admin.pubsub_numsub(f"{bus.prefix}room:{room}:events")
        return int(count)
    finally:
        admin.close()


def test_rooms_joined_and_left_while_catching_up(shared_redis: RedisServer) -> None:
    """While a node reads what it missed after its subscription came back, a room it leaves goes
    quiet for good and a room it joins delivers."""

    async def scenario(node: Node, other: Node) -> None:
        bus = node.bus
        assert isinstance(bus, RedisBus)
        catching_up, go_on = asyncio.Event(), asyncio.Event()
        catch_up = bus.on_resume
        assert catch_up is not None

        async def slow_catch_up() -> None:
            catching_up.set()
            await go_on.wait()
            await catch_up()

        bus.on_resume = slow_catch_up
        await node.subscribe("lobby", Collector())
        admin = shared_redis.client()
        admin.client_kill_filter(_type="pubsub")
        admin.close()
        await catching_up.wait()
        await node.unsubscribe("lobby")
        hall = Collector()
        await node.subscribe("hall", hall)
        go_on.set()
        await other.publish("hall", "bob", "hi")
        await hall.wait_for(lambda s: len(s.messages()) == 1)
        await eventually(node.healthy)
        assert subscribers(shared_redis, bus, "lobby") == 0

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_a_failed_subscribe_leaves_no_subscription_behind(own_redis: RedisServer) -> None:
    """A room whose subscribe failed while Redis was away is not subscribed once Redis is back."""

    async def scenario(node: Node) -> None:
        bus = node.bus
        assert isinstance(bus, RedisBus)
        await node.subscribe("lobby", Collector())
        await asyncio.to_thread(own_redis.stop)
        await eventually(lambda: _not(node.healthy()))
        with pytest.raises(BackendError):
            await node.subscribe("hall", Collector())
        await asyncio.to_thread(own_redis.start)
        await eventually(node.healthy)
        assert subscribers(own_redis, bus, "lobby") == 1
        assert subscribers(own_redis, bus, "hall") == 0

    run_nodes(nodes(own_redis.url, 1), scenario)


def test_a_nick_taken_again_while_its_late_release_runs_stays_held(shared_redis: RedisServer) -> None:
    """A member whose leave failed, back under its nick just as the node frees it at last, keeps it:
    the node stays alive and nobody else can take the nick."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        assert await node.reserve("lobby", "alice") == ["alice"]
        proxy.lose_reply_to(b"alice")
        proxy.lose_reply_to(b"alice")
        proxy.hold_reply_to(b"alice")  # the presence refresh frees the nick at last
        with pytest.raises(BackendError):
            await node.release("lobby", "alice", announce=True)
        await proxy.holding.wait()
        back = await node.reserve("lobby", "alice")
        proxy.let_go()
        if back is None:  # refused while the release ran: once it is done, the nick is free
            await eventually(lambda: _reserve(node))
        await asyncio.sleep(1.5)  # longer than the presence TTL
        assert await other.reserve("lobby", "Alice") is None

    async def _reserve(node: Node) -> bool:
        return await node.reserve("lobby", "alice") is not None

    run_behind_proxy(shared_redis, 2, scenario, presence_ttl=1.0, presence_refresh=0.2)


def test_a_member_leaving_while_its_node_holds_its_members_again_is_gone(shared_redis: RedisServer) -> None:
    """After Redis lost its data, a member that leaves while its node holds its members again is
    not held again: its nick is free and nobody sees it join."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        seen = Collector()
        await other.subscribe("lobby", seen)
        assert await node.reserve("lobby", "alice") == ["alice"]
        assert sorted(await node.reserve("lobby", "bob") or []) == ["alice", "bob"]
        proxy.hold_reply_to(b"alice")  # the node holds alice again, and then bob
        bus = node.bus
        assert isinstance(bus, RedisBus)
        admin = shared_redis.client()
        admin.delete(f"{bus.prefix}node:{bus.node_id}", f"{bus.prefix}room:lobby:members")
        admin.close()
        await proxy.holding.wait()
        await node.release("lobby", "bob", announce=False)
        proxy.let_go()
        await seen.wait_for(lambda s: len(s.presence()) >= 1)
        await asyncio.sleep(0.5)  # more refreshes
        assert seen.presence() == [("join", "alice", 1)]
        assert await other.reserve("lobby", "bob") == ["alice", "bob"]

    run_behind_proxy(shared_redis, 2, scenario, presence_ttl=3.0, presence_refresh=0.2)


# --- an account on several nodes: one member ------------------------------------------


def test_an_account_on_two_nodes_joins_once_and_leaves_with_its_last_node(shared_redis: RedisServer) -> None:
    """Held on both nodes, an account is counted once, joins once, and leaves when the second node lets go."""

    async def scenario(left: Node, right: Node) -> None:
        seen_left, seen_right = Collector(), Collector()
        await left.subscribe("lobby", seen_left)
        await right.subscribe("lobby", seen_right)
        await right.reserve("lobby", "bob")
        ann = account_owner(7)
        assert sorted(await left.reserve("lobby", "ann", ann) or []) == ["ann", "bob"]
        assert await left.reserve("lobby", "ann", ann) is not None
        assert await left.announce_join("lobby", "ann") is True
        assert sorted(await right.reserve("lobby", "Ann", ann) or []) == ["ann", "bob"]
        assert await right.announce_join("lobby", "ann") is False
        assert await right.reserve("lobby", "ann", account_owner(8)) is None
        assert await left.online_counts(["lobby"]) == [2]
        await left.release("lobby", "ann", announce=True)
        await left.release("lobby", "ann", announce=True)
        assert await left.is_online("lobby", "ann")
        assert await right.online_counts(["lobby"]) == [2]
        await right.release("lobby", "ann", announce=False)
        for seen in (seen_left, seen_right):
            await seen.wait_for(lambda s: len(s.presence()) >= 2)
        await asyncio.sleep(0.2)
        assert seen_left.presence() == [("join", "ann", 2), ("leave", "ann", 1)]
        assert seen_right.presence() == seen_left.presence()
        assert not await left.is_online("lobby", "ann")

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_an_account_stays_online_while_a_live_node_holds_it(shared_redis: RedisServer) -> None:
    """A node dies holding an account another node holds too: no leave; the leave comes with the last hold."""

    async def scenario(dead: Node, alive: Node, watcher: Node) -> None:
        seen = Collector()
        await watcher.subscribe("lobby", seen)
        ann = account_owner(7)
        await dead.reserve("lobby", "ann", ann)
        await dead.announce_join("lobby", "ann")
        await alive.reserve("lobby", "ann", ann)
        await dead.reserve("lobby", "bob")
        await crash(dead)
        await seen.wait_for(lambda s: len(s.presence()) >= 2)  # bob's leave: the dead node is reaped
        await asyncio.sleep(0.5)  # more refreshes
        assert seen.presence() == [("join", "ann", 1), ("leave", "bob", 1)]
        assert await watcher.is_online("lobby", "ann")
        assert await watcher.reserve("lobby", "ann") is None
        await alive.release("lobby", "ann", announce=False)  # its join was out: the leave is owed
        await seen.wait_for(lambda s: len(s.presence()) >= 3)
        assert seen.presence()[-1] == ("leave", "ann", 0)
        assert await watcher.reserve("lobby", "ann") == ["ann"]

    run_nodes(nodes(shared_redis.url, 3, presence_ttl=0.6, presence_refresh=0.2), scenario)


def test_a_shared_hold_whose_reply_was_lost_is_one_hold(shared_redis: RedisServer) -> None:
    """An account's second hold, its reply lost and retried, is let go of by one release."""

    async def scenario(proxy: CuttingProxy, node: Node, other: Node) -> None:
        seen = Collector()
        await other.subscribe("lobby", seen)
        ann = account_owner(7)
        assert await node.reserve("lobby", "ann", ann) == ["ann"]
        await node.announce_join("lobby", "ann")
        proxy.lose_reply_to(b"ann")
        assert await node.reserve("lobby", "ann", ann) == ["ann"]
        assert proxy.cuts == 1
        await node.release("lobby", "ann", announce=True)
        assert await other.is_online("lobby", "ann")
        await node.release("lobby", "ann", announce=True)
        await seen.wait_for(lambda s: len(s.presence()) >= 2)
        assert seen.presence() == [("join", "ann", 1), ("leave", "ann", 0)]
        assert not await other.is_online("lobby", "ann")

    run_behind_proxy(shared_redis, 2, scenario)


def test_an_accounts_holds_leave_no_key_behind(shared_redis: RedisServer) -> None:
    """An account held on two nodes, then let go of on both, leaves nothing of the room in Redis."""

    async def scenario(left: Node, right: Node) -> None:
        prefix = left.bus.prefix  # type: ignore[attr-defined]
        for service in (left, right, left):
            await service.reserve("fresh", "ann", account_owner(7))
        await left.announce_join("fresh", "ann")
        for service in (right, left, left):
            await service.release("fresh", "ann", announce=True)
        admin = shared_redis.client()
        try:
            assert admin.keys(f"{prefix}room:*") == []
            assert admin.zrange(f"{prefix}online-names", 0, -1) == []
        finally:
            admin.close()

    run_nodes(nodes(shared_redis.url, 2), scenario)


class Listener:
    """A notice listener that keeps what it is told, and how often it was asked to recheck."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.rechecks = 0

    def take(self, notice: Notice) -> None:
        self.notices.append(notice)

    def recheck(self) -> None:
        self.rechecks += 1


def test_a_notice_reaches_every_node_once(shared_redis: RedisServer) -> None:
    """A notice acts at once on the node that made it and reaches each other node once, intact."""

    async def scenario(node: Node, other: Node, third: Node) -> None:
        heard = [Listener(), Listener(), Listener()]
        for service, listener in zip((node, other, third), heard, strict=True):
            service.listen_notices(listener)
        removed = RoomNotice("team", ROOM_MEMBERS, members=(1, 2), removed=(3,))
        signed_out = AccountNotice(7, SIGNED_OUT, session_hash=b"\x00\xffhash")
        await node.notify(removed)
        assert heard[0].notices == [removed]  # at once, not through Redis
        await eventually(lambda: _true(len(heard[1].notices) == 1))
        await other.notify(signed_out)
        assert heard[1].notices == [removed, signed_out]
        for listener in heard:
            await eventually(lambda listener=listener: _true(len(listener.notices) >= 2))  # type: ignore[misc]
        await asyncio.sleep(0.2)
        assert heard[0].notices == [removed, signed_out]
        assert heard[1].notices == [removed, signed_out]
        assert heard[2].notices == [removed, signed_out]

    run_nodes(nodes(shared_redis.url, 3), scenario)


def crosses_intact(shared_redis: RedisServer, told: Sequence[Notice], *keys: set[str]) -> None:
    """Each notice travels under one of ``keys`` (the keys a node of the version before does not know,
    and drops), and reaches the other node as it left, in order."""
    for frame in notice_frames(b"left", told):
        assert set(orjson.loads(frame.split(b"\n", 1)[1])) in keys

    async def scenario(node: Node, other: Node) -> None:
        heard = Listener()
        other.listen_notices(heard)
        await node.notify(*told)
        await eventually(lambda: _true(len(heard.notices) == len(told)))
        assert heard.notices == list(told)

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_a_new_picture_and_its_removal_reach_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A picture's notice, and a removal's (no file), reach the other node as they left; a node of the
    version before, which knows neither of its keys, drops it (docs/deploy.md, "Upgrading nodes")."""
    told = [AvatarNotice("Zoë", "Ab3_file-id"), AvatarNotice("Zoë", None)]
    crosses_intact(shared_redis, told, {"avatar", "name"})


def test_an_emoji_added_and_removed_reaches_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A custom emoji's notice (added: its digest, adder and time; removed: none) reaches the other node as
    it left, under a key that a node of the version before drops."""
    told: list[Notice] = [
        EmojiNotice("shipit", "ab" * 32, "Zoë", 1_800_000_000_000),
        EmojiNotice("shipit", None),
    ]
    crosses_intact(shared_redis, told, {"emoji"})


def test_a_group_changed_reaches_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A group's notice (created or changed: its name now; renamed; deleted: none) reaches the other node
    as it left, under a key that a node of the version before drops."""
    told: list[Notice] = [
        GroupNotice("designers", "designers"),
        GroupNotice("designers", "Design team"),
        GroupNotice("Design team", None),
    ]
    crosses_intact(shared_redis, told, {"group"})


def test_a_status_and_a_pause_reach_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A status set and cleared, notifications paused and resumed: each notice reaches the other node as it
    left, under keys that a node of the version before drops."""
    told: list[Notice] = [
        StatusNotice("Zoë", "📅", "In a meeting", 1_800_000_000_000),
        StatusNotice("Zoë", "🌴", "", None),
        StatusNotice("Zoë", None),
        PauseNotice("Zoë", 1_800_000_000_000),
        PauseNotice("Zoë", None),
    ]
    crosses_intact(shared_redis, told, {"status", "name"}, {"paused", "name"})


def test_a_block_and_its_lifting_reach_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A block's notice and an unblock's reach the other node as they left, under a key of their own
    that a node of the version before drops."""
    told = [BlockNotice(7, 9, "Zoë", True, "ann"), BlockNotice(7, 9, "Zoë", False, "ann")]
    crosses_intact(shared_redis, told, {"block"})


def test_an_administrator_made_and_unmade_reaches_the_other_node_intact(shared_redis: RedisServer) -> None:
    """Someone made an administrator, and no longer one: each notice reaches the other node as it left,
    under a key of its own that a node of the version before drops."""
    told = [AdminNotice(7, "Zoë", True), AdminNotice(7, "Zoë", False)]
    crosses_intact(shared_redis, told, {"admin"})


def test_a_saving_and_an_unsaving_reach_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A saved message's notice and an unsaving's reach the other node as they left, under a key of their
    own that a node of the version before drops."""
    told = [SavedNotice(7, "Zoë's room", 12, 1234), SavedNotice(7, "Zoë's room", 12, None)]
    crosses_intact(shared_redis, told, {"saved"})


def test_a_star_and_an_unstar_reach_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A starred room's notice and an unstarring's reach the other node as they left, under a key of their
    own that a node of the version before drops."""
    crosses_intact(
        shared_redis, [StarNotice(7, "Zoë's room", True), StarNotice(7, "Zoë's room", False)], {"starred"}
    )


def test_a_threads_follow_read_and_reply_reach_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A followed thread read, one unfollowed, and a reply to its followers reach the other node as they
    left, under keys of their own that a node of the version before drops."""
    told: list[Notice] = [
        ThreadNotice(7, "Zoë's room", 12, True, 40),
        ThreadNotice(7, "Zoë's room", 12, False, 40),
        ThreadReplyNotice("Zoë's room", 12, 41, 8, (7, 9)),
        ThreadReplyNotice("Zoë's room", 12, 42, None),
        ThreadReplyNotice("Zoë's room", 12, 43, None, deleted=True),
    ]
    crosses_intact(shared_redis, told, {"thread"}, {"thread_reply"})


def test_a_change_to_ones_scheduled_messages_reaches_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A scheduled messages notice reaches the other node as it left, under a key of its own that a node
    of the version before drops."""
    crosses_intact(shared_redis, [ScheduledNotice(7, "Zoë's room")], {"scheduled"})


def test_a_change_to_ones_reminders_reaches_the_other_node_intact(shared_redis: RedisServer) -> None:
    """A reminder notice (set, due, removed) reaches the other node as it left, under a key of its own
    that a node of the version before drops."""
    told = [ReminderNotice(7, 3, "waiting"), ReminderNotice(7, 3, "due"), ReminderNotice(7, 3, "removed")]
    crosses_intact(shared_redis, told, {"reminder"})


def test_a_barred_address_crosses_the_bus_and_a_guests_removal_from_an_older_node_still_reads() -> None:
    """A guest's removal, and the address its node then tells, reach the other node as they left; a
    removal sent by a node of the version before (no address) reads as one naming no address."""
    told = [
        GuestNotice("lobby", "troll", 1_700_000_000_000),
        GuestNotice("", "", 1_700_000_000_000, "10.0.0.7"),
    ]
    frames = notice_frames(b"left", told)
    assert [notice for frame in frames for notice in decode_notices(frame, b"right")] == told
    older = b"nleft\n" + orjson.dumps({"guest": "troll", "room": "lobby", "until": 5})
    assert decode_notices(older, b"right") == [GuestNotice("lobby", "troll", 5)]


def test_a_node_whose_redis_came_back_rechecks_what_notices_decide(own_redis: RedisServer) -> None:
    """Notices sent while Redis was away are lost: the node that got it back is asked to recheck."""

    async def scenario(node: Node) -> None:
        listener = Listener()
        node.listen_notices(listener)
        await asyncio.to_thread(own_redis.stop)
        await eventually(lambda: _not(node.healthy()))
        await asyncio.to_thread(own_redis.start)
        await eventually(node.healthy)
        await eventually(lambda: _true(listener.rechecks >= 1))

    run_nodes(nodes(own_redis.url, 1), scenario)


async def _true(value: bool) -> bool:
    return value


def sequenced(seen: Collector) -> list[tuple[int, str]]:
    """The ids and kinds of the messages and changes a sink got, in order."""
    return [
        (e.id, "message" if isinstance(e, StoredMessage) else e.kind)
        for e in seen.events
        if isinstance(e, StoredMessage | StoredChange)
    ]


def test_changes_reach_the_other_node_in_id_order(shared_redis: RedisServer) -> None:
    """Edits, reactions, deletions and a reply stored on one node reach the other once each, in id order."""

    async def scenario(left: Node, right: Node) -> None:
        seen = Collector()
        await right.subscribe("lobby", seen)
        first = await left.publish("lobby", "ann", "hi", account_id=1)
        await left.change("lobby", ChangeRequest(EDIT, first.id, "ann", 1, text="hello"))
        reply = await left.publish("lobby", "bob", "hey", account_id=2, reply_to=first.id)
        await left.change("lobby", ChangeRequest(REACTION, first.id, "bob", 2, emoji="\u2665", on=True))
        await left.change("lobby", ChangeRequest(DELETE, first.id, "ann", 1))
        await seen.wait_for(lambda s: len(sequenced(s)) >= 5)
        await asyncio.sleep(0.2)
        assert sequenced(seen) == [
            (1, "message"),
            (2, "edit"),
            (3, "message"),
            (4, "reaction"),
            (5, "delete"),
        ]
        changes = [e for e in seen.events if isinstance(e, StoredChange)]
        assert (changes[0].text, changes[1].emoji, changes[1].on) == ("hello", "\u2665", True)
        delivered_reply = seen.messages()[1]
        assert delivered_reply == reply and delivered_reply.reply_to is not None
        assert delivered_reply.reply_to.nick == "ann"

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_changes_lost_by_the_bus_are_repaired_from_the_store(shared_redis: RedisServer) -> None:
    """Changes stored while a node's subscription was cut reach it from the store, in order, once."""

    async def scenario(listener: Node, sender: Node) -> None:
        seen = Collector()
        await listener.subscribe("lobby", seen)
        await sender.publish("lobby", "ann", "0", account_id=1)
        await seen.wait_for(lambda s: len(s.messages()) == 1)
        admin = shared_redis.client()
        admin.client_kill_filter(_type="pubsub")
        admin.close()
        for i in range(1, 11):
            await sender.change("lobby", ChangeRequest(EDIT, 1, "ann", 1, text=str(i)))
            await asyncio.sleep(0.005)
        await sender.publish("lobby", "ann", "last", account_id=1)
        await seen.wait_for(lambda s: len(sequenced(s)) >= 12)
        await asyncio.sleep(0.3)
        assert [i for i, _ in sequenced(seen)] == list(range(1, 13))

    run_nodes(nodes(shared_redis.url, 2), scenario)


def test_frames_of_older_nodes_still_decode() -> None:
    """A message row of five or six fields (an older node's) is a message without author or reply."""
    old = b"mnode-x\n" + b'[[4,"ann","hi",1700000000000,false],[5,"bob","yo",1700000000001,false,true]]'
    decoded = decode_frame("lobby", old, b"node-y")
    assert decoded == [
        StoredMessage(4, "lobby", "ann", "hi", 1700000000000),
        StoredMessage(5, "lobby", "bob", "yo", 1700000000001, False, True),
    ]
    [change] = decode_frame(
        "lobby", message_frames(b"node-x", [StoredChange(6, "lobby", EDIT, 4, "ann", 7, "x")])[0], b"y"
    )
    assert change == StoredChange(6, "lobby", EDIT, 4, "ann", 7, "x")


def test_a_frame_of_a_later_version_is_dropped_not_taken_for_typing() -> None:
    """A kind of frame this node does not know shows nobody typing; typing itself still does."""
    later = b"xnode-x\n" + b'[[7,"edit",4,"ann",1700000000000,"new text"]]'
    assert decode_frame("lobby", later, b"node-y") == []
    assert decode_frame("lobby", typing_frame("ann"), b"node-y") == [TypingEvent("lobby", "ann")]


def test_typing_in_a_thread_crosses_with_its_thread() -> None:
    """Typing a reply in a thread reaches another node naming the thread; plain typing names none."""
    assert decode_frame("lobby", typing_frame("Zoë", 42), b"node-y") == [TypingEvent("lobby", "Zoë", 42)]
    assert decode_frame("lobby", typing_frame("Zoë"), b"node-y") == [TypingEvent("lobby", "Zoë")]


def test_a_node_closes_even_when_redis_py_turns_its_loops_cancellation_into_an_error(
    shared_redis: RedisServer,
) -> None:
    """The presence refresh and the subscription's reader stop on close even if the cancellation that
    stops them comes out of redis-py as a Redis error, as it can when it lands inside a command."""
    inside = asyncio.Event()

    async def cancellation_turned_into_an_error() -> None:
        inside.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise RedisConnectionError("Connection closed by server.") from None

    async def scenario(node: Node) -> None:
        bus = node.bus
        assert isinstance(bus, RedisBus)
        bus._presence.refresh = cancellation_turned_into_an_error  # type: ignore[method-assign]
        bus._subscription._read_messages = cancellation_turned_into_an_error  # type: ignore[method-assign]
        await bus._subscription._pubsub.connection.disconnect()  # type: ignore[union-attr]
        await asyncio.wait_for(inside.wait(), 10)
        await asyncio.sleep(0.3)  # the refresh (every 0.1 s) is inside too

    run_nodes(nodes(shared_redis.url, 1, presence_ttl=0.3, presence_refresh=0.1), scenario)


def test_an_account_is_online_on_every_node_while_any_node_holds_it(shared_redis: RedisServer) -> None:
    """Every node sees an account held on another as online, until its last hold goes or its node dies."""

    async def scenario(dead: Node, left: Node, right: Node) -> None:
        await left.reserve("lobby", "ann", account_owner(7))
        await dead.reserve("kitchen", "bob", account_owner(8))
        assert await right.accounts_online([7, 8, 9]) == {7, 8}
        await left.release("lobby", "ann", announce=False)
        assert await right.accounts_online([7, 8]) == {8}
        await crash(dead)
        await eventually(lambda: _none_online(right, [8]))
        assert await left.accounts_online([7, 8]) == set()

    run_nodes(nodes(shared_redis.url, 3, presence_ttl=0.6, presence_refresh=0.2), scenario)


async def _none_online(node: Node, account_ids: list[int]) -> bool:
    return not await node.accounts_online(account_ids)


def test_a_node_tells_redis_its_accounts_again_after_redis_lost_them(own_redis: RedisServer) -> None:
    """Redis restarted empty: at the node's next refresh its accounts are online again."""

    async def scenario(node: Node, other: Node) -> None:
        await node.reserve("lobby", "ann", account_owner(7))
        assert await other.accounts_online([7]) == {7}
        admin = own_redis.client()
        admin.flushall()
        admin.close()
        assert await other.accounts_online([7]) == set()
        await eventually(lambda: _online(other, 7))

    async def _online(node: Node, account_id: int) -> bool:
        return await node.accounts_online([account_id]) == {account_id}

    run_nodes(nodes(own_redis.url, 2, presence_ttl=0.6, presence_refresh=0.2), scenario)


def test_a_message_with_a_file_reaches_the_other_node_with_it(
    shared_redis: RedisServer, tmp_path: Path
) -> None:
    """A message carrying a file, stored on one node, is delivered by the other with the same file."""
    upload = tmp_path / "photo"
    upload.write_bytes(b"\x89PNG not really")

    async def scenario(left: Node, right: Node) -> None:
        seen = Collector()
        await right.subscribe("lobby", seen)
        prepared = SimpleNamespace(
            path=upload,
            content_type="image/png",
            size=15,
            width=4,
            height=3,
            thumb_path=None,
            thumb_type=None,
        )
        info = await left.store.files.save(NewFile("lobby", 1, "photo.png", ATTACHMENT), prepared)
        sent = await left.publish("lobby", "ann", "look", account_id=1, file_id=info.id)
        await seen.wait_for(lambda s: len(s.messages()) == 1)
        assert seen.messages() == [sent]
        assert seen.messages()[0].file == FileInfo(info.id, "photo.png", 15, "image/png", 4, 3, False)

    run_nodes(nodes(shared_redis.url, 2), scenario)
