"""A live chat socket keeps nothing of its upgrade: no request connection, headers or waiting coroutines."""

from __future__ import annotations

import asyncio

from tornado.testing import gen_test

from chatroom.handlers import ChatSocketHandler
from chatroom.live_socket import OwnLoopProtocol
from tests.chat_case import ChatTestCase


class LiveSocketTest(ChatTestCase):
    """Once a member is in, the upgrade's objects are let go and frames still flow both ways."""

    @gen_test
    async def test_a_live_member_holds_no_upgrade_objects_and_still_talks(self) -> None:
        """The request's connection, headers and cookies are gone; the upgrade's task has ended."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        (handler,) = [m for m in ChatSocketHandler.clients["lobby"] if m.nick == "ann"]
        request = handler.request
        assert (request.connection, request.server_connection) == (None, None)
        assert (len(request.headers), request.query_arguments, "_cookies" in vars(request)) == (0, {}, False)
        assert request.remote_ip == "127.0.0.1"
        assert isinstance(handler.ws_connection, OwnLoopProtocol)
        running = [task.get_coro().__qualname__ for task in asyncio.all_tasks()]  # type: ignore[union-attr]
        assert not [name for name in running if name.endswith(("_execute", ".get", "_server_request_loop"))]
        ann.write_message('{"type": "message", "message": "hello"}')
        assert (await self.recv_type(bob, "user"))["message"] == "hello"
        bob.close()
        assert (await self.recv_type(ann, "sys"))["event"] == "join"
        left = await self.recv_type(ann, "sys")
        assert (left["event"], left["nick"]) == ("leave", "bob")
