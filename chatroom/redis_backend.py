"""RedisBackend: history, presence and fan-out shared by every process and node.

Keys (``prefix`` defaults to ``chatroom:``):

- ``room:R`` a hash: ``last_id`` (the room's counter) and ``epoch``. They live
  and die together, so a Redis that lost the room starts a new epoch.
- ``room:R:log`` a stream of the room's messages, entry id ``<id>-0``, fields
  ``nick``, ``text``, ``ts`` and, for a message posted through the HTTP API,
  ``bot`` = ``1``; trimmed to about ``max_history`` entries (Redis trims whole
  stream nodes, so a few more may stay).
- ``room:R:sent:D`` ``<epoch>\\n<id>\\n<ts>\\n<nick>`` of a message sent with a
  ref, D the hex digest of room, sender's nick key, ref and text; expires
  after the deduplication window (ten minutes): a resend within it is not
  stored again.
- ``room:R:members`` a hash: nick key -> ``<node>\\n<nick>``.
- ``room:R:events`` the pub/sub channel of the room: messages, join/leave,
  typing, in the one order Redis executed them.
- ``node:N`` expires ``presence_ttl`` seconds after node N last refreshed it;
  ``node:N:members`` lists its members; ``nodes`` lists the nodes.
- ``node:N:done`` a hash, expiring a minute after node N last wrote it: what
  its last write of each kind did (``m\\n<room>`` -> ``<token> <first id>`` for
  the last batch published to a room, ``j\\n<room>\\n<nick key>`` -> token for
  a join announced), so that a write retried after a lost reply runs once.
- ``node:N:health`` the last health check's token (it expires).
- ``room-names`` (rooms with history) and ``online-names`` (rooms with
  members): sorted sets, every score 0, so that a page of the rooms list is a
  ZRANGEBYLEX from where it starts. A room that only ever had members leaves
  no key behind once the last one leaves.

One Lua script assigns a batch of ids, appends the messages to the stream and
PUBLISHes them, atomically: every subscriber on every node sees one id order
with no gap. A single publisher task sends the queued messages in order, one
pipeline per batch (a group commit), and resolves each message's future only
once Redis has replied, i.e. after its AOF write when Redis is configured so.

A command that fails because its connection did (Redis restarted and the
pool's connections are stale, a reset socket, a timeout) is sent once more on
a fresh connection. Reads and most writes may simply run twice; the two that
may not carry a token that the script checks first (``node:N:done``), and a
nick claimed by a call whose reply was lost is the caller's on its retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline, PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .backend import (
    DEDUPE_WINDOW_MS,
    BackendError,
    Event,
    EventSink,
    PresenceEvent,
    RoomInfo,
    RoomReset,
    StartupError,
    StoredMessage,
    TypingEvent,
    dedupe_digest,
    dedupe_sender,
    first_names,
    now_ms,
)
from .protocol import nick_key, room_key

log = logging.getLogger("chatroom.redis")

T = TypeVar("T")

DEFAULT_MAX_HISTORY = 10_000
DEFAULT_PRESENCE_TTL = 15.0
MAX_BATCH = 500
MAX_CONNECTIONS = 32
POOL_TIMEOUT = 5.0
CATCH_UP_PAGE = 1000
SUBSCRIBE_TIMEOUT = 5.0
RECONNECT_MIN, RECONNECT_MAX = 0.1, 5.0
HEALTH_TIMEOUT = 2.0
# How long a write's token is kept for its retry: far longer than a retry takes.
DONE_TTL_MS = 60_000

# The connection failed, not the command: worth one more try on a fresh one.
# (redis-py's BusyLoadingError, Redis still loading its data, is one of them.)
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)

# A new hash means the room's sequence starts over: old entries of its stream
# (a partial loss, or keys deleted by hand) must not clash with the new ids.
_ENSURE_EPOCH = """
local function ensure_epoch(hash, stream, candidate)
  if redis.call('HSETNX', hash, 'epoch', candidate) == 1 then
    redis.call('DEL', stream)
  end
end
"""

# KEYS: room hash, stream, room names (sorted set), this node's done hash.
# ARGV: channel, epoch candidate, max history, room, count, dedupe window (ms),
# token, done ttl (ms), then nick, text, ts, JSON row, dedupe key ('' for
# none) and bot ('1', or '' for a person) of each message.
# Returns per message its new id, or {id, ts, nick} of the message it repeats
# (same dedupe key within the window, in this epoch): that one is neither
# stored nor published again. A batch whose token is already recorded ran
# before (its reply was lost): its answer is given again and nothing is
# stored or published twice.
PUBLISH_SCRIPT = (
    _ENSURE_EPOCH
    + """
local field = 'm\\n' .. ARGV[4]
local done = redis.call('HGET', KEYS[4], field)
if done then
  local token, answer = string.match(done, '^(%S+) (.*)$')
  if token == ARGV[7] then
    return cjson.decode(answer)
  end
end
local function remember(results)
  redis.call('HSET', KEYS[4], field, ARGV[7] .. ' ' .. cjson.encode(results))
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
  return results
