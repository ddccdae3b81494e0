"""Reminders over the API: setting one on a message, the list, snoozing, being done, falling due (every
page of the person told once, the line kept until done), every refusal with its code, no byte for an
outsider or a removed member, and a reminder dropped once its message may no longer be read."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest
from tornado.testing import gen_test

from chatroom import api_reminders
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase
from tests.test_outsiders import SECRET, TITLE

NO_MESSAGE = b'{"error":"not_found","message":"there is no such message, or you may not see it"}'
NO_SUCH = {"error": "not_found", "message": "there is no such reminder"}
PATH = "/api/me/reminders"
# What a page in a room sees of its room's life: anything but a reminder frame.
ROOM_LIFE = ("unread", "sys", "presence", "user", "edit", "delete", "history")


def soon(seconds: int = 3600) -> int:
    """A time ``seconds`` ahead, in seconds since the epoch."""
    return int(time.time()) + seconds


class RemindersTest(RoomsCase):
    """ann, bob and cid are people; the rooms each test makes are theirs."""

    async def delete(self, who: str, room: str, message_id: int) -> None:
        """``who`` deletes the message of the room, and it is deleted."""
        client = await self.inside(who, room)
        await self.send(client, {"type": "delete", "id": message_id})
        for _ in range(100):
            (message,) = await self.backend.history(room, after=message_id - 1, before=message_id + 1)
            if message.deleted:
                break
            await asyncio.sleep(0.05)
        client.close()

    async def remind(self, who: str, room: str, message_id: Any, **extra: Any) -> tuple[int, Any, bytes]:
        body = {"room": room, "id": message_id, "at": soon(), **extra}
        return await self.api("POST", PATH, who, body)

    async def reminders(self, who: str) -> list[dict[str, Any]]:
        status, body, _ = await self.api("GET", PATH, who)
        assert status == 200, body
        return list(body["reminders"])

    async def due_now(self, who: str, reminder_id: int) -> None:
        """Make the reminder due (as if its time had come), then let the clock look once."""
        account = await self.backend.accounts.account_by_name(who)
        assert account is not None
        await self.backend.accounts.snooze_reminder(account.id, reminder_id, 1)
        await self.app.reminder_sender.send_due()

    @gen_test(timeout=30)
    async def test_a_reminder_is_set_listed_snoozed_and_done(self) -> None:
        """POST answers its entry with the message as it stands; the list is soonest first; PATCH moves
        it; DELETE is done with it (again: 404)."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        first = await self.said("ann", "lobby", "the plan")
        second = await self.said("ann", "lobby", "the budget")
        status, later, _ = await self.remind("ann", "lobby", first, at=soon(7200))
        assert status == 201, later
        assert {k: later[k] for k in ("room", "message_id", "due")} == {
            "room": "lobby",
            "message_id": first,
            "due": False,
        }
        assert (later["message"]["message"], later["message"]["nick"]) == ("the plan", "ann")
        _, sooner, _ = await self.remind("ann", "lobby", second, at=soon(60))
        assert [e["id"] for e in await self.reminders("ann")] == [sooner["id"], later["id"]]
        moved = soon(30)
        status, snoozed, _ = await self.api("PATCH", f"{PATH}/{later['id']}", "ann", {"at": moved})
        assert status == 200 and snoozed["at"] == moved
        assert [e["id"] for e in await self.reminders("ann")] == [later["id"], sooner["id"]]
        for expected in (204, 404):
            assert (await self.api("DELETE", f"{PATH}/{later['id']}", "ann"))[0] == expected
        assert [e["id"] for e in await self.reminders("ann")] == [sooner["id"]]

    @gen_test(timeout=30)
    async def test_at_its_time_every_page_is_told_once_and_it_stays_until_done(self) -> None:
        """Due, both of ann's pages get one "due" frame (no byte of the message), bob's none; a second
        look tells nothing more; the list shows it due until Done, and "again in 20 minutes" makes it
        wait."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "lobby", "open")
        message_id = await self.said("bob", "lobby", "call the bank")
        first, second = await self.inside("ann", "lobby"), await self.inside("ann", "lobby")
        bob = await self.inside("bob", "lobby")
        _, row, _ = await self.remind("ann", "lobby", message_id)
        waiting = {"type": "reminder", "id": row["id"], "state": "waiting"}
        for client in (first, second):
            assert await self.recv_type(client, "reminder") == waiting
        await self.due_now("ann", row["id"])
        await self.app.reminder_sender.send_due()
        for client in (first, second):
            assert await self.recv_type(client, "reminder") == {**waiting, "state": "due"}
            await self.nothing_more(client, ignoring=("unread", "sys", "presence"))
        await self.nothing_more(bob, ignoring=ROOM_LIFE)
        (shown,) = await self.reminders("ann")
        assert shown["due"] and shown["message"]["message"] == "call the bank"
        status, again, _ = await self.api("PATCH", f"{PATH}/{row['id']}", "ann", {"at": soon(1200)})
        assert status == 200 and again["due"] is False
        assert (await self.api("DELETE", f"{PATH}/{row['id']}", "ann"))[0] == 204
        assert await self.reminders("ann") == []
        for state in ("waiting", "removed"):
            assert await self.recv_type(first, "reminder") == {**waiting, "state": state}

    @gen_test(timeout=30)
    async def test_every_refusal(self) -> None:
        """Nobody: 401; a bot: 403; bad times: 400 bad_time; a bad room or id: 400; no such message, a
        deleted one: 404; someone else's reminder: 404. Nothing is kept, bob is told nothing."""
        await self.person("ann")
        await self.person("bob")
        key = await self.bot("ci")
        await self.create("ann", "lobby", "open")
        message_id = await self.said("ann", "lobby", "hello")
        bob = await self.inside("bob", "lobby")
        await self.refused(401, "unauthorized", self.api("GET", PATH))
        await self.refused(401, "unauthorized", self.api("POST", PATH, None, {"room": "lobby"}))
        for method in ("GET", "POST"):
            response = await self.raw_fetch(
                method, PATH, {"Authorization": key}, b"{}" if method == "POST" else None
            )
            assert (response.code, b'"forbidden"' in response.body) == (403, True)
        for at in (soon(-5), soon(367 * 24 * 3600), "tomorrow", True, 1.5, None):
            await self.refused(400, "bad_time", self.remind("ann", "lobby", message_id, at=at))
        for bad_id in ("1", 0, -3, True, None, 2**63):
            await self.refused(400, "bad_request", self.remind("ann", "lobby", bad_id))
        await self.refused(
            400, "bad_request", self.api("POST", PATH, "ann", {"id": message_id, "at": soon()})
        )
        await self.refused(400, "bad_json", self.api("POST", PATH, "ann", raw=b"{nope"))
        await self.refused(400, "bad_name", self.remind("ann", "-bad", message_id))
        assert await self.refused(404, "not_found", self.remind("ann", "lobby", 999)) == NO_MESSAGE
        assert await self.refused(404, "not_found", self.remind("ann", "nowhere", 1)) == NO_MESSAGE
        gone = await self.said("ann", "lobby", "oops")
        await self.delete("ann", "lobby", gone)
        await self.refused(404, "not_found", self.remind("ann", "lobby", gone))
        assert await self.reminders("ann") == []
        _, row, _ = await self.remind("ann", "lobby", message_id)
        for method, body in (("PATCH", {"at": soon()}), ("DELETE", None)):
            assert (await self.api(method, f"{PATH}/{row['id']}", "bob", body))[:2] == (404, NO_SUCH)
        for bad in ("abc", "0", "9" * 19):
            assert (await self.api("DELETE", f"{PATH}/{bad}", "ann"))[:2] == (404, NO_SUCH)
        await self.refused(400, "bad_time", self.api("PATCH", f"{PATH}/{row['id']}", "ann", {}))
        await self.refused(400, "bad_time", self.api("PATCH", f"{PATH}/{row['id']}", "ann", {"at": 5}))
        assert [e["id"] for e in await self.reminders("ann")] == [row["id"]]
        assert await self.reminders("bob") == []
        await self.nothing_more(bob, ignoring=ROOM_LIFE)

    @gen_test(timeout=30)
    async def test_past_the_most_a_new_one_is_refused(self) -> None:
        """With two of two, a third answers 409 too_many_reminders; being done with one makes room."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        message_id = await self.said("ann", "lobby", "hello")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(api_reminders, "MAX_REMINDERS", 2)
            _, first, _ = await self.remind("ann", "lobby", message_id)
            await self.remind("ann", "lobby", message_id)
            await self.refused(409, "too_many_reminders", self.remind("ann", "lobby", message_id))
            await self.api("DELETE", f"{PATH}/{first['id']}", "ann")
            assert (await self.remind("ann", "lobby", message_id))[0] == 201

    @gen_test(timeout=30)
    async def test_an_outsider_gets_the_bytes_of_a_missing_message(self) -> None:
        """bob, no member of ann's closed room, gets for its real message the very bytes of a message that
        does not exist, and his list stays empty."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "hidden-plans", "closed", title=TITLE)
        message_id = await self.said("ann", "hidden-plans", SECRET)
        for room, some_id in (("hidden-plans", message_id), ("hidden-plans", message_id + 50)):
            status, _, raw = await self.remind("bob", room, some_id)
            assert (status, raw) == (404, NO_MESSAGE)
        _, _, raw = await self.api("GET", PATH, "bob")
        assert raw == b'{"reminders":[]}'

    async def dropped_after(self, shut_out: Any) -> tuple[bytes, list[Any]]:
        """bob sets a reminder on ann's secret in her closed room, ``shut_out()`` runs: his list's bytes
        before its time, then what his page is told when its time comes."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "hidden-plans", "closed", title=TITLE, members=["bob"])
        message_id = await self.said("ann", "hidden-plans", SECRET)
        await self.create("bob", "elsewhere", "open")
        page = await self.inside("bob", "elsewhere")
        status, row, _ = await self.remind("bob", "hidden-plans", message_id)
        assert status == 201, row
        await self.recv_type(page, "reminder")
        await shut_out()
        _, _, listed = await self.api("GET", PATH, "bob")
        patched = await self.api("PATCH", f"{PATH}/{row['id']}", "bob", {"at": soon()})
        assert patched[:2] == (404, NO_SUCH) and SECRET.encode() not in patched[2]
        await self.due_now("bob", row["id"])
        told = [await self.recv_type(page, "reminder")]
        assert await self.backend.accounts.reminders(await self.person_id("bob")) == []
        return listed, told

    async def person_id(self, name: str) -> int:
        account = await self.backend.accounts.account_by_name(name)
        assert account is not None
        return account.id

    @gen_test(timeout=30)
    async def test_a_removed_member_is_shown_no_byte_and_the_reminder_is_dropped(self) -> None:
        """Removed from the room, bob's list has no byte of it, a snooze is 404 and drops it; his page is
        told it was removed."""

        async def remove() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "ann"))[0] == 204

        listed, told = await self.dropped_after(remove)
        assert listed == b'{"reminders":[]}'
        assert told[0]["state"] == "removed" and SECRET not in str(told)

    @gen_test(timeout=30)
    async def test_a_deleted_message_or_a_deactivated_account_drops_it_at_its_time(self) -> None:
        """Its message deleted, a reminder is no longer listed and is dropped when due; so is every
        reminder of an account deactivated meanwhile."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "lobby", "open")
        deleted = await self.said("ann", "lobby", "to be deleted")
        kept = await self.said("ann", "lobby", "kept")
        _, first, _ = await self.remind("ann", "lobby", deleted)
        _, second, _ = await self.remind("bob", "lobby", kept)
        await self.delete("ann", "lobby", deleted)
        assert await self.reminders("ann") == []
        await self.due_now("ann", first["id"])
        assert await self.backend.accounts.reminders(await self.person_id("ann")) == []
        bob = await self.person_id("bob")
        await self.backend.accounts.deactivate_account(bob)
        await self.due_now("bob", second["id"])
        assert await self.backend.accounts.reminders(bob) == []

    @gen_test(timeout=30)
    async def test_a_barred_person_s_reminder_is_dropped(self) -> None:
        """Barred from an open room before its time: dropped, nothing of it in the list."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "town", "open")
        message_id = await self.said("ann", "town", "town news")
        _, row, _ = await self.remind("bob", "town", message_id)
        assert (await self.api("POST", "/api/rooms/town/bars", "ann", {"name": "bob"}))[0] == 201
        assert await self.reminders("bob") == []
        await self.due_now("bob", row["id"])
        assert await self.backend.accounts.reminders(await self.person_id("bob")) == []


class RemindersOnPostgresTest(OnPostgres, RemindersTest):
    """The same, the server storing in PostgreSQL."""


class GuestRemindersTest(RoomsCase):
    """Where guests are let in, a guest still sets no reminder."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_asked_to_sign_in(self) -> None:
        """Every reminders endpoint answers a guest 401 unauthorized."""
        await self.refused(401, "unauthorized", self.api("GET", PATH))
        await self.refused(401, "unauthorized", self.api("POST", PATH, None, {}))
        await self.refused(401, "unauthorized", self.api("PATCH", f"{PATH}/1", None, {}))
        await self.refused(401, "unauthorized", self.api("DELETE", f"{PATH}/1"))
