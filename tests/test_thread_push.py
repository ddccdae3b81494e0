"""Web Push for replies in followed threads, from the real server to the test's push service: the thread's
followers who are away are pushed, once, with the thread's address; never the author, nobody who
unfollowed it, blocked its author, paused notifications or muted the room."""

from __future__ import annotations

import json
import time
from typing import Any

from chatroom.store.records import OPEN

from .clients import NOTICES, next_of
from .support import call_api, wait_until
from .test_push import Site, receiver, settle, site

__all__ = ["receiver", "site"]


def reply(site: Site, name: str, room: str, root: int, text: str) -> dict[str, Any]:
    """``name`` opens the room, replies ``text`` in the thread of ``root`` and leaves: the stored frame."""
    with site.connect(name, room) as ws:
        ws.send(json.dumps({"type": "message", "message": text, "thread": root}))
        return next_of(ws, "user", skip=NOTICES)


def test_a_reply_pushes_the_threads_followers_who_are_away(site: Site) -> None:
    """bob's reply pushes ann (the root's author) with the thread's address, not bob; cid's reply then
    pushes ann and bob (who follows by replying), not cid; dee, who follows nothing, gets nothing."""
    receiver = site.receiver
    ann, bob, cid, dee = (site.subscribe(name) for name in ("ann", "bob", "cid", "dee"))
    room = site.room(OPEN)
    root = site.say("ann", room, "lunch on friday?")
    first = reply(site, "bob", room, root["id"], "count me in")
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    assert [push.device for push in receiver.pushes] == [ann]
    payload = receiver.pushes[0].payload
    assert (payload["reason"], payload["id"], payload["text"]) == ("thread", first["id"], "count me in")
    assert payload["url"] == f"/?room={room}#t-{root['id']}-{first['id']}"
    second = reply(site, "cid", room, root["id"], "me too")
    wait_until(lambda: len(receiver.pushes) >= 3)
    settle()
    assert sorted(push.device for push in receiver.pushes[1:]) == sorted([ann, bob])
    assert {push.payload["id"] for push in receiver.pushes[1:]} == {second["id"]}
    assert receiver.pushes_to(cid) == [] and receiver.pushes_to(dee) == []


def test_unfollowing_blocking_pausing_and_muting_each_stop_the_pushes(site: Site) -> None:
    """ann unfollows: bob's reply pushes her nothing. bob, blocked by cid, replies: cid (who follows)
    gets nothing. cid pauses, then mutes the room: nothing. Only dee is pushed: mentioned, then as one
    who follows the thread since."""
    receiver = site.receiver
    ann, bob, cid, dee = (site.subscribe(name) for name in ("ann", "bob", "cid", "dee"))
    room = site.room(OPEN)
    root = site.say("ann", room, "plans?")["id"]
    reply(site, "cid", room, root, "following now")
    wait_until(lambda: len(receiver.pushes) >= 1)
    assert (
        call_api(site.server, "DELETE", f"/api/me/threads/{room}/{root}/follow", None, site.auth("ann"))[0]
        == 200
    )
    assert call_api(site.server, "PUT", "/api/me/blocks/bob", None, site.auth("cid"))[0] in (200, 201)
    reply(site, "bob", room, root, "hello @dee")
    wait_until(lambda: len(receiver.pushes) >= 2)
    settle()
    assert [(push.device, push.payload["reason"]) for push in receiver.pushes[1:]] == [(dee, "mention")]
    assert call_api(site.server, "DELETE", "/api/me/blocks/bob", None, site.auth("cid"))[0] in (200, 204)
    until = int(time.time() * 1000) + 3_600_000
    assert call_api(site.server, "PUT", "/api/me/dnd", {"until": until}, site.auth("cid"))[0] == 200
    reply(site, "bob", room, root, "still there?")
    settle()
    assert call_api(site.server, "DELETE", "/api/me/dnd", None, site.auth("cid"))[0] == 204
    notify = {"level": "muted"}
    assert call_api(site.server, "PUT", f"/api/rooms/{room}/notify", notify, site.auth("cid"))[0] == 200
    reply(site, "bob", room, root, "anyone?")
    settle()
    reasons = [(push.device, push.payload["reason"]) for push in receiver.pushes[1:]]
    assert reasons == [(dee, "mention"), (dee, "thread"), (dee, "thread")]
    assert receiver.pushes_to(ann) == [receiver.pushes[0]] and receiver.pushes_to(cid) == []
    assert receiver.pushes_to(bob) == []