end
ensure_epoch(KEYS[1], KEYS[2], ARGV[2])
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local count, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local results, fresh, first_of, copy_of, id_of = {}, {}, {}, {}, {}
for i = 0, count - 1 do
  local at = 9 + i * 6
  local key = ARGV[at + 4]
  local value = false
  if key ~= '' and not first_of[key] then
    value = redis.call('GET', key)
  end
  local e, id, ts, nick
  if value then
    e, id, ts, nick = string.match(value, '^([^\\n]*)\\n(%d+)\\n(%d+)\\n(.*)$')
  end
  if key ~= '' and first_of[key] then
    copy_of[i] = first_of[key]
  elseif e == epoch and tonumber(ARGV[at + 2]) - tonumber(ts) < window then
    results[i + 1] = {tonumber(id), tonumber(ts), nick}
  else
    fresh[#fresh + 1] = i
    if key ~= '' then
      first_of[key] = i
    end
  end
end
if #fresh == 0 then
  return remember(results)
end
local last = redis.call('HINCRBY', KEYS[1], 'last_id', #fresh)
local first = last - #fresh + 1
local rows = {}
for n, i in ipairs(fresh) do
  local at = 9 + i * 6
  local id = first + n - 1
  if ARGV[at + 5] == '1' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id .. '-0',
               'nick', ARGV[at], 'text', ARGV[at + 1], 'ts', ARGV[at + 2], 'bot', '1')
  else
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id .. '-0',
               'nick', ARGV[at], 'text', ARGV[at + 1], 'ts', ARGV[at + 2])
  end
  rows[n] = ARGV[at + 3]
  results[i + 1] = id
  id_of[i] = id
  if ARGV[at + 4] ~= '' then
    redis.call('SET', ARGV[at + 4], epoch .. '\\n' .. id .. '\\n' .. ARGV[at + 2] .. '\\n' .. ARGV[at],
               'PX', window)
  end
end
-- A message repeated later in the same batch repeats the one stored above.
for i, original in pairs(copy_of) do
  local at = 9 + original * 6
  results[i + 1] = {id_of[original], tonumber(ARGV[at + 2]), ARGV[at]}
end
redis.call('ZADD', KEYS[3], 0, ARGV[4])
redis.call('PUBLISH', ARGV[1], 'm' .. first .. '\\n[' .. table.concat(rows, ',') .. ']')
return remember(results)
"""
)

# KEYS: room-claims hash. ARGV: look-alike key, room. -> the room holding the key
CLAIM_ROOM_SCRIPT = """
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
"""

# KEYS: room-claims hash, room names (sorted set of rooms with history), room members hash.
# ARGV: look-alike key, room. An empty room without history lets go of its name.
DROP_ROOM_CLAIM_SCRIPT = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2]
   and not redis.call('ZSCORE', KEYS[2], ARGV[2])
   and redis.call('HLEN', KEYS[3]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# KEYS: room hash, stream. ARGV: epoch candidate. -> {epoch, last_id}
POSITION_SCRIPT = (
    _ENSURE_EPOCH
    + """
ensure_epoch(KEYS[1], KEYS[2], ARGV[1])
return redis.call('HMGET', KEYS[1], 'epoch', 'last_id')
"""
)

# Shared by the presence scripts: remove a member owned by ``node`` and tell
# the room, so that a leave is published once, by whoever removes it.
_REMOVE_MEMBER = """
local function owner_of(value)
  return string.match(value, '^([^\\n]*)\\n')
end

local function nick_of(value)
  return string.match(value, '^[^\\n]*\\n(.*)$')
end

local function remove_member(prefix, room, key, node, announce, ts)
  local members = prefix .. 'room:' .. room .. ':members'
  local value = redis.call('HGET', members, key)
  if not value or owner_of(value) ~= node then
    return false
  end
  redis.call('HDEL', members, key)
  redis.call('SREM', prefix .. 'node:' .. node .. ':members', room .. '\\n' .. key)
  redis.call('HDEL', prefix .. 'node:' .. node .. ':done', 'j\\n' .. room .. '\\n' .. key)
  local users = redis.call('HLEN', members)
  if users == 0 then
    redis.call('ZREM', prefix .. 'online-names', room)
    -- A room joined but never written to keeps nothing: its epoch goes too.
    local hash = prefix .. 'room:' .. room
    if not redis.call('HGET', hash, 'last_id') then
      redis.call('DEL', hash, hash .. ':log')
    end
  end
  if announce then
    redis.call('PUBLISH', prefix .. 'room:' .. room .. ':events',
               'pleave\\n' .. users .. '\\n' .. ts .. '\\n' .. nick_of(value))
  end
  return true
end

local function node_alive(prefix, node)
  return redis.call('EXISTS', prefix .. 'node:' .. node) == 1
end

-- Take ``key`` for ``node`` unless a live node holds it; a dead node's member
-- leaves first. Returns 0 taken, 1 already ours, 2 claimed now.
local function claim(prefix, room, key, node, nick, ts)
  local members = prefix .. 'room:' .. room .. ':members'
  local value = redis.call('HGET', members, key)
  if value then
    local owner = owner_of(value)
    if owner == node then
      return 1
    end
    if node_alive(prefix, owner) then
      return 0
    end
    remove_member(prefix, room, key, owner, true, ts)
  end
  redis.call('HSET', members, key, node .. '\\n' .. nick)
  redis.call('SADD', prefix .. 'node:' .. node .. ':members', room .. '\\n' .. key)
  redis.call('ZADD', prefix .. 'online-names', 0, room)
  return 2
