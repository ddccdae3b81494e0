"""Administrators read the moderation history (chatroom/api_acts.py): who did what to whom, newest first."""

from __future__ import annotations

from typing import Any
from unittest import mock

from tornado.testing import gen_test

from chatroom.store.base import StoreError
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase, token_for


class ModerationHistoryTest(RoomsCase):
    """root administers; ann owns the closed room "plans", where bob wrote something rude."""

    async def acts(self, path: str = "/api/admin/moderation") -> dict[str, Any]:
        status, body, _ = await self.api("GET", path, "root")
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    async def moderate(self) -> tuple[int, int, int]:
        """root's and ann's acts on bob: bob's id, the rude message's id, root's id."""
        root = await self.person("root", admin=True)
        await self.person("ann")
        bob = await self.person("bob")
        await self.create("ann", "plans")
        assert (await self.api("POST", "/api/rooms/plans/members", "ann", {"name": "bob"}))[0] == 201
        writing = await self.connect(room="plans", token=token_for("bob"))
        await self.recv_type(writing, "sys")
        await self.send(writing, {"type": "message", "message": "something rude", "ref": "r"})
        rude = int((await self.recv_type(writing, "ack"))["id"])
        owning = await self.connect(room="plans", token=token_for("ann"))
        await self.recv_type(owning, "sys")
        await self.send(owning, {"type": "delete", "id": rude, "ref": "d"})
        assert (await self.recv_type(owning, "ack"))["ref"] == "d"
        assert (await self.api("DELETE", "/api/rooms/plans/members/bob", "ann"))[0] == 204
        assert (await self.api("POST", f"/api/admin/accounts/{bob}/deactivate", "root"))[0] == 200
        assert (await self.api("POST", f"/api/admin/accounts/{bob}/reactivate", "root"))[0] == 200
        return bob, rude, root

    @gen_test(timeout=30)
    async def test_each_act_is_listed_newest_first_with_who_whom_and_where(self) -> None:
        """The owner's deletion (the room and message id, never the text), the removal, the deactivation
        and reactivation, as they were done; an administrator's own list."""
        bob, rude, root = await self.moderate()
        body = await self.acts()
        listed = [(a["actor"], a["act"], a["subject"], a["room"], a["message"]) for a in body["acts"]]
        assert listed == [
            ("root", "reactivate", "bob", None, None),
            ("root", "deactivate", "bob", None, None),
            ("ann", "remove_member", "bob", "plans", None),
            ("ann", "delete_message", "bob", "plans", rude),
        ]
        assert body["next"] is None
        first = body["acts"][0]
        assert (first["actor_account"], first["subject_account"], first["detail"]) == (root, bob, "")
        assert "rude" not in str(body)

    @gen_test(timeout=30)
    async def test_a_bar_and_its_lifting_are_acts_of_the_room(self) -> None:
        """ann bars bob from her open room "town" and lifts it: two acts naming the room, newest first."""
        await self.person("root", admin=True)
        await self.person("ann")
        bob = await self.person("bob")
        await self.create("ann", "town", "open")
        assert (await self.api("POST", "/api/rooms/town/bars", "ann", {"name": "bob"}))[0] == 201
        assert (await self.api("DELETE", "/api/rooms/town/bars/bob", "ann"))[0] == 204
        listed = [
            (a["actor"], a["act"], a["subject"], a["subject_account"], a["room"])
            for a in (await self.acts())["acts"]
        ]
        assert listed == [("ann", "lift_bar", "bob", bob, "town"), ("ann", "bar", "bob", bob, "town")]

    @gen_test(timeout=30)
    async def test_pages_follow_next_to_the_oldest_act(self) -> None:
        """Two at a time: next leads to the older acts, then to none."""
        await self.moderate()
        first = await self.acts("/api/admin/moderation?limit=2")
        assert [a["act"] for a in first["acts"]] == ["reactivate", "deactivate"]
        second = await self.acts(first["next"])
        assert [a["act"] for a in second["acts"]] == ["remove_member", "delete_message"]
        assert second["next"] is None or (await self.acts(second["next"]))["acts"] == []

    @gen_test(timeout=30)
    async def test_deleting_everything_of_an_account_is_one_act_with_its_counts(self) -> None:
        """One act for the request, saying how many went, not one a message; none when nothing went."""
        bob, _, _ = await self.moderate()
        path = f"/api/admin/accounts/{bob}/messages"
        assert (await self.api("DELETE", path, "root"))[1] == {"deleted": 0, "reactions": 0, "more": False}
        await self.create("root", "town", "open")
        town = await self.connect(room="town", token=token_for("bob"))
        await self.recv_type(town, "sys")
        for n in range(3):
            await self.send(town, {"type": "message", "message": f"spam {n}", "ref": str(n)})
            await self.recv_type(town, "ack")
        assert (await self.api("DELETE", path, "root"))[1]["deleted"] == 3
        newest = (await self.acts("/api/admin/moderation?limit=2"))["acts"]
        assert [(a["act"], a["subject"], a["detail"]) for a in newest] == [
            ("delete_everything", "bob", "3 messages, 0 reactions"),
            ("reactivate", "bob", ""),
        ]

    @gen_test(timeout=30)
    async def test_only_administrators_read_it(self) -> None:
        """ann (a room's owner, no administrator) 403; nobody 401; a bad before 400."""
        await self.moderate()
        await self.refused(403, "forbidden", self.api("GET", "/api/admin/moderation", "ann"))
        await self.refused(401, "unauthorized", self.api("GET", "/api/admin/moderation"))
        await self.refused(400, "bad_request", self.api("GET", "/api/admin/moderation?before=x", "root"))

    @gen_test(timeout=30)
    async def test_a_history_that_cannot_be_written_does_not_undo_the_act(self) -> None:
        """The deactivation stands and answers 200; the lost row is a warning of chatroom.moderation."""
        bob, _, _ = await self.moderate()
        failing = mock.patch.object(self.backend.accounts, "record_act", side_effect=StoreError("disk full"))
        with failing, self.assertLogs("chatroom.moderation", "WARNING") as logged:
            status, body, _ = await self.api("POST", f"/api/admin/accounts/{bob}/deactivate", "root")
        assert (status, body["account"]["active"]) == (200, False)
        assert "cannot keep deactivate of 'bob' by 'root' in the history: disk full" in logged.output[0]
        assert (await self.acts())["acts"][0]["act"] == "reactivate"


class ModerationHistoryOnPostgresTest(OnPostgres, ModerationHistoryTest):
    """The same, with the history in PostgreSQL."""
