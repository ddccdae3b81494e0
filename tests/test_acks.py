"""Acks owed are written before a server-initiated close, and a resend is stored once.

Through real sockets against ``python -m chatroom`` subprocesses: a client
that lost an ack can resend the same ``ref`` and text, on any connection and
any node, and the room still sees the message once.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clients import join, next_leave, next_of, user_frames
from tests.raw_ws import RawMember, text_frame
from tests.redis_server import RedisServer
from tests.support import Bot, ServerProcess, make_bot, unique


def message(text: str, ref: str) -> bytes:
    """A chat message with a ref, as one raw text frame."""
    return text_frame(json.dumps({"type": "message", "message": text, "ref": ref}))


def acks(frames: list[dict[str, Any]]) -> dict[str, int]:
    return {f["ref"]: f["id"] for f in frames if f["type"] == "ack"}


# --- the server closes: acks first ---------------------------------------


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    """A bot on the database of ``roomy_server``."""
    return make_bot(tmp_path_factory.mktemp("acks") / "chat.db")


@pytest.fixture(scope="module")
def roomy_server(bot: Bot) -> Iterator[ServerProcess]:
    """A server whose rate limit lets a burst of 50 messages through, with a bot."""
    with ServerProcess(bot.database, "--rate", "100", "--burst", "50") as running:
        yield running


def test_a_burst_closed_1008_gets_every_accepted_message_acked_first(roomy_server: ServerProcess) -> None:
    """20 messages then 21 bad frames in one write: 20 acks, 21 bad_json, then 1008."""
    room = unique("burst")
    with (
        join(roomy_server, room, "watcher") as watcher,
        RawMember(roomy_server.port, room, "burster", timeout=20) as burster,
    ):
        burster.join()
        burst = b"".join(message(f"burst {n}", str(n)) for n in range(20))
        burster.send(burst + text_frame("{not json") * 21)
        frames, code = burster.until_close()
        assert code == 1008
        seen = user_frames(watcher, 20)
        assert [f["message"] for f in seen] == [f"burst {n}" for n in range(20)]
        assert acks(frames) == {str(n): seen[n]["id"] for n in range(20)}
        assert [f["code"] for f in frames if f["type"] == "error"] == ["bad_json"] * 21
        # The room carries on, without any of the refused frames.
        with join(roomy_server, room, "other") as other:
            other.send(json.dumps({"type": "message", "message": "after"}))
            assert next_of(watcher, "user")["message"] == "after"


def test_a_resend_on_a_new_connection_is_acked_with_the_first_id(roomy_server: ServerProcess) -> None:
    """A page that lost its ack resends the same ref and text: same id, and the room sees it once."""
    room = unique("resend")
    with join(roomy_server, room, "watcher") as watcher:
        with join(roomy_server, room, "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "only once", "ref": "1"}))
            first = next_of(ann, "ack", skip=("sys", "typing", "user"))["id"]
        assert (next_of(watcher, "user")["id"], next_leave(watcher)) == (first, "ann")
        with join(roomy_server, room, "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "only once", "ref": "1"}))
            assert next_of(ann, "ack", skip=("sys", "typing", "user"))["id"] == first
            # The same ref with another text is another message.
            ann.send(json.dumps({"type": "message", "message": "another", "ref": "1"}))
            assert next_of(ann, "ack", skip=("sys", "typing", "user"))["id"] == first + 1
        # The resend reached nobody: the next message the watcher sees is the new one.
        news = next_of(watcher, "user")
        assert (news["id"], news["message"]) == (first + 1, "another")


def test_the_api_stores_a_resent_ref_once(roomy_server: ServerProcess, bot: Bot) -> None:
    """POST by one bot with the same ref and text twice: one message, the same frame back."""
    room = unique("api")
    bot.join(room)
    with join(roomy_server, room, "watcher") as watcher:
        status, first = bot.post(roomy_server, room, "deploy done", ref="d-1")
        again_status, again = bot.post(roomy_server, room, "deploy done", ref="d-1")
        assert (status, again_status) == (201, 201)
        assert again == first
        assert bot.post(roomy_server, room, "next")[0] == 201
        assert [next_of(watcher, "user")["message"] for _ in range(2)] == ["deploy done", "next"]


# --- stopping with messages in the store's hands --------------------------


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_sigterm_with_messages_in_flight_acks_them_then_closes_1001(redis_server: RedisServer) -> None:
    """Messages Redis is still storing when the stop comes are acked before 1001."""
    with (
        ServerProcess(":memory:", "--redis-url", redis_server.url, "--burst", "50") as server,
        RawMember(server.port, "lobby", "ann", timeout=20) as ann,
    ):
        ann.join()
        admin = redis_server.client()
        # Redis holds every write for a moment: the messages are in flight.
        admin.execute_command("CLIENT", "PAUSE", "700", "WRITE")
        ann.send(b"".join(message(f"m{n}", str(n)) for n in range(10)))
        time.sleep(0.2)
        server.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        frames, code = ann.until_close()
        assert server.stop() == 0
        assert code == 1001
        assert sorted(acks(frames).values()) == list(range(1, 11))
        with contextlib.closing(sqlite3.connect(server.db)) as db:
            assert db.execute("SELECT last_id FROM rooms WHERE room = 'lobby'").fetchone() == (10,)


def test_a_resend_to_the_other_node_is_stored_once(redis_server: RedisServer) -> None:
    """Two processes on one Redis: the ack lost on one node, the resend on the other gets the first id."""
    with (
        ServerProcess(":memory:", "--redis-url", redis_server.url) as one,
        ServerProcess(":memory:", "--redis-url", redis_server.url) as two,
        join(two, "lobby", "watcher") as watcher,
    ):
        with join(one, "lobby", "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "hello", "ref": "1"}))
            first = next_of(ann, "ack", skip=("sys", "typing", "user"))["id"]
        assert (next_of(watcher, "user")["id"], next_leave(watcher)) == (first, "ann")
        with join(two, "lobby", "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "hello", "ref": "1"}))
            assert next_of(ann, "ack", skip=("sys", "typing", "user"))["id"] == first
            ann.send(json.dumps({"type": "message", "message": "then this", "ref": "2"}))
        # The resend reached nobody: the next message the watcher sees is the new one.
        news = next_of(watcher, "user")
        assert (news["id"], news["message"]) == (first + 1, "then this")