end
"""

# ARGV: prefix, room, key, node, nick, ts, ours_ok -> member values, or false
# when taken. With ours_ok a member this node already holds may be reused.
RESERVE_SCRIPT = (
    _REMOVE_MEMBER
    + """
local state = claim(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if state == 0 or (state == 1 and ARGV[7] ~= '1') then
  return false
end
if state == 1 then
  local members = ARGV[1] .. 'room:' .. ARGV[2] .. ':members'
  redis.call('HSET', members, ARGV[3], ARGV[4] .. '\\n' .. ARGV[5])
end
return redis.call('HVALS', ARGV[1] .. 'room:' .. ARGV[2] .. ':members')
"""
)

# ARGV: prefix, room, key, node, nick, ts -> 0 taken, 1 still ours, 2 claimed.
REASSERT_SCRIPT = _REMOVE_MEMBER + "return claim(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])"

# ARGV: prefix, room, key, node, announce (0/1), ts -> 1 when removed.
RELEASE_SCRIPT = (
    _REMOVE_MEMBER
    + """
if remove_member(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6]) then
  return 1
end
return 0
"""
)

# KEYS: members hash, this node's done hash. ARGV: channel, nick, ts, done
# field, token, done ttl (ms). A join whose token is recorded was announced.
JOIN_SCRIPT = """
local users = redis.call('HLEN', KEYS[1])
if redis.call('HGET', KEYS[2], ARGV[4]) == ARGV[5] then
  return users
end
redis.call('PUBLISH', ARGV[1], 'pjoin\\n' .. users .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[2])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return users
"""

# KEYS: health key. ARGV: token, ttl (ms), this node's own channel.
# -> how many subscribers heard it (0: Redis does not know our subscription).
HEALTH_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('PUBLISH', ARGV[3], 'h' .. ARGV[1])
"""

# ARGV: prefix, ts. Every node whose liveness key expired: its members leave.
REAP_SCRIPT = (
    _REMOVE_MEMBER
    + """
local reaped = 0
for _, node in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'nodes')) do
  if not node_alive(ARGV[1], node) then
    local index = ARGV[1] .. 'node:' .. node .. ':members'
    for _, entry in ipairs(redis.call('SMEMBERS', index)) do
      local room, key = string.match(entry, '^([^\\n]*)\\n(.*)$')
      if remove_member(ARGV[1], room, key, node, true, ARGV[2]) then
        reaped = reaped + 1
      end
    end
    redis.call('DEL', index, ARGV[1] .. 'node:' .. node .. ':done')
    redis.call('SREM', ARGV[1] .. 'nodes', node)
  end
end
return reaped
"""
)


@dataclass(slots=True)
class _Pending:
    room: str
    nick: str
    text: str
    ts: int
    future: asyncio.Future[StoredMessage]
    # The key remembering a message sent with a ref; "" for none.
    sent_key: str = ""
    bot: bool = False


@dataclass(slots=True)
class _Feed:
    """One subscribed room: where its delivery stands, to repair a gap."""

    sink: EventSink
    epoch: str = ""
    last_id: int = 0
    catching_up: bool = False
    held: list[Event] = field(default_factory=list)


