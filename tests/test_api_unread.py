"""PUT /api/rooms/{room}/read and /notify, and the rooms list's counts: every rule and refusal."""

from __future__ import annotations

import orjson
from tornado.testing import gen_test

from chatroom.store.reading_base import UNREAD_CAP
from tests.rooms_case import RoomsCase


class UnreadApiTest(RoomsCase):
    """A person's counts over HTTP."""

    async def people(self) -> None:
        for name in ("ann", "bob", "carl"):
            await self.person(name)

    async def say(self, room: str, nick: str, *texts: str) -> int:
        last = 0
        for text in texts:
            last = (await self.backend.publish(room, nick, text)).id
        return last

    async def listed(self, who: str) -> dict[str, dict[str, object]]:
        status, body, _ = await self.api("GET", "/api/rooms", who)
        assert status == 200
        return {entry["room"]: entry for entry in body["rooms"]}

    @gen_test
    async def test_the_rooms_list_shows_counts_for_rooms_one_follows(self) -> None:
        """A member's room counts from the start (read_id 0, as its unread frames say); an open room never
        read counts nothing, with no read_id."""
        await self.people()
        await self.create("bob", "plans", members=["ann"])
        await self.create("bob", "town", "open")
        await self.say("plans", "bob", "hi @ann", "more")
        await self.say("town", "bob", "noise")
        rooms = await self.listed("ann")
        assert {k: rooms["plans"][k] for k in ("unread", "mentions", "read_id", "notify")} == {
            "unread": 2,
            "mentions": 1,
            "read_id": 0,
            "notify": "all",
        }
        assert (rooms["town"]["unread"], rooms["town"]["read_id"]) == (0, None)

    @gen_test
    async def test_reading_answers_the_counts_and_never_goes_back(self) -> None:
        """PUT read answers the counts after it; a lower id later leaves the position; the list agrees."""
        await self.people()
        await self.create("bob", "town", "open")
        first = await self.say("town", "bob", "a", "@ann b")
        last = await self.say("town", "bob", "c")
        status, body, _ = await self.api("PUT", "/api/rooms/town/read", "ann", {"id": first})
        assert (status, body) == (
            200,
            {"room": "town", "unread": 1, "mentions": 0, "read_id": first, "notify": "all"},
        )
        _, body, _ = await self.api("PUT", "/api/rooms/town/read", "ann", {"id": 1})
        assert body["read_id"] == first
        await self.app.unread.flush()
        assert (await self.listed("ann"))["town"]["read_id"] == first
        _, body, _ = await self.api("PUT", "/api/rooms/town/read", "ann", {"id": last + 50})
        assert (body["read_id"], body["unread"]) == (last, 0)

    @gen_test
    async def test_marking_unread_puts_the_position_back_for_every_tab(self) -> None:
        """PUT unread {"from": M}: M and after are unread again (mentions too), said with "back"; the list
        agrees; reading on afterwards works; "from" past the newest leaves nothing unread."""
        await self.people()
        await self.create("bob", "town", "open")
        first = await self.say("town", "bob", "a", "@ann b")
        last = await self.say("town", "bob", "c")
        await self.api("PUT", "/api/rooms/town/read", "ann", {"id": last})
        status, body, _ = await self.api("PUT", "/api/rooms/town/unread", "ann", {"from": first - 1})
        expected = {"room": "town", "unread": 3, "mentions": 1, "read_id": first - 2, "notify": "all"}
        assert (status, body) == (200, {**expected, "back": True})
        await self.app.unread.flush()
        listed = (await self.listed("ann"))["town"]
        assert (listed["unread"], listed["read_id"]) == (3, first - 2)
        _, body, _ = await self.api("PUT", "/api/rooms/town/read", "ann", {"id": first})
        assert (body["unread"], body["read_id"], "back" in body) == (1, first, False)
        _, body, _ = await self.api("PUT", "/api/rooms/town/unread", "ann", {"from": last + 10})
        assert (body["unread"], body["read_id"]) == (0, last)
        assert (await self.listed("carl"))["town"]["read_id"] is None

    @gen_test
    async def test_leaving_an_open_room_stops_its_counts_until_it_is_read_again(self) -> None:
        """ann, a member who read "town", leaves it: it counts nothing more for her (no read_id); reading it
        again follows it again; leaving a closed room keeps nothing to forget."""
        await self.people()
        await self.create("bob", "town", "open", members=["ann"])
        first = await self.say("town", "bob", "a")
        await self.api("PUT", "/api/rooms/town/read", "ann", {"id": first})
        status, _, _ = await self.api("DELETE", "/api/rooms/town/members/ann", "ann")
        assert status == 204
        await self.say("town", "bob", "b")
        assert (
            (await self.listed("ann"))["town"]["unread"],
            (await self.listed("ann"))["town"]["read_id"],
        ) == (
            0,
            None,
        )
        last = await self.say("town", "bob", "c")
        await self.api("PUT", "/api/rooms/town/read", "ann", {"id": last})
        await self.say("town", "bob", "d")
        await self.app.unread.flush()
        assert (await self.listed("ann"))["town"]["unread"] == 1

    @gen_test
    async def test_counts_stop_at_the_cap(self) -> None:
        """More than UNREAD_CAP unread messages count as UNREAD_CAP (the page shows "99+")."""
        await self.people()
        await self.create("bob", "plans", members=["ann"])
        await self.say("plans", "bob", *[f"m{n}" for n in range(UNREAD_CAP + 3)])
        assert (await self.listed("ann"))["plans"]["unread"] == UNREAD_CAP

    @gen_test
    async def test_a_level_is_chosen_per_room(self) -> None:
        """PUT notify stores the level for that room alone; the list shows it."""
        await self.people()
        await self.create("bob", "plans", members=["ann"])
        await self.create("bob", "town", "open")
        status, body, _ = await self.api("PUT", "/api/rooms/plans/notify", "ann", {"level": "muted"})
        assert (status, body["notify"]) == (200, "muted")
        rooms = await self.listed("ann")
        assert (rooms["plans"]["notify"], rooms["town"]["notify"]) == ("muted", "all")
        assert (await self.listed("bob"))["plans"]["notify"] == "all"

    @gen_test
    async def test_bad_bodies_are_400(self) -> None:
        """A missing or wrong id, an unknown level, bad JSON: 400 with its code, nothing stored."""
        await self.people()
        await self.create("bob", "plans", members=["ann"])
        read = "/api/rooms/plans/read"
        for body in ({}, {"id": -1}, {"id": "3"}, {"id": True}, {"id": 2**63}):
            await self.refused(400, "bad_request", self.api("PUT", read, "ann", body))
        await self.refused(400, "bad_json", self.api("PUT", read, "ann", raw=b"{"))
        for body in ({}, {"level": "loud"}, {"level": None}):
            await self.refused(400, "bad_request", self.api("PUT", "/api/rooms/plans/notify", "ann", body))
        for body in ({}, {"from": 0}, {"from": "3"}, {"from": False}, {"from": 2**63}, {"id": 3}):
            answer = await self.refused(
                400, "bad_request", self.api("PUT", "/api/rooms/plans/unread", "ann", body)
            )
            assert orjson.loads(answer)["message"].startswith('"from" must be an id from 1 to')
        await self.refused(400, "bad_name", self.api("PUT", "/api/rooms/bad%20room/read", "ann", {"id": 1}))
        assert (await self.listed("ann"))["plans"]["notify"] == "all"

    @gen_test
    async def test_nobody_signed_in_gets_401_and_an_outsider_404(self) -> None:
        """No credentials: 401; a closed room one is not in, or none at all: 404 alike; nothing listed."""
        await self.people()
        await self.create("bob", "plans", members=["ann"])
        await self.say("plans", "bob", "@carl secret")
        await self.refused(401, "unauthorized", self.api("PUT", "/api/rooms/plans/read", None, {"id": 1}))
        await self.refused(401, "unauthorized", self.api("PUT", "/api/rooms/plans/unread", None, {"from": 1}))
        for room in ("plans", "nowhere"):
            for what, body in (("read", {"id": 1}), ("notify", {"level": "muted"}), ("unread", {"from": 1})):
                raw = await self.refused(
                    404, "not_found", self.api("PUT", f"/api/rooms/{room}/{what}", "carl", body)
                )
                assert b"secret" not in raw
        assert "plans" not in await self.listed("carl")

    @gen_test
    async def test_every_room_is_marked_read_at_once(self) -> None:
        """POST /api/me/read reads every room ann follows up to its newest message, in name order: a
        closed room she is in, a direct room, an open room she had read part of; it answers the counts of
        those that moved, and each of her connections hears each; again, it answers none."""
        await self.people()
        await self.create("bob", "plans", members=["ann"])
        await self.create("bob", "town", "open")
        await self.create("bob", "elsewhere", "open")
        _, direct, _ = await self.api("POST", "/api/direct", "bob", {"members": ["ann"]})
        first = await self.say("town", "bob", "a")
        await self.api("PUT", "/api/rooms/town/read", "ann", {"id": first})
        newest = {
            "plans": await self.say("plans", "bob", "@ann look", "more"),
            direct["room"]: await self.say(direct["room"], "bob", "psst"),
            "town": await self.say("town", "bob", "b", "c"),
        }
        await self.say("elsewhere", "bob", "never read, never followed")
        ann = await self.inside("ann", "town")
        status, body, _ = await self.api("POST", "/api/me/read", "ann")
        assert status == 200
        assert body == {
            "rooms": [
                {"room": room, "unread": 0, "mentions": 0, "read_id": newest[room], "notify": "all"}
                for room in sorted(newest)
            ]
        }
        told = [await self.recv_type(ann, "unread") for _ in newest]
        assert sorted(frame["room"] for frame in told) == sorted(newest)
        rooms = await self.listed("ann")
        assert {room: rooms[room]["unread"] for room in newest} == dict.fromkeys(newest, 0)
        assert (rooms["elsewhere"]["unread"], rooms["elsewhere"]["read_id"]) == (0, None)
        assert (await self.api("POST", "/api/me/read", "ann"))[:2] == (200, {"rooms": []})

    @gen_test
    async def test_marking_everything_read_leaves_a_room_one_may_no_longer_read_alone(self) -> None:
        """ann read part of bob's closed room, then was taken out of it: POST /api/me/read answers without
        a byte of it and leaves her position there as it was; nobody signed in gets 401."""
        await self.people()
        await self.create("bob", "plans", members=["ann"])
        first = await self.say("plans", "bob", "before")
        await self.api("PUT", "/api/rooms/plans/read", "ann", {"id": first})
        await self.say("plans", "bob", "secret after")
        assert (await self.api("DELETE", "/api/rooms/plans/members/ann", "bob"))[0] == 204
        await self.app.unread.flush()
        status, body, raw = await self.api("POST", "/api/me/read", "ann")
        assert (status, body) == (200, {"rooms": []}) and b"plans" not in raw
        await self.app.unread.flush()
        ann = await self.backend.accounts.account_by_name("ann")
        assert ann is not None and await self.backend.accounts.read_position(ann.id, "plans") == first
        await self.refused(401, "unauthorized", self.api("POST", "/api/me/read"))
