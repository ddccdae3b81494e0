"""Web Push from the real server to a push service of the test's own, which checks the VAPID token and
decrypts each push: direct messages and mentions reach people who are away, once, and nobody else."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from chatroom.events import FileInfo, StoredMessage
from chatroom.push import MAX_TEXT, notification_text
from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import CLOSED, DIRECT, OPEN

from .clients import NOTICES, next_of, welcomed
from .push_receiver import PushReceiver
from .redis_server import RedisServer
from .support import (
    NO_PROXY,
    ServerProcess,
    call_api,
    in_store,
    make_account,
    signed_token,
    unique,
    wait_until,
)

JWT_SECRET = "push-test-secret-" + "0123456789abcdef" * 3
NAMES = ("ann", "bob", "cid", "dee")


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    made = PushReceiver()
    yield made
    made.close()


class Site:
    """A server with tokens and Web Push to 127.0.0.1; ann, bob, cid and dee; rooms made in the store."""

    def __init__(self, servers: list[ServerProcess], database: str, receiver: PushReceiver) -> None:
        self.servers = servers
        self.database = database
        self.receiver = receiver
        self.ids = {name: make_account(database, name) for name in NAMES}
        for server in servers:
            server.start()
        status, answer = call_api(servers[0], "GET", "/api/push/key", None, self.auth("ann"))
        assert status == 200, answer
        receiver.server_key = answer["key"]

    @property
    def server(self) -> ServerProcess:
        return self.servers[0]

    def auth(self, name: str) -> str:
        return f"Bearer {signed_token(name, JWT_SECRET)}"

    def subscribe(self, name: str, device: str | None = None) -> str:
        """A new device of ``name``'s, subscribed: its name at the receiver."""
        device = device or unique(name)
        body = self.receiver.device(device).subscription()
        status, answer = call_api(self.server, "POST", "/api/push/subscriptions", body, self.auth(name))
        assert status == 201, answer
        return device

    def room(self, kind: str, *names: str) -> str:
        """A room of ``kind`` with those members."""
        room = unique(kind)
        members = [self.ids[name] for name in names]

        async def create(accounts: AccountStore) -> None:
            await accounts.create_room(room, kind, members=members)

        in_store(self.database, create)
        return room

    def connect(self, name: str, room: str, server: ServerProcess | None = None) -> ClientConnection:
        """``name`` with the room open (a page), on ``server`` (the first by default)."""
        ws, _, _ = welcomed(server or self.server, room=room, token=signed_token(name, JWT_SECRET))
        return ws

    def say(self, name: str, room: str, text: str, server: ServerProcess | None = None) -> dict[str, Any]:
        """``name`` opens the room, says ``text``, reads it back and leaves: the stored frame."""
        with self.connect(name, room, server) as ws:
            ws.send(json.dumps({"type": "message", "message": text}))
            # Unread counts may change meanwhile (another node's message): a notice, not the answer.
            return next_of(ws, "user", skip=NOTICES)

    def upload(self, name: str, room: str, file_name: str, caption: str = "") -> dict[str, Any]:
        """``name`` uploads a small file to the room, with a caption or none: the answer."""
        query = urllib.parse.urlencode({"name": file_name, **({"text": caption} if caption else {})})
        request = urllib.request.Request(
            f"{self.server.url}/api/rooms/{room}/files?{query}",
            data=b"the numbers\n",
            method="POST",
            headers={"Authorization": self.auth(name)},
        )
        with NO_PROXY.open(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer


@pytest.fixture
def site(tmp_path: Path, receiver: PushReceiver) -> Iterator[Site]:
    database = str(tmp_path / "chat.db")
    server = ServerProcess(database, "--jwt-secret", JWT_SECRET, "--push-allow-private", guests=False)
    made = Site([server], database, receiver)
    yield made
    server.stop()


def metrics(server: ServerProcess) -> str:
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        return str(response.read().decode())


def settle() -> None:
    """Time for a push that should not happen to have happened."""
    time.sleep(0.7)


def test_a_direct_message_reaches_the_away_members_devices_decrypted(site: Site) -> None:
    """Ann writes to bob and cid while they are away: each of their devices gets one push, signed with
    the server's VAPID key, with the room, id, sender, text and the room's address; ann gets none."""
    receiver = site.receiver
    bob_phone, bob_laptop, cid_phone = site.subscribe("bob"), site.subscribe("bob"), site.subscribe("cid")
    ann_phone = site.subscribe("ann")
    room = site.room(DIRECT, "ann", "bob", "cid")
    stored = site.say("ann", room, "lunch at noon?")
    wait_until(lambda: len(receiver.pushes) >= 3)
    settle()
    assert receiver.refused == []
    assert sorted(push.device for push in receiver.pushes) == sorted([bob_phone, bob_laptop, cid_phone])
    assert receiver.pushes_to(ann_phone) == []
    expected = {
        "room": room,
        "title": room,
        "id": stored["id"],
        "nick": "ann",
        "text": "lunch at noon?",
        "reason": "direct",
        "url": f"/?room={room}",
    }
    for push in receiver.pushes:
        assert push.payload == expected
        assert push.claims["aud"] == receiver.origin
        assert push.headers["urgency"] == "high" and push.headers["ttl"] == "3600"
    assert 'chatroom_pushes_total{result="sent"} 3.0' in metrics(site.server)


def test_a_mention_reaches_the_mentioned_person_who_may_read_the_room(site: Site) -> None:
    """@Bob in an open room pushes to bob (any case); cid, not mentioned, gets nothing; in a closed room
    dee, mentioned but not a member, gets nothing of it."""
    receiver = site.receiver
    bob, cid, dee = site.subscribe("bob"), site.subscribe("cid"), site.subscribe("dee")
    closed = site.room(CLOSED, "ann", "bob")
    site.say("ann", closed, "secret plans, @dee")
    open_room = site.room(OPEN)
    stored = site.say("ann", open_room, "hello @Bob, and you, @nobody-here.")
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    assert [push.device for push in receiver.pushes] == [bob]
    assert receiver.pushes[0].payload["reason"] == "mention"
    assert receiver.pushes[0].payload["id"] == stored["id"]
    assert receiver.pushes_to(cid) == [] and receiver.pushes_to(dee) == []


def test_a_person_with_a_page_open_anywhere_is_not_pushed_until_they_leave(site: Site) -> None:
    """Bob has the lobby open: ann's direct message pushes nothing; once he closes it, the next does."""
    receiver = site.receiver
    bob = site.subscribe("bob")
    room = site.room(DIRECT, "ann", "bob")
    with site.connect("bob", "lobby"):
        site.say("ann", room, "are you there?")
        settle()
        assert receiver.pushes == []
    time.sleep(0.3)  # his leave reaches the bus
    stored = site.say("ann", room, "now you are away")
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    assert [(push.device, push.payload["id"]) for push in receiver.pushes] == [(bob, stored["id"])]


def test_the_persons_switch_turns_pushes_off_on_every_device_and_on_again(site: Site) -> None:
    """PUT /api/push/settings enabled false: no push to any of bob's devices; true: pushes again."""
    receiver = site.receiver
    site.subscribe("bob")
    site.subscribe("bob")
    room = site.room(DIRECT, "ann", "bob")
    status, answer = call_api(site.server, "PUT", "/api/push/settings", {"enabled": False}, site.auth("bob"))
    assert (status, answer) == (200, {"enabled": False, "devices": 2})
    site.say("ann", room, "quiet please")
    settle()
    assert receiver.pushes == []
    call_api(site.server, "PUT", "/api/push/settings", {"enabled": True}, site.auth("bob"))
    site.say("ann", room, "loud again")
    wait_until(lambda: len(receiver.pushes) >= 2)
    assert {push.payload["text"] for push in receiver.pushes} == {"loud again"}


def test_paused_notifications_push_nothing_until_resumed(site: Site) -> None:
    """Bob pauses his notifications for an hour (PUT /api/me/dnd): ann's direct message and her mention of
    him push nothing to his devices, and cid, not paused, is still pushed; resumed (DELETE), the next one
    is."""
    receiver = site.receiver
    bob, cid = site.subscribe("bob"), site.subscribe("cid")
    room = site.room(DIRECT, "ann", "bob")
    until = int(time.time() * 1000) + 3_600_000
    status, answer = call_api(site.server, "PUT", "/api/me/dnd", {"until": until}, site.auth("bob"))
    assert (status, answer) == (200, {"until": until})
    site.say("ann", room, "quiet hours?")
    mention = site.say("ann", site.room(OPEN), "@bob and @cid, look")
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    assert [(push.device, push.payload["id"]) for push in receiver.pushes] == [(cid, mention["id"])]
    assert call_api(site.server, "DELETE", "/api/me/dnd", None, site.auth("bob"))[0] == 204
    again = site.say("ann", room, "awake now?")
    wait_until(lambda: len(receiver.pushes) >= 2)
    assert (receiver.pushes[-1].device, receiver.pushes[-1].payload["id"]) == (bob, again["id"])


def test_a_rooms_level_says_what_it_pushes_muted_nothing_mentions_only_mentions(site: Site) -> None:
    """Bob mutes the direct room: ann's message there pushes nothing; "mentions" in an open room: only
    the message that mentions him pushes; "all" again: the direct one does."""
    receiver = site.receiver
    bob = site.subscribe("bob")
    direct, open_room = site.room(DIRECT, "ann", "bob"), site.room(OPEN, "ann", "bob")

    def level(room: str, chosen: str) -> None:
        path = f"/api/rooms/{room}/notify"
        assert call_api(site.server, "PUT", path, {"level": chosen}, site.auth("bob"))[0] == 200

    level(direct, "muted")
    level(open_room, "mentions")
    site.say("ann", direct, "psst")
    site.say("ann", open_room, "plain news")
    mention = site.say("ann", open_room, "@bob, look")
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    assert [(push.device, push.payload["id"]) for push in receiver.pushes] == [(bob, mention["id"])]
    level(direct, "all")
    again = site.say("ann", direct, "psst again")
    wait_until(lambda: len(receiver.pushes) >= 2)
    assert receiver.pushes[-1].payload["id"] == again["id"]


def test_a_long_message_is_cut_and_the_push_stays_small(site: Site) -> None:
    """A 4000-character message: the payload's text is its first 199 characters and an ellipsis."""
    receiver = site.receiver
    site.subscribe("bob")
    room = site.room(DIRECT, "ann", "bob")
    site.say("ann", room, "é" * 4000)
    wait_until(lambda: len(receiver.pushes) >= 1)
    assert receiver.pushes[0].payload["text"] == "é" * 199 + "…"
    assert int(receiver.pushes[0].headers["content-length"]) < 3072


def test_a_file_is_named_alone_or_after_its_caption(site: Site) -> None:
    """A file without a caption is pushed as "📎 name"; with one, the caption and then the file's name."""
    receiver = site.receiver
    site.subscribe("bob")
    room = site.room(DIRECT, "ann", "bob")
    alone = site.upload("ann", room, "report.txt")
    wait_until(lambda: len(receiver.pushes) >= 1)
    captioned = site.upload("ann", room, "Zoë's list.txt", "for Saturday")
    wait_until(lambda: len(receiver.pushes) >= 2)
    assert [(push.payload["id"], push.payload["text"]) for push in receiver.pushes] == [
        (alone["id"], "📎 report.txt"),
        (captioned["id"], "for Saturday\n📎 Zoë's list.txt"),
    ]


def test_a_long_caption_is_cut_so_that_the_file_stays_named() -> None:
    """A 4000-character caption and a 300-character name: 200 characters, both cut, the name kept."""
    file = FileInfo("f" * 22, "n" * 300 + ".txt", 12, "text/plain; charset=utf-8")
    text = notification_text(StoredMessage(1, "dm", "ann", "é" * 4000, 0, file=file))
    caption, mention = text.split("\n")
    assert len(text) == MAX_TEXT and caption.endswith("é…") and mention == "📎 " + "n" * 79 + "…"


def test_a_notification_says_a_formatted_message_as_read() -> None:
    """Marks, links and paragraphs: the notification shows the words on one line, the file after them."""
    text = "**Deploy** at [noon](https://example.com/plan)\n\n- db first\n- then web"
    assert notification_text(StoredMessage(1, "dm", "ann", text, 0)) == "Deploy at noon db first then web"
    file = FileInfo("f" * 22, "plan.pdf", 12, "application/pdf")
    captioned = notification_text(StoredMessage(2, "dm", "ann", "*the* plan", 0, file=file))
    assert captioned == "the plan\n📎 plan.pdf"


def test_a_device_the_push_service_has_forgotten_is_deleted(site: Site) -> None:
    """The push service answers 410 for bob's old phone: the subscription is gone, his other device stays."""
    receiver = site.receiver
    old = site.subscribe("bob")
    site.subscribe("bob")
    receiver.status_of[old] = 410
    room = site.room(DIRECT, "ann", "bob")
    site.say("ann", room, "ping")
    wait_until(lambda: len(receiver.pushes) >= 2)

    def devices() -> int:
        return int(call_api(site.server, "GET", "/api/push/settings", None, site.auth("bob"))[1]["devices"])

    wait_until(lambda: devices() == 1)
    assert 'chatroom_pushes_total{result="gone"} 1.0' in metrics(site.server)
    site.say("ann", room, "ping again")
    wait_until(lambda: len(receiver.pushes) >= 3)
    settle()
    assert len(receiver.pushes_to(old)) == 1


def test_a_failing_push_service_is_logged_without_the_endpoint_and_counted(site: Site) -> None:
    """A 500 from the push service: counted as failed, logged with its host only; the subscription stays."""
    receiver = site.receiver
    phone = site.subscribe("bob")
    receiver.status_of[phone] = 500
    room = site.room(DIRECT, "ann", "bob")
    site.say("ann", room, "hello")
    wait_until(lambda: 'chatroom_pushes_total{result="failed"} 1.0' in metrics(site.server))
    log = site.server.log()
    assert "at http://127.0.0.1 failed: 500" in log
    assert f"/push/{phone}" not in log
    _status, answer = call_api(site.server, "GET", "/api/push/settings", None, site.auth("bob"))
    assert answer["devices"] == 1


def test_with_two_nodes_each_message_is_pushed_once_and_presence_counts_everywhere(
    tmp_path: Path, receiver: PushReceiver
) -> None:
    """Two nodes on one database and one Redis: ann's messages on either node reach bob's device once
    each; while bob has a page open on the other node, nothing is pushed."""
    redis = RedisServer(tmp_path).start()
    database = str(tmp_path / "chat.db")
    flags = ("--jwt-secret", JWT_SECRET, "--push-allow-private", "--redis-url", redis.url)
    servers = [ServerProcess(database, *flags, guests=False) for _ in range(2)]
    try:
        site = Site(servers, database, receiver)
        left, right = servers
        _status, key = call_api(right, "GET", "/api/push/key", None, site.auth("bob"))
        assert key["key"] == receiver.server_key  # one key for the deployment
        bob = site.subscribe("bob")
        room = site.room(DIRECT, "ann", "bob")
        with site.connect("bob", "lobby", right):
            site.say("ann", room, "bob is on the right node", left)
            settle()
            assert receiver.pushes == []
        time.sleep(0.3)
        ids = [site.say("ann", room, f"message {i}", (left, right)[i % 2])["id"] for i in range(4)]
        wait_until(lambda: len(receiver.pushes) >= 4)
        settle()
        assert sorted(push.payload["id"] for push in receiver.pushes) == ids
        assert {push.device for push in receiver.pushes} == {bob}
        assert receiver.refused == []
    finally:
        for server in servers:
            server.stop()
        redis.stop()
