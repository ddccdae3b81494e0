"""Reminders falling due in real server processes: on two nodes over Redis and PostgreSQL the person's
page on the other node is told once; a person away is pushed to their devices (reason "reminder"), not
while their notifications are paused, and the list keeps it due either way."""

from __future__ import annotations

import time
from typing import Any

import pytest

from chatroom.store.records import CLOSED, OPEN

from .clients import ANY_TYPE, NOTICES, next_of
from .support import ServerProcess, call_api, wait_until
from .test_push import Site, receiver, settle, site
from .test_push_room import pg_site

__all__ = ["pg_site", "receiver", "site"]

# Seconds ahead a reminder is set: past the API's "in the future", then a look or two of the clock.
AHEAD = 2


def remind(
    site: Site, name: str, room: str, message_id: int, server: ServerProcess | None = None, at: int = 0
) -> Any:
    """``name`` asks to be reminded of the message at ``at`` (s), by default in AHEAD seconds: the entry."""
    body = {"room": room, "id": message_id, "at": at or int(time.time()) + AHEAD}
    status, answer = call_api(server or site.server, "POST", "/api/me/reminders", body, site.auth(name))
    assert status == 201, answer
    return answer


def listed(site: Site, name: str, server: ServerProcess | None = None) -> list[Any]:
    status, answer = call_api(server or site.server, "GET", "/api/me/reminders", None, site.auth(name))
    assert status == 200, answer
    return list(answer["reminders"])


def test_a_person_away_is_pushed_once_with_the_message(site: Site) -> None:
    """bob, no page open, set a reminder of ann's message: at its time his device gets one push (reason
    "reminder", the message's room, id and text); ann's gets none; his list shows it due."""
    receiver = site.receiver
    bob, ann = site.subscribe("bob"), site.subscribe("ann")
    room = site.room(CLOSED, "ann", "bob")
    stored = site.say("ann", room, "renew the certificate")
    row = remind(site, "bob", room, stored["id"])
    wait_until(lambda: len(receiver.pushes) >= 1)
    settle()
    (push,) = receiver.pushes
    assert push.device == bob and receiver.pushes_to(ann) == []
    assert {k: push.payload[k] for k in ("reason", "room", "id", "nick", "text")} == {
        "reason": "reminder",
        "room": room,
        "id": stored["id"],
        "nick": "ann",
        "text": "renew the certificate",
    }
    assert [(e["id"], e["due"]) for e in listed(site, "bob")] == [(row["id"], True)]


def test_a_slow_push_service_holds_back_no_other_reminder(site: Site) -> None:
    """bob's push service takes 6 s to answer: cid's reminder, due at the same time and set after bob's,
    reaches cid's device without waiting for it; bob's push arrives all the same."""
    receiver = site.receiver
    bob, cid = site.subscribe("bob"), site.subscribe("cid")
    receiver.held_for[bob] = 6
    room = site.room(CLOSED, "ann", "bob", "cid")
    stored = site.say("ann", room, "the release is today")
    at = int(time.time()) + AHEAD
    remind(site, "bob", room, stored["id"], at=at)
    remind(site, "cid", room, stored["id"], at=at)
    wait_until(lambda: len(receiver.pushes_to(cid)) == 1)
    assert receiver.pushes_to(bob) == []
    wait_until(lambda: len(receiver.pushes_to(bob)) == 1)


def test_paused_notifications_hold_the_push_and_the_list_keeps_it(site: Site) -> None:
    """cid paused his notifications: no push at its time, and the list shows it due for his next page."""
    receiver = site.receiver
    site.subscribe("cid")
    until = int(time.time() * 1000) + 3_600_000
    assert call_api(site.server, "PUT", "/api/me/dnd", {"until": until}, site.auth("cid"))[0] == 200
    room = site.room(OPEN, "ann", "cid")
    stored = site.say("ann", room, "quarterly numbers")
    row = remind(site, "cid", room, stored["id"])
    wait_until(lambda: any(e["due"] for e in listed(site, "cid")))
    settle()
    assert receiver.pushes == []
    assert [e["id"] for e in listed(site, "cid")] == [row["id"]]


@pytest.mark.timeout(90)
def test_with_two_nodes_the_page_on_the_other_node_is_told_once_and_nobody_is_pushed(
    pg_site: tuple[Site, ServerProcess, ServerProcess],
) -> None:
    """On PostgreSQL and Redis: bob, his page open on the right node, sets a reminder through the left:
    the page is told it waits, then one "due" frame, nothing more over the next looks of both nodes, and
    no push (he has a page open)."""
    site, left, right = pg_site
    receiver = site.receiver
    site.subscribe("bob")
    room = site.room(CLOSED, "ann", "bob")
    stored = site.say("ann", room, "standup moved", left)
    with site.connect("bob", room, right) as page:
        row = remind(site, "bob", room, stored["id"], left)
        waiting = {"type": "reminder", "id": row["id"], "state": "waiting"}
        assert next_of(page, "reminder", skip=(*NOTICES, "user")) == waiting
        assert next_of(page, "reminder", skip=(*NOTICES, "user")) == {**waiting, "state": "due"}
        time.sleep(5)  # two looks of each node
        with pytest.raises(TimeoutError):
            next_of(page, "reminder", timeout=0.5, skip=ANY_TYPE)
        assert receiver.pushes == []
        assert [(e["id"], e["due"]) for e in listed(site, "bob", right)] == [(row["id"], True)]
