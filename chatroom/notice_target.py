"""What a chat connection does when the notice desk asks (notices.py): the server's acts on it.

handlers.ChatSocketHandler mixes NoticeTarget in; the desk sees it as a
notice_connection.Connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from tornado.httputil import HTTPServerRequest

from . import protocol
from .identity import Identity
from .session import Session, State


class NoticeTarget:
    """What a chat connection does when the desk asks (handlers.ChatSocketHandler mixes it in).

    The host class gives the session, its request, and how to send frames
    and close: the Session decides nothing here, these are the server's acts.
    """

    session: Session
    request: HTTPServerRequest
    send_frames: Callable[[Sequence[dict[str, Any]]], None]
    close_with: Callable[[int, str], None]
    admission_began: int | None = None

    def admission_begins(self) -> None:
        """The connection is about to read the store for its way in (the desk asks when, for room changes)."""
        self.admission_began = time.monotonic_ns()

    @property
    def address(self) -> str:
        """The address the member connects from (a proxy's X-Real-IP under --xheaders)."""
        return self.request.remote_ip or ""

    @property
    def who(self) -> Identity | None:
        """The account this connection speaks for; None for a guest (or before it is known)."""
        return self.session.who

    def expel(self, code: str, message: str) -> None:
        """An error frame with ``code``, then the close that code calls for (after owed acks)."""
        if self.session.state >= State.CLOSING:
            return
        self.send_frames([protocol.error_frame(code, message)])
        self.close_with(protocol.CLOSE_CODE_FOR[code], code)

    def tell(self, frames: Sequence[dict[str, Any]]) -> None:
        """Frames beside the room's (the live room list, unread counts): once welcome and history are out.

        Catching up counts: a member of a quiet room stays there until the room's next message.
        """
        if State.CATCHING_UP <= self.session.state <= State.LIVE:
            self.send_frames(frames)

    @property
    def direct_others(self) -> frozenset[int]:
        """In a direct room, the other members' accounts when it joined; none elsewhere."""
        return self.session.direct_others

    def set_blocked(self, by: str | None) -> None:
        """Refuse messages with ``blocked`` from now on (``by`` blocked this account), or take them again."""
        self.session.blocked_by = by

    def set_voice(self, may_post: bool, may_react: bool, mentions_room: bool) -> None:
        """Refuse messages (and reactions) with read_only from now on, or take them again; the same of
        mentions of the whole room."""
        self.session.read_only, self.session.may_react = not may_post, may_react
        self.session.mentions_room = mentions_room

    def rename(self, name: str) -> None:
        """The account has a new name: say so, and close so that the client comes back under it."""
        if self.session.state >= State.CLOSING:
            return
        self.send_frames([protocol.renamed_frame(name)])
        self.close_with(protocol.CLOSE_RECONNECT, "renamed")

    def renew(self) -> None:
        """Its session was replaced by a new one in the same browser: close so that it comes back with it."""
        if self.session.state >= State.CLOSING:
            return
        self.close_with(protocol.CLOSE_RECONNECT, "session renewed")
