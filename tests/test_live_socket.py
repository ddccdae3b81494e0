"""A live chat socket keeps nothing of its upgrade; its frames are pushed to a frame reader as they come."""

from __future__ import annotations

import asyncio
import socket

import tornado.httpserver
from tornado.testing import gen_test

from chatroom.handlers import ChatSocketHandler
from chatroom.live_socket import LiveProtocol
from chatroom.push_stream import PushReadStream
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
        assert isinstance(handler.ws_connection, LiveProtocol)
        assert handler.ws_connection.reader is not None and handler.ws_connection.receiving is None
        stream = handler.ws_connection.stream
        assert isinstance(stream, PushReadStream) and stream.pushing()
        running = [task.get_coro().__qualname__ for task in asyncio.all_tasks()]  # type: ignore[union-attr]
        assert not [name for name in running if name.endswith(("_execute", ".get", "_server_request_loop"))]
        ann.write_message('{"type": "message", "message": "hello"}')
        assert (await self.recv_type(bob, "user"))["message"] == "hello"
        bob.close()
        assert (await self.recv_type(ann, "sys"))["event"] == "join"
        left = await self.recv_type(ann, "sys")
        assert (left["event"], left["nick"]) == ("leave", "bob")

    @gen_test
    async def test_frames_sent_with_the_upgrade_and_split_across_reads_arrive_whole(self) -> None:
        """A client that writes frames before its welcome, and one byte at a time, is read as it meant."""
        bob, _, _ = await self.join("bob")
        with socket.create_connection(("127.0.0.1", self.get_http_port())) as raw:
            upgrade = (
                "GET /ws?room=lobby&nick=ann HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            )
            first, second = (masked_text(f'{{"type":"message","message":"{t}"}}') for t in ("early", "split"))
            raw.sendall(upgrade.encode() + first)
            assert (await self.recv_type(bob, "user"))["message"] == "early"
            for byte in second:
                raw.sendall(bytes([byte]))
                await asyncio.sleep(0)
            assert (await self.recv_type(bob, "user"))["message"] == "split"


def masked_text(text: str) -> bytes:
    """One masked client text frame (payload under 126 bytes)."""
    payload = text.encode()
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


class PlainServerTest(ChatTestCase):
    """Under a plain Tornado HTTPServer (an embedding of make_app) frames are read by a task of their own."""

    def get_http_server(self) -> tornado.httpserver.HTTPServer:
        return tornado.httpserver.HTTPServer(self._app)

    @gen_test
    async def test_a_member_talks_with_frames_read_by_a_task(self) -> None:
        """Without a pushing stream Tornado's frame loop runs apart from the upgrade, and chat works."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        (handler,) = [m for m in ChatSocketHandler.clients["lobby"] if m.nick == "ann"]
        assert isinstance(handler.ws_connection, LiveProtocol)
        assert handler.ws_connection.reader is None and handler.ws_connection.receiving is not None
        ann.write_message('{"type": "message", "message": "hello"}')
        assert (await self.recv_type(bob, "user"))["message"] == "hello"
