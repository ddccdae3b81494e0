"""An administrator deletes every message of an account at once (chatroom/api_moderation.py)."""

from __future__ import annotations

from unittest import mock

from tornado.testing import gen_test

from chatroom import api_moderation
from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase, token_for

RUDE = "\U0001f595"


class AccountMessagesTest(RoomsCase):
    """root administers; troll floods the open room "town" and writes to ann directly."""

    async def joined(self, who: str, room: str) -> Client:
        """``who`` in ``room``, past welcome, history and its own join."""
        client = await self.connect(room=room, token=token_for(who))
        assert (await self.recv(client))["type"] == "welcome"
        assert (await self.recv(client))["type"] == "history"
        await self.recv_type(client, "sys")
        return client

    async def post(self, client: Client, text: str) -> int:
        await self.send(client, {"type": "message", "message": text, "ref": text})
        ack = await self.recv_type(client, "ack")
        assert ack["ref"] == text
        return int(ack["id"])

    async def flood(self) -> tuple[int, Client, list[int], int]:
        """troll's id, ann's socket in town, troll's messages in town, ann's own message there."""
        await self.person("root", admin=True)
        await self.person("ann")
        troll = await self.person("troll")
        await self.create("root", "town", "open")
        ann = await self.joined("ann", "town")
        trolling = await self.joined("troll", "town")
        flood = [await self.post(trolling, f"abuse {i}") for i in range(3)]
        own = await self.post(ann, "hello all")
        await self.send(trolling, {"type": "react", "id": own, "emoji": RUDE, "on": True, "ref": "rude"})
        assert (await self.recv_type(trolling, "ack"))["ref"] == "rude"
        await self.send(trolling, {"type": "react", "id": flood[0], "emoji": RUDE, "on": True, "ref": "own"})
        assert (await self.recv_type(trolling, "ack"))["ref"] == "own"
        _, direct, _ = await self.api("POST", "/api/direct", "troll", {"members": ["ann"]})
        await self.post(await self.joined("troll", direct["room"]), "abuse in private")
        return troll, ann, flood, own

    @gen_test(timeout=30)
    async def test_every_message_and_reaction_of_the_account_goes_for_everyone_and_no_one_elses(self) -> None:
        """Deleted in town and in the direct room (root is in neither's members), each a delete frame
        on ann's open page in root's name; its emoji on ann's message taken back in its own name (the
        one on its own message went with it); ann's message stays; asked again, nothing is left."""
        troll, ann, flood, own = await self.flood()
        path = f"/api/admin/accounts/{troll}/messages"
        answer = {"deleted": 4, "reactions": 1, "more": False}
        with self.assertLogs("chatroom.moderation", "INFO") as logged:
            assert (await self.api("DELETE", path, "root"))[:2] == (200, answer)
        said = f"'root' deleted 4 messages and took back 1 reactions of the account 'troll' (id {troll})"
        assert [record.getMessage() for record in logged.records] == [said]
        for target in flood:
            deleted = await self.recv_type(ann, "delete")
            assert (deleted["target"], deleted["nick"]) == (target, "root")
        taken_back = await self.recv_type(ann, "reaction")
        assert (taken_back["target"], taken_back["nick"], taken_back["emoji"], taken_back["on"]) == (
            own, "troll", RUDE, False,
        )  # fmt: skip
        _, history, _ = await self.api("GET", "/api/rooms/town/messages", "ann")
        shown = [(m["message"], m.get("deleted", False), m.get("reactions")) for m in history["messages"]]
        assert shown == [("", True, None)] * 3 + [("hello all", False, None)]
        assert history["messages"][3]["id"] == own
        nothing = {"deleted": 0, "reactions": 0, "more": False}
        assert (await self.api("DELETE", path, "root"))[:2] == (200, nothing)

    @gen_test(timeout=30)
    async def test_a_batch_at_a_time_says_when_more_are_left(self) -> None:
        """With two a request, the answer says more are left until none is."""
        troll, _, _, _ = await self.flood()
        path = f"/api/admin/accounts/{troll}/messages"
        with mock.patch.object(api_moderation, "BATCH", 2):
            answers = [(await self.api("DELETE", path, "root"))[1] for _ in range(3)]
        assert answers == [
            {"deleted": 2, "reactions": 1, "more": True},
            {"deleted": 2, "reactions": 0, "more": False},
            {"deleted": 0, "reactions": 0, "more": False},
        ]

    @gen_test(timeout=30)
    async def test_refusals_delete_nothing_and_leave_connections_alone(self) -> None:
        """ann (no administrator) 403, nobody 401, no such account 404: each with its code; ann's
        socket hears no deletion and carries on."""
        troll, ann, _, _ = await self.flood()
        path = f"/api/admin/accounts/{troll}/messages"
        await self.refused(403, "forbidden", self.api("DELETE", path, "ann"))
        await self.refused(401, "unauthorized", self.api("DELETE", path))
        await self.refused(404, "not_found", self.api("DELETE", "/api/admin/accounts/999/messages", "root"))
        await self.refused(404, "not_found", self.api("DELETE", "/api/admin/accounts/x/messages", "root"))
        await self.send(ann, {"type": "message", "message": "still here", "ref": "last"})
        heard = [await self.recv(ann)]
        while heard[-1]["type"] != "ack":
            heard.append(await self.recv(ann))
        assert "delete" not in [frame["type"] for frame in heard]
        _, history, _ = await self.api("GET", "/api/rooms/town/messages", "ann")
        assert not any(m.get("deleted") for m in history["messages"])
        assert [m.get("reactions") is not None for m in history["messages"]] == [
            True,
            False,
            False,
            True,
            False,
        ]


class AccountMessagesOnPostgresTest(OnPostgres, AccountMessagesTest):
    """The same, with the messages in PostgreSQL."""
