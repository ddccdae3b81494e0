"""RoomRulesCase: a room's rule (who posts, who mentions all of it) tried from a socket and read back."""

from __future__ import annotations

from tests.chat_case import Client, Frame
from tests.files_case import FilesCase
from tests.rooms_case import token_for


class RoomRulesCase(FilesCase):
    """People in the open room "news" that ann owns, on the socket and the API (files too)."""

    async def joined(self, who: str, room: str = "news") -> Client:
        """``who`` in ``room``, past welcome, history and its own join."""
        client = await self.connect(room=room, token=token_for(who))
        assert (await self.recv(client))["type"] == "welcome"
        assert (await self.recv(client))["type"] == "history"
        await self.recv_type(client, "sys")
        return client

    async def ask(self, client: Client, frame: Frame) -> Frame:
        """Send a frame with a ref; the ack or error answering it."""
        await self.send(client, {**frame, "ref": "r"})
        while True:
            answer = await self.recv(client)
            if answer["type"] in ("ack", "error") and answer.get("ref") == "r":
                return answer

    async def room_change(self, client: Client, change: str) -> Frame:
        """The next ``room`` frame telling of ``change``: a room made before (its ``created``, on a store
        whose notices come later) may be told first."""
        while True:
            frame = await self.recv_type(client, "room")
            if frame["change"] == change:
                return frame

    async def texts(self, room: str = "news") -> list[str]:
        """The room's messages as its history gives them to ann."""
        status, body, _ = await self.api("GET", f"/api/rooms/{room}/messages", "ann")
        assert status == 200
        return [message["message"] for message in body["messages"]]

    async def listed(self, setting: str, room: str, who: str = "ann") -> str | None:
        """The room's ``setting`` as ``who``'s rooms list shows it (None: not listed)."""
        _, body, _ = await self.api("GET", "/api/rooms", who)
        return next((entry[setting] for entry in body["rooms"] if entry["room"] == room), None)
