"""Unread counts on the socket: read marks, the ``unread`` frame to every tab, live counts, refusals."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tornado.testing import gen_test

from chatroom.store.reading_base import ReadMark
from tests.chat_case import ChatTestCase, Client
from tests.rooms_case import RoomsCase


class UnreadSocketTest(RoomsCase):
    """Accounts read rooms on the socket; their other tabs follow at once."""

    async def people(self) -> None:
        for name in ("ann", "bob", "carl"):
            await self.person(name)

    async def posted(self, client: Client, *texts: str) -> int:
        """Send messages and wait for each to come back; the last id."""
        last = 0
        for text in texts:
            await self.chat(client, text)
            frame = await self.recv_type(client, "user")
            while frame["message"] != text:
                frame = await self.recv_type(client, "user")
            last = frame["id"]
        return int(last)

    async def unread_of(self, client: Client, room: str, **expected: Any) -> dict[str, Any]:
        """Skip frames until an ``unread`` frame for ``room`` with the expected fields arrives."""
        while True:
            frame = await self.recv_type(client, "unread")
            if frame["room"] == room and all(frame[k] == v for k, v in expected.items()):
                return frame

    @gen_test(timeout=20)
    async def test_a_new_message_elsewhere_counts_live_and_reading_clears_every_tab(self) -> None:
        """Ann's tab elsewhere sees plans' count and mention rise; reading in her plans tab clears both."""
        await self.people()
        await self.create("ann", "plans", members=["bob"])
        await self.create("ann", "other")
        elsewhere, _ = await self.enter("ann", "other")
        reading, _ = await self.enter("ann", "plans")
        bob, _ = await self.enter("bob", "plans")
        last = await self.posted(bob, "hello", "@Ann look", "bye")
        frame = await self.unread_of(elsewhere, "plans", unread=3)
        assert frame == {
            "type": "unread",
            "room": "plans",
            "unread": 3,
            "mentions": 1,
            "read_id": 0,
            "notify": "all",
        }
        await self.send(reading, {"type": "read", "id": last})
        for tab in (elsewhere, reading):
            cleared = await self.unread_of(tab, "plans", read_id=last)
            assert (cleared["unread"], cleared["mentions"]) == (0, 0)

    @gen_test(timeout=20)
    async def test_an_edit_or_a_deletion_that_changes_the_counts_is_told_live(self) -> None:
        """A mention edited in, then the message deleted: Ann's tab elsewhere hears each new count; a
        reaction changes no count."""
        await self.people()
        await self.create("ann", "plans", members=["bob"])
        await self.create("ann", "other")
        elsewhere, _ = await self.enter("ann", "other")
        bob, _ = await self.enter("bob", "plans")
        message = await self.posted(bob, "four")
        assert (await self.unread_of(elsewhere, "plans", unread=1))["mentions"] == 0
        await self.send(bob, {"type": "edit", "id": message, "message": "four @ann"})
        assert (await self.unread_of(elsewhere, "plans", mentions=1))["unread"] == 1
        await self.send(bob, {"type": "react", "id": message, "emoji": "👍", "on": True})
        await self.recv_type(bob, "reaction")
        await self.nothing_more(elsewhere, 0.6, ignoring=())
        await self.send(bob, {"type": "delete", "id": message})
        gone = await self.unread_of(elsewhere, "plans", unread=0)
        assert (gone["mentions"], gone["read_id"]) == (0, 0)

    @gen_test(timeout=20)
    async def test_a_mark_never_goes_back_and_one_s_own_messages_are_read(self) -> None:
        """A lower mark after a higher one tells nobody anything; one's own messages never count."""
        await self.people()
        await self.create("ann", "plans", members=["bob"])
        ann, _ = await self.enter("ann", "plans")
        bob, _ = await self.enter("bob", "plans")
        first = await self.posted(bob, "one")
        second = await self.posted(ann, "mine")
        await self.send(ann, {"type": "read", "id": first})
        assert (await self.unread_of(ann, "plans", read_id=first))["unread"] == 0
        await self.quiet(ann)
        await self.send(ann, {"type": "read", "id": 0})
        await self.nothing_more(ann, 0.6, ignoring=())
        await self.unread.flush()
        assert await self.backend.accounts.read_position(await self.account_id("ann"), "plans") == first
        assert second > first

    @gen_test(timeout=20)
    async def test_marks_are_stored_together_not_one_write_each(self) -> None:
        """Fifteen read frames in a row cost the store one or two batched writes, ending at the highest."""
        await self.people()
        await self.create("ann", "plans", members=["bob"])
        ann, _ = await self.enter("ann", "plans")
        bob, _ = await self.enter("bob", "plans")
        last = await self.posted(bob, *[f"m{n}" for n in range(15)])
        batches: list[list[ReadMark]] = []
        store_mark = self.backend.accounts.mark_read

        async def counting(marks: Any) -> None:
            batches.append(list(marks))
            await store_mark(marks)

        self.backend.accounts.mark_read = counting  # type: ignore[method-assign]
        for upto in range(last - 14, last + 1):
            await self.send(ann, {"type": "read", "id": upto})
        await self.unread_of(ann, "plans", read_id=last)
        await self.unread.flush()
        assert 1 <= len(batches) <= 2
        assert batches[-1][-1].last_read_id == last
        assert await self.backend.accounts.read_position(await self.account_id("ann"), "plans") == last

    @gen_test(timeout=20)
    async def test_followers_counts_read_positions_and_levels_in_one_query(self) -> None:
        """New messages tell each follower its counts at its own position and level, none read one by one."""
        await self.people()
        await self.create("ann", "plans", members=["bob", "carl"])
        await self.create("ann", "other", members=["bob", "carl"])
        ann, _ = await self.enter("ann", "plans")
        first = await self.posted(ann, "one", "two")
        assert (await self.api("PUT", "/api/rooms/plans/read", "carl", {"id": first}))[0] == 200
        assert (await self.api("PUT", "/api/rooms/plans/notify", "bob", {"level": "mentions"}))[0] == 200
        bob, _ = await self.enter("bob", "other")
        carl, _ = await self.enter("carl", "other")
        one_by_one: list[str] = []
        accounts = self.backend.accounts
        position, level = accounts.read_position, accounts.notify_level

        async def read_position(*args: Any) -> Any:
            one_by_one.append("position")
            return await position(*args)

        async def notify_level(*args: Any) -> Any:
            one_by_one.append("level")
            return await level(*args)

        accounts.read_position = read_position  # type: ignore[method-assign]
        accounts.notify_level = notify_level  # type: ignore[method-assign]
        await self.posted(ann, "three")
        assert (await self.unread_of(bob, "plans", unread=3))["notify"] == "mentions"
        assert (await self.unread_of(carl, "plans", unread=1))["read_id"] == first
        assert one_by_one == []

    @gen_test(timeout=20)
    async def test_bad_read_frames_are_refused_and_the_connection_stays(self) -> None:
        """A missing, negative, fractional or boolean id is bad_request; the socket and room carry on."""
        await self.people()
        await self.create("ann", "plans", members=["bob"])
        ann, _ = await self.enter("ann", "plans")
        bob, _ = await self.enter("bob", "plans")
        for frame in (
            {"type": "read"},
            {"type": "read", "id": -1},
            {"type": "read", "id": 1.5},
            {"type": "read", "id": True},
            {"type": "read", "id": 2**63},
        ):
            await self.send(ann, frame)
            error = await self.recv_type(ann, "error")
            assert error["code"] == "bad_request"
            assert error["message"] == '"id" must be an id from 0 to 9223372036854775807'
        await self.posted(bob, "still here")
        assert (await self.recv_type(ann, "user"))["message"] == "still here"

    @gen_test(timeout=20)
    async def test_an_outsider_hears_nothing_of_a_closed_room(self) -> None:
        """Carl, not a member, gets no unread frame for it, and its read and notify endpoints answer 404."""
        await self.people()
        await self.create("ann", "plans", members=["bob"])
        await self.create("carl", "other")
        carl, _ = await self.enter("carl", "other")
        await self.recv_type(carl, "sys")
        bob, _ = await self.enter("bob", "plans")
        await self.posted(bob, "@carl secret plans")
        await self.nothing_more(carl, 0.8, ignoring=())
        await self.refused(404, "not_found", self.api("PUT", "/api/rooms/plans/read", "carl", {"id": 1}))
        await self.refused(
            404, "not_found", self.api("PUT", "/api/rooms/plans/notify", "carl", {"level": "all"})
        )
        await self.refused(404, "not_found", self.api("PUT", "/api/rooms/nowhere/read", "carl", {"id": 1}))
        assert await self.backend.accounts.read_position(await self.account_id("carl"), "plans") is None

    async def quiet(self, client: Client) -> None:
        """Read whatever arrives until nothing has for half a second."""
        while True:
            try:
                await self.recv(client, 0.5)
            except TimeoutError:
                return

    @property
    def unread(self) -> Any:
        return self.app.unread

    async def account_id(self, name: str) -> int:
        account = await self.backend.accounts.account_by_name(name)
        assert account is not None
        return account.id


class GuestReadTest(ChatTestCase):
    """Guests keep no read position."""

    settings = replace(ChatTestCase.settings, guests=True)

    @gen_test
    async def test_a_guest_s_read_frame_is_dropped_quietly(self) -> None:
        """No error, no unread frame, nothing stored: the connection goes on as before."""
        guest, welcome, _ = await self.join("visitor")
        await self.chat(guest, "hi")
        message = await self.recv_type(guest, "user")
        await self.send(guest, {"type": "read", "id": message["id"]})
        await self.nothing_more(guest, 0.6, ignoring=())
        assert welcome["nick"] == "visitor"