class RedisBackend:
    """Redis as store and broker: any number of processes and nodes, one order."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "chatroom:",
        max_history: int = DEFAULT_MAX_HISTORY,
        presence_ttl: float = DEFAULT_PRESENCE_TTL,
        presence_refresh: float | None = None,
    ) -> None:
        if presence_ttl <= 0 or max_history < 1:
            raise ValueError("presence_ttl and max_history must be positive")
        self.url = url
        self.prefix = prefix
        self.max_history = max_history
        self.presence_ttl = presence_ttl
        self.presence_refresh = presence_refresh or presence_ttl / 3
        self.node_id = secrets.token_hex(6)
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._queue: deque[_Pending] = deque()
        self._queued = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub: PubSub | None = None
        self._subscribed = False
        self._feeds: dict[str, _Feed] = {}
        self._confirmations: dict[bytes, list[asyncio.Future[None]]] = defaultdict(list)
        self._members: dict[tuple[str, str], str] = {}
        # Members whose release failed (Redis away): released at the next
        # presence refresh, with or without a leave announcement.
        self._unreleased: dict[tuple[str, str], bool] = {}
        self._presence_failed = False
        # Nicks this node is claiming right now: a retried claim may take
        # over what Redis says is ours only when nobody else here is asking.
        self._claiming: set[tuple[str, str]] = set()
        # Health checks waiting to hear their token on our own channel.
        self._echoes: dict[bytes, asyncio.Future[None]] = {}

    # --- keys --------------------------------------------------------------

    def _room_key(self, room: str, suffix: str = "") -> str:
        return f"{self.prefix}room:{room}{suffix}"

    def _channel(self, room: str) -> bytes:
        return self._room_key(room, ":events").encode()

    def _room_of_channel(self, channel: bytes) -> str:
        return channel.decode()[len(self.prefix) + len("room:") : -len(":events")]

    def _node_key(self, suffix: str = "") -> str:
        return f"{self.prefix}node:{self.node_id}{suffix}"

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Connect, register this node, and start the publisher and presence loops."""
        # No retries inside redis-py: it would send every command again the
        # same way, and a publish or a join whose reply was lost may have run.
        # _call retries once, with each write made safe to repeat.
        # A join storm asks for many connections at once: they wait for one of
        # the pool's instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            self.url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_TIMEOUT,
            socket_connect_timeout=2.0,
            socket_timeout=5.0,
            retry=Retry(NoBackoff(), 0),
            client_name=f"chatroom-{self.node_id}",
        )
        self._client = aioredis.Redis(connection_pool=pool)
        scripts = {
            "publish": PUBLISH_SCRIPT,
            "position": POSITION_SCRIPT,
            "reserve": RESERVE_SCRIPT,
            "reassert": REASSERT_SCRIPT,
            "release": RELEASE_SCRIPT,
            "join": JOIN_SCRIPT,
            "reap": REAP_SCRIPT,
            "claim_room": CLAIM_ROOM_SCRIPT,
            "drop_room_claim": DROP_ROOM_CLAIM_SCRIPT,
            "health": HEALTH_SCRIPT,
        }
        self._scripts = {name: self._client.register_script(body) for name, body in scripts.items()}
        try:
            await self._client.ping()
            await self._migrate_room_sets()
            await self._refresh_presence()
            await self._connect_pubsub()
            self._subscribed = True
        except (RedisError, OSError) as error:
            await self._client.aclose()
            raise StartupError(f"cannot use Redis at {self.url}: {error}") from None
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name="chatroom-redis-publish"),
            asyncio.create_task(self._read_loop(), name="chatroom-redis-subscribe"),
            asyncio.create_task(self._presence_loop(), name="chatroom-redis-presence"),
        ]

    async def close(self) -> None:
        """Store what is queued, let this node's members leave, disconnect."""
        if self._closing:
            return
        self._closing = True
        self._queued.set()
        if self._tasks:
            publisher, *others = self._tasks
            await publisher
            for task in others:
                task.cancel()
            for task in others:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(RedisError, OSError):
            await self._leave_cluster()
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        if self._client is not None:
            await self._client.aclose()

    async def _leave_cluster(self) -> None:
        leaving = {member: True for member in self._members} | self._unreleased
        for (room, key), announce in leaving.items():
            await self._release(room, key, announce=announce)
        assert self._client is not None
        node = self._node_key()
        await self._client.delete(node, node + ":members", node + ":done", node + ":health")
        await self._client.srem(self.prefix + "nodes", self.node_id)

    # --- publishing --------------------------------------------------------

    def publish(
        self, room: str, nick: str, text: str, *, ref: str | None = None, bot: bool = False
    ) -> asyncio.Future[StoredMessage]:
        """Queue a message for the next batch; resolves once Redis has stored it."""
        future: asyncio.Future[StoredMessage] = asyncio.get_running_loop().create_future()
        if self._closing or self._client is None:
            future.set_exception(BackendError("the store is closed"))
            return future
        sent_key = self._sent_key(room, dedupe_sender(nick, bot), ref, text)
        self._queue.append(_Pending(room, nick, text, now_ms(), future, sent_key, bot))
        self._queued.set()
        return future

    def _sent_key(self, room: str, sender: str, ref: str | None, text: str) -> str:
        """The key that remembers a message sent with ``ref`` (see PUBLISH_SCRIPT)."""
        if ref is None:
            return ""
        return self._room_key(room, ":sent:" + dedupe_digest(room, sender, ref, text).hex())

    async def _publish_loop(self) -> None:
        while True:
            await self._queued.wait()
            self._queued.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
                await self._store_batch(batch)
            if self._closing:
                return

    async def _store_batch(self, batch: list[_Pending]) -> None:
        by_room: dict[str, list[_Pending]] = defaultdict(list)
        for pending in batch:
            by_room[pending.room].append(pending)
        groups = list(by_room.values())
        # One token for the batch: its retry must be recognised as the same.
        calls = [self._publish_call(group, secrets.token_hex(8)) for group in groups]
        try:
            firsts = await self._retrying(lambda: self._run_publish_pipeline(calls))
        except (RedisError, OSError) as error:
            self._fail_batch(batch, error)
            return
        for group, results in zip(groups, firsts, strict=True):
            if isinstance(results, Exception):
                self._fail_batch(group, results)
                continue
            for pending, result in zip(group, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(self._stored_message(pending, result))

    @staticmethod
    def _stored_message(pending: _Pending, result: int | list[Any]) -> StoredMessage:
        """The message PUBLISH_SCRIPT stored: a new id, or the [id, ts, nick] it repeats.

        A repeat has the same sender, bot or not (dedupe_sender), as this one.
        """
        if isinstance(result, int):
            return StoredMessage(result, pending.room, pending.nick, pending.text, pending.ts, pending.bot)
        msg_id, ts, nick = result
        return StoredMessage(int(msg_id), pending.room, nick.decode(), pending.text, int(ts), pending.bot)

    async def _run_publish_pipeline(self, calls: list[tuple[list[str], list[Any]]]) -> list[Any]:
        """One EVALSHA per room, in one round trip; loads the script if Redis forgot it."""
        assert self._client is not None
        script = self._scripts["publish"]
        for attempt in (1, 2):
            pipe: Pipeline = self._client.pipeline(transaction=False)
            for keys, args in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            results: list[Any] = await pipe.execute(raise_on_error=False)
            if attempt == 1 and any(isinstance(r, NoScriptError) for r in results):
                # A restarted Redis has an empty script cache; nothing ran.
                await self._client.script_load(PUBLISH_SCRIPT)
                continue
            return results
        raise AssertionError("unreachable")

    def _publish_call(self, group: list[_Pending], token: str) -> tuple[list[str], list[Any]]:
        room = group[0].room
        args: list[Any] = [
            self._channel(room),
            secrets.token_hex(8),
            self.max_history,
            room,
            len(group),
            DEDUPE_WINDOW_MS,
            token,
            DONE_TTL_MS,
        ]
        for p in group:
            # A bot's row has a fourth element (see _decode); a person's stays as it was.
            row = [p.nick, p.text, p.ts, 1] if p.bot else [p.nick, p.text, p.ts]
            args.extend((p.nick, p.text, p.ts, orjson.dumps(row), p.sent_key, "1" if p.bot else ""))
        keys = [
            self._room_key(room),
            self._room_key(room, ":log"),
            self.prefix + "room-names",
            self._node_key(":done"),
        ]
        return keys, args

    @staticmethod
    def _fail_batch(batch: Sequence[_Pending], error: BaseException) -> None:
        log.warning("cannot store %d messages in Redis: %s", len(batch), error)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(BackendError(f"cannot store the message: {error}"))

    # --- reading -----------------------------------------------------------

    async def _call(
        self, command: Callable[[], Awaitable[T]], retry: Callable[[], Awaitable[T]] | None = None
    ) -> T:
        """Run a Redis command (``retry`` after a lost connection); trouble becomes BackendError."""
        if self._client is None or self._closing:
            raise BackendError("the store is closed")
        try:
            return await self._retrying(command, retry)
        except (RedisError, OSError) as error:
            raise BackendError(f"Redis: {error}") from None

    async def _retrying(
        self, command: Callable[[], Awaitable[T]], retry: Callable[[], Awaitable[T]] | None = None
    ) -> T:
        """Run ``command``; if its connection fails, run ``retry`` (or it again) on a fresh one.

        The command may have run before its connection failed: only a command
        that is safe to run twice, or a ``retry`` that makes it so, belongs here.
        """
        try:
            return await command()
        except CONNECTION_ERRORS as error:
            log.info("a Redis connection failed (%s); trying once more on a fresh one", error)
            await self._drop_idle_connections()
            return await (retry or command)()

    async def _drop_idle_connections(self) -> None:
        """Disconnect the pool's idle connections: they reconnect when next used.

        One connection failing usually means all of them did (Redis restarted):
        the others would fail their next command too.
        """
        assert self._client is not None
        with contextlib.suppress(RedisError, OSError):
            await self._client.connection_pool.disconnect(inuse_connections=False)

    async def history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages with after < id < before, oldest first."""
        if limit <= 0 or (before is not None and before <= 1):
            return []
        client = self._client
        assert client is not None
        low = f"({after}-0" if after is not None else "-"
        high = f"({before}-0" if before is not None else "+"
        stream = self._room_key(room, ":log")
        entries: list[tuple[bytes, dict[bytes, bytes]]]
        if newest:
            entries = await self._call(lambda: client.xrevrange(stream, high, low, count=limit))  # type: ignore[arg-type,return-value]
            entries.reverse()
        else:
            entries = await self._call(lambda: client.xrange(stream, low, high, count=limit))  # type: ignore[arg-type,return-value]
        return [self._message(room, entry_id, fields) for entry_id, fields in entries]

    @staticmethod
    def _message(room: str, entry_id: bytes, fields: dict[bytes, bytes]) -> StoredMessage:
        return StoredMessage(
            int(entry_id.split(b"-", 1)[0]),
            room,
            fields[b"nick"].decode(),
            fields[b"text"].decode(),
            int(fields[b"ts"]),
            fields.get(b"bot") == b"1",
        )

    async def last_id(self, room: str) -> int:
        """The room's counter: the id of its latest message."""
        client = self._client
        assert client is not None
        value = await self._call(lambda: client.hget(self._room_key(room), "last_id"))
        return int(value) if value else 0

    async def epoch(self, room: str) -> str:
        """The room's epoch, created when Redis has none for it."""
        epoch, _last_id = await self._position(room)
        return epoch

    async def _position(self, room: str) -> tuple[str, int]:
        keys = [self._room_key(room), self._room_key(room, ":log")]
        # Running it twice is harmless: the second finds the epoch the first set.
        epoch, last_id = await self._call(lambda: self._scripts["position"](keys, [secrets.token_hex(8)]))
        return epoch.decode(), int(last_id or 0)

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomInfo]:
        """A page of the rooms with history or anyone online, by name: two ZRANGEBYLEX and a pipeline."""
        client = self._client
        assert client is not None
        if limit <= 0:
            return []
        if after and after >= prefix:
            low = b"(" + after.encode()
        else:
            low = b"[" + prefix.encode() if prefix else b"-"
        # UTF-8 never holds the byte 0xff: every name with the prefix sorts below this.
        high = b"(" + prefix.encode() + b"\xff" if prefix else b"+"

        def ranges() -> Awaitable[list[Any]]:
            pipe = client.pipeline(transaction=False)
            for key in ("room-names", "online-names"):
                pipe.zrangebylex(self.prefix + key, low, high, 0, limit)
            return pipe.execute()

        stored, online = await self._call(ranges)
        names = first_names(
            (name.decode() for name in stored), (name.decode() for name in online), limit=limit
        )

        def counts() -> Awaitable[list[Any]]:
            pipe = client.pipeline(transaction=False)
            for room in names:
                pipe.hlen(self._room_key(room, ":members"))
                pipe.hget(self._room_key(room), "last_id")
            return pipe.execute()

        values = await self._call(counts) if names else []
        return [
            RoomInfo(room, int(values[2 * i]), int(values[2 * i + 1] or 0)) for i, room in enumerate(names)
        ]

    async def room_exists(self, room: str) -> bool:
        """Whether anyone on any node is in the room, or it has a stored message."""
        client = self._client
        assert client is not None

        def look() -> Awaitable[list[Any]]:
            pipe = client.pipeline(transaction=False)
            pipe.exists(self._room_key(room, ":members"))
            pipe.hget(self._room_key(room), "last_id")
            return pipe.execute()

        members, last_id = await self._call(look)
        return bool(members) or bool(last_id and int(last_id) > 0)

    async def _migrate_room_sets(self) -> None:
        """Move the name sets of an older version (plain sets) into the sorted sets."""
        assert self._client is not None
        for old, new in (("rooms", "room-names"), ("online", "online-names")):
            key, names = self.prefix + old, self.prefix + new
            if await self._client.type(key) != b"set":
                continue
            cursor = 0
            while True:
                cursor, batch = await self._client.sscan(key, cursor, count=1000)
                if batch:
                    scores = {
                        bytes(name) if isinstance(name, bytes) else name.encode(): 0.0 for name in batch
                    }
                    await self._client.zadd(names, scores)
                if cursor == 0:
                    break
            await self._client.delete(key)

    async def healthy(self) -> bool:
        """Redis takes a write, and this node's subscription hears what it publishes.

        A PING proves little: a fresh pooled connection answers it while the
        subscription is dead, or while Redis refuses writes.
        """
        if self._client is None or self._closing or not self._subscribed:
            return False
        token = secrets.token_hex(8)
        heard: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._echoes[token.encode()] = heard
        try:
            try:
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    listeners = await self._call(lambda: self._check_health(token))
            except (BackendError, TimeoutError):
                return False
            try:
                if listeners == 0:
                    raise BackendError("Redis has no subscription of this node")
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    await heard
            except (BackendError, TimeoutError):
                await self._reconnect_deaf_subscription()
                return False
        finally:
            self._echoes.pop(token.encode(), None)
        return True

    def _check_health(self, token: str) -> Awaitable[int]:
        keys = [self._node_key(":health")]
        return self._scripts["health"](
            keys, [token, int(self.presence_ttl * 1000), self._node_key(":events")]
        )

    async def _reconnect_deaf_subscription(self) -> None:
        """The subscription missed our own message, so it is dead: let the read loop reconnect it."""
        pubsub = self._pubsub
        if not self._subscribed or pubsub is None or pubsub.connection is None:
            return
        log.warning("the Redis subscription did not hear this node's health check: reconnecting it")
        with contextlib.suppress(RedisError, OSError):
            await pubsub.connection.disconnect()

    # --- presence ----------------------------------------------------------

    def _presence_args(self, room: str, key: str, last: object) -> list[Any]:
        return [self.prefix, room, key, self.node_id, last, now_ms()]

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member on any node holds the nick in the room.

        A member of a node that died still counts until it is reaped (within
        the presence TTL): a bot may be refused a little too long, but never
        let in under a live member's nick.
        """
        client = self._client
        assert client is not None
        members = self._room_key(room, ":members")
        held = await self._call(lambda: client.hexists(members, nick_key(nick)))
        return bool(held)

    async def reserve(self, room: str, nick: str) -> list[str] | None:
        """Hold a nick in a room across every node, unless a live member has it."""
        key = nick_key(nick)
        if (room, key) in self._claiming:
            # Another connection to this node is taking it right now.
            return None
        self._claiming.add((room, key))
        try:
            values = await self._call(
                lambda: self._claim(room, key, nick, retried=False),
                lambda: self._claim(room, key, nick, retried=True),
            )
        finally:
            self._claiming.discard((room, key))
        if values is None:
            return None
        self._unreleased.pop((room, key), None)
        self._members[(room, key)] = nick
        return [value.split(b"\n", 1)[1].decode() for value in values]

    def _claim(self, room: str, key: str, nick: str, *, retried: bool) -> Awaitable[list[bytes] | None]:
        # A member of ours whose release failed may be taken over by its nick;
        # so, on the retry, may one that the first try claimed before its reply
        # was lost (no other connection here holds or is claiming it).
        ours_ok = (room, key) in self._unreleased or (retried and (room, key) not in self._members)
        args = [*self._presence_args(room, key, nick), "1" if ours_ok else "0"]
        return self._scripts["reserve"](args=args)

    async def announce_join(self, room: str, nick: str) -> None:
        """Tell every node's members of the room that ``nick`` joined."""
        keys = [self._room_key(room, ":members"), self._node_key(":done")]
        # The token makes a retry after a lost reply announce nothing twice.
        field, token = f"j\n{room}\n{nick_key(nick)}", secrets.token_hex(8)
        args: list[Any] = [self._channel(room), nick, now_ms(), field, token, DONE_TTL_MS]
        await self._call(lambda: self._scripts["join"](keys, args))

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Free the nick; with ``announce`` every node's members see it leave."""
        key = nick_key(nick)
        if self._closing or self._members.pop((room, key), None) is None:
            # Closing releases (and announces) every member still held.
            return
        try:
            # Safe to run twice: a member already removed is not announced again.
            await self._call(lambda: self._release(room, key, announce=announce))
        except BackendError:
            self._unreleased[(room, key)] = announce
            raise
        await self._call(lambda: self._drop_unused_claim(room))

    async def _release(self, room: str, key: str, *, announce: bool) -> None:
        await self._scripts["release"](args=self._presence_args(room, key, "1" if announce else "0"))

    async def _release_unreleased(self) -> None:
        for (room, key), announce in list(self._unreleased.items()):
            await self._release(room, key, announce=announce)
            del self._unreleased[(room, key)]

    async def typing(self, room: str, nick: str) -> None:
        """Tell the room's members on every node that ``nick`` is typing."""
        client = self._client
        assert client is not None
        # Twice is harmless: "typing" is a state, not an event.
        await self._call(lambda: client.publish(self._channel(room), b"t" + nick.encode()))

    async def _presence_loop(self) -> None:
        while True:
            await asyncio.sleep(self.presence_refresh)
            try:
                await self._refresh_presence()
            except (RedisError, OSError, BackendError) as error:
                if not self._presence_failed:
                    log.warning("cannot refresh presence in Redis: %s", error)
                self._presence_failed = True

    async def _refresh_presence(self) -> None:
        """Keep this node alive in Redis, and let dead nodes' members leave."""
        assert self._client is not None
        node = self._node_key()
        pipe = self._client.pipeline(transaction=False)
        pipe.set(node, now_ms(), px=int(self.presence_ttl * 1000), get=True)
        pipe.sadd(self.prefix + "nodes", self.node_id)
        previous, _added = await pipe.execute()
        if previous is None and self._members:
            await self._reassert_members()
        await self._release_unreleased()
        reaped = await self._scripts["reap"](args=[self.prefix, now_ms()])
        if reaped:
            log.info("%d members of unresponsive nodes left their rooms", reaped)
        if self._presence_failed:
            log.warning("presence refreshes in Redis again")
            self._presence_failed = False

    async def _reassert_members(self) -> None:
        """Redis forgot this node (it lost data, or we stalled): hold our members again."""
        lost = 0
        for (room, key), nick in list(self._members.items()):
            state = await self._scripts["reassert"](args=self._presence_args(room, key, nick))
            if state == 2:
                await self.announce_join(room, nick)
            elif state == 0:
                lost += 1
                log.warning("%r in %r is now held by another node", nick, room)
        log.warning("Redis had no presence for this node: %d members held again", len(self._members) - lost)

    # --- subscriptions -----------------------------------------------------

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Deliver the room's events to ``sink`` once Redis confirms the subscription."""
        feed = self._feeds.get(room)
        if feed is None:
            # Where delivery starts: a repair after a lost subscription
            # resumes from here, so it is known before the feed exists.
            epoch, last_id = await self._position(room)
            feed = self._feeds.setdefault(room, _Feed(sink, epoch, last_id))
        feed.sink = sink
        if not self._subscribed or self._pubsub is None:
            raise BackendError("the Redis subscription is down")
        try:
            await self._subscribe_and_confirm(self._pubsub, [room])
        except (RedisError, OSError) as error:
            raise BackendError(f"Redis: {error}") from None

    async def unsubscribe(self, room: str) -> None:
        """Stop delivering the room's events to this node."""
        if self._feeds.pop(room, None) is None or self._pubsub is None or not self._subscribed:
            return
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(self._channel(room))

    async def _subscribe_and_confirm(self, pubsub: PubSub, rooms: Sequence[str]) -> None:
        loop = asyncio.get_running_loop()
        waiting = []
        for room in rooms:
            confirmed: asyncio.Future[None] = loop.create_future()
            self._confirmations[self._channel(room)].append(confirmed)
            waiting.append(confirmed)
        await pubsub.subscribe(*(self._channel(room) for room in rooms))
        done, pending = await asyncio.wait(waiting, timeout=SUBSCRIBE_TIMEOUT)
        for future in pending:
            future.cancel()
        if pending or any(future.exception() for future in done):
            raise BackendError("Redis did not confirm the subscription")

    async def _connect_pubsub(self) -> None:
        assert self._client is not None
        self._pubsub = self._client.pubsub()
        # A subscription to a channel of our own makes the connection, so that
        # the reader has something to read before any room is subscribed.
        await self._pubsub.subscribe(self._node_key(":events"))

    async def _read_loop(self) -> None:
        delay = RECONNECT_MIN
        lost_at: float | None = None
        while True:
            try:
                if self._pubsub is None:
                    await self._connect_pubsub()
                    assert lost_at is not None
                    await self._resume_while_reading(lost_at)
                    lost_at, delay = None, RECONNECT_MIN
                else:
                    await self._read_messages()
            except (RedisError, OSError, BackendError) as error:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.error("lost the Redis subscription: %s; delivery paused", error)
                await self._drop_pubsub()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)

    async def _resume_while_reading(self, lost_at: float) -> None:
        """Resubscribe (the reader must run to see the confirmations), then keep reading."""
        reader = asyncio.create_task(self._read_messages())
        reader.add_done_callback(lambda _: self._fail_confirmations())
        try:
            await self._resume(lost_at)
        except BaseException:
            reader.cancel()
            raise
        self._subscribed = True
        await reader

    def _fail_confirmations(self) -> None:
        waiting = [future for futures in self._confirmations.values() for future in futures]
        for future in [*waiting, *self._echoes.values()]:
            if not future.done():
                future.set_exception(BackendError("the Redis subscription was lost"))
        self._confirmations.clear()

    async def _drop_pubsub(self) -> None:
        self._subscribed = False
        self._fail_confirmations()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read_messages(self) -> None:
        assert self._pubsub is not None
        pubsub = self._pubsub
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is not None:
                self._on_pubsub(message)

    def _on_pubsub(self, message: dict[str, Any]) -> None:
        channel: bytes = message["channel"]
        if channel == self._node_key(":events").encode():
            self._on_own_channel(message)
            return
        if message["type"] == "subscribe":
            for future in self._confirmations.pop(channel, []):
                if not future.done():
                    future.set_result(None)
            return
        if message["type"] != "message":
            return
        feed = self._feeds.get(self._room_of_channel(channel))
        if feed is None:
            return
        events = self._decode(self._room_of_channel(channel), message["data"])
        if feed.catching_up:
            feed.held.extend(events)
        else:
            self._deliver(feed, events)

    def _on_own_channel(self, message: dict[str, Any]) -> None:
        """A health check's token came back: the subscription hears us."""
        data = message["data"]
        if message["type"] == "message" and data[:1] == b"h":
            heard = self._echoes.get(data[1:])
            if heard is not None and not heard.done():
                heard.set_result(None)

    @staticmethod
    def _decode(room: str, data: bytes) -> list[Event]:
        kind, body = data[:1], data[1:]
        if kind == b"m":
            head, payload = body.split(b"\n", 1)
            first = int(head)
            rows = orjson.loads(payload)
            # [nick, text, ts] or [nick, text, ts, bot]; what follows is ignored,
            # so that a later field does not break a node that does not know it.
            return [
                StoredMessage(first + i, room, row[0], row[1], row[2], len(row) > 3 and bool(row[3]))
                for i, row in enumerate(rows)
            ]
        if kind == b"p":
            event, users, ts, nick = body.split(b"\n", 3)
            return [PresenceEvent(event.decode(), room, nick.decode(), int(users), int(ts))]
        return [TypingEvent(room, body.decode())]

    @staticmethod
    def _deliver(feed: _Feed, events: Sequence[Event]) -> None:
        ids = [e.id for e in events if isinstance(e, StoredMessage)]
        if ids:
            if ids[0] == 1 and feed.last_id > 1:
                log.warning("a room's ids started over at 1: Redis lost its data")
                feed.last_id = 0
                feed.sink([RoomReset(events[0].room)])
            feed.last_id = max(feed.last_id, ids[-1])
        feed.sink(events)

    async def _resume(self, lost_at: float) -> None:
        """Resubscribe every room and deliver what was stored while we were away."""
        assert self._pubsub is not None
        rooms = list(self._feeds)
        for room in rooms:
            self._feeds[room].catching_up = True
        try:
            if rooms:
                await self._subscribe_and_confirm(self._pubsub, rooms)
            caught_up = 0
            for room in rooms:
                caught_up += await self._catch_up(room)
        finally:
            for feed in self._feeds.values():
                feed.catching_up = False
        log.warning(
            "Redis subscription back after %.1fs: %d rooms resubscribed, %d missed messages delivered",
            time.monotonic() - lost_at,
            len(rooms),
            caught_up,
        )

    async def _catch_up(self, room: str) -> int:
        feed = self._feeds.get(room)
        if feed is None:
            return 0
        epoch, _last = await self._position(room)
        if epoch != feed.epoch:
            log.warning("room %r has a new epoch: Redis lost its data; ids start over", room)
            feed.epoch, feed.last_id = epoch, 0
            feed.sink([RoomReset(room)])
        missed: list[StoredMessage] = []
        cursor = feed.last_id
        while True:
            page = await self.history(room, after=cursor, limit=CATCH_UP_PAGE, newest=False)
            missed.extend(page)
            if len(page) < CATCH_UP_PAGE:
                break
            cursor = page[-1].id
        if room not in self._feeds:
            return 0
        held, feed.held = feed.held, []
        last = missed[-1].id if missed else feed.last_id
        fresh = [e for e in held if not isinstance(e, StoredMessage) or e.id > last]
        if missed:
            self._deliver(feed, missed)
        if fresh:
            self._deliver(feed, fresh)
        return len(missed)

    # --- look-alike room names -----------------------------------------------

    async def claim_room(self, room: str) -> str | None:
        """Hold ``room``'s look-alike key on every node; the other room holding it, if any."""
        keys = [self.prefix + "room-claims"]
        # Both scripts are safe to run twice (a retry after a lost reply).
        holder: bytes = await self._call(lambda: self._scripts["claim_room"](keys, [room_key(room), room]))
        return None if holder.decode() == room else holder.decode()

    async def _drop_unused_claim(self, room: str) -> None:
        keys = [self.prefix + "room-claims", self.prefix + "room-names", self._room_key(room, ":members")]
        await self._scripts["drop_room_claim"](keys, [room_key(room), room])
