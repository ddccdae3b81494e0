"""Web Push for a mention of the whole room (``@room``, ``@all``...): every away member who may read the
room is pushed once, on any node, except its sender, those who muted it, paused or blocked the sender."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatroom.store.records import CLOSED, DIRECT

from .push_receiver import PushReceiver
from .redis_server import RedisServer
from .support import ServerProcess, call_api, wait_until
from .test_push import JWT_SECRET, Site, receiver, settle, site

__all__ = ["receiver", "site"]


def test_a_mention_of_the_room_reaches_each_away_member_but_the_sender(site: Site) -> None:
    """Ann's "@all" in a closed room of ann, bob and cid pushes to bob and cid (reason "mention"), not to
    ann herself, nor to dee, who is not a member."""
    receiver = site.receiver
    ann, bob, cid, dee = (site.subscribe(name) for name in ("ann", "bob", "cid", "dee"))
    room = site.room(CLOSED, "ann", "bob", "cid")
    stored = site.say("ann", room, "@all the plans are ready")
    wait_until(lambda: len(receiver.pushes) >= 2)
    settle()
    assert sorted(push.device for push in receiver.pushes) == sorted([bob, cid])
    reasons = {(push.payload["reason"], push.payload["id"]) for push in receiver.pushes}
    assert reasons == {("mention", stored["id"])}
    assert receiver.pushes_to(ann) == [] and receiver.pushes_to(dee) == []


def test_an_address_is_no_mention_of_the_room(site: Site) -> None:
    """ "write to x@all.com" in a closed room pushes nothing to its members."""
    receiver = site.receiver
    site.subscribe("bob")
    site.say("ann", site.room(CLOSED, "ann", "bob"), "write to x@all.com")
    settle()
    assert receiver.pushes == []


def test_muted_paused_and_blocking_members_are_not_pushed(site: Site) -> None:
    """Bob muted the room, cid paused his notifications and dee blocked ann: ann's "@room" pushes nothing;
    with the room at "mentions only", bob is pushed."""
    receiver = site.receiver
    bob, _cid, _dee = site.subscribe("bob"), site.subscribe("cid"), site.subscribe("dee")
    room = site.room(CLOSED, "ann", "bob", "cid", "dee")
    muted = {"level": "muted"}
    assert call_api(site.server, "PUT", f"/api/rooms/{room}/notify", muted, site.auth("bob"))[0] == 200
    until = int(time.time() * 1000) + 3_600_000
    assert call_api(site.server, "PUT", "/api/me/dnd", {"until": until}, site.auth("cid"))[0] == 200
    assert call_api(site.server, "PUT", "/api/me/blocks/ann", None, site.auth("dee"))[0] == 200
    site.say("ann", room, "@room news")
    settle()
    assert receiver.pushes == []
    body = {"level": "mentions"}
    assert call_api(site.server, "PUT", f"/api/rooms/{room}/notify", body, site.auth("bob"))[0] == 200
    again = site.say("ann", room, "@room more news")
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    assert [(push.device, push.payload["id"]) for push in receiver.pushes] == [(bob, again["id"])]


def test_in_a_direct_room_it_is_the_other_person(site: Site) -> None:
    """ "@everyone" in ann's direct room with bob pushes to bob once (as a direct message)."""
    receiver = site.receiver
    bob = site.subscribe("bob")
    site.say("ann", site.room(DIRECT, "ann", "bob"), "@everyone hi")
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    assert [(push.device, push.payload["reason"]) for push in receiver.pushes] == [(bob, "direct")]


@pytest.fixture
def pg_site(
    tmp_path: Path, receiver: PushReceiver, request: pytest.FixtureRequest
) -> Iterator[tuple[Site, ServerProcess, ServerProcess]]:
    """Two nodes on one PostgreSQL schema and one Redis, with Web Push."""
    redis = RedisServer(tmp_path).start()
    database = request.getfixturevalue("postgres_server").lend_schema(request)
    flags = ("--jwt-secret", JWT_SECRET, "--push-allow-private", "--redis-url", redis.url)
    servers = [ServerProcess(database, *flags, guests=False) for _ in range(2)]
    try:
        yield Site(servers, database, receiver), servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        redis.stop()


def test_with_two_nodes_a_mention_of_the_room_is_pushed_once_to_whoever_is_away(
    pg_site: tuple[Site, ServerProcess, ServerProcess],
) -> None:
    """On PostgreSQL and Redis: ann's "@channel" on the left node reaches bob's device once; cid, who has a
    page open on the right node, is not pushed; then, cid gone, ann's "@all" on the right reaches both."""
    site, left, right = pg_site
    receiver = site.receiver
    bob, cid = site.subscribe("bob"), site.subscribe("cid")
    room = site.room(CLOSED, "ann", "bob", "cid")
    with site.connect("cid", "lobby", right):
        first = site.say("ann", room, "@channel standup", left)
        wait_until(lambda: len(receiver.pushes) >= 1)
        settle()
        assert [(push.device, push.payload["id"]) for push in receiver.pushes] == [(bob, first["id"])]
    time.sleep(0.3)
    second = site.say("ann", room, "@all lunch", right)
    wait_until(lambda: len(receiver.pushes) >= 3)
    settle()
    assert sorted((push.device, push.payload["id"]) for push in receiver.pushes[1:]) == sorted(
        [(bob, second["id"]), (cid, second["id"])]
    )
    assert receiver.refused == []
