"""Fan-out: the Tornado internals it relies on, and the Outbox's promises."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import tornado.websocket
from tornado.httpclient import HTTPRequest
from tornado.iostream import IOStream

from chatroom import protocol
from chatroom.fanout import SLICE_CHECK_EVERY, FlushScheduler, Outbox, encode_frames, text_frame
from chatroom.handlers import ChatSocketHandler
from chatroom.listener import AdmittedStream

from .chat_case import ChatTestCase

# --- the Tornado internals fanout.py writes through --------------------------


class RecordingStream:
    """Stands in for an IOStream: keeps what a protocol object writes."""

    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> asyncio.Future[None]:
        self.written += data
        future: asyncio.Future[None] = asyncio.get_event_loop_policy().get_event_loop().create_future()
        future.set_result(None)
        return future


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_frame_bytes_match_tornados_own_text_frames(length: int) -> None:
    """Our frames equal, byte for byte, what WebSocketProtocol13._write_frame sends."""
    payload = bytes(range(256)) * (length // 256) + bytes(range(length % 256))
    stream = RecordingStream()
    handler: Any = object.__new__(tornado.websocket.WebSocketHandler)
    wire = tornado.websocket.WebSocketProtocol13(handler, mask_outgoing=False, params=_params())
    wire.stream = stream  # type: ignore[assignment]
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        wire._write_frame(True, 0x1, payload)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert stream.written == text_frame(payload)


def _params() -> tornado.websocket._WebSocketParams:
    return tornado.websocket._WebSocketParams()


def test_encode_frames_joins_json_frames_in_order() -> None:
    """Several server frames become consecutive text frames with their JSON payloads."""
    frames = [{"type": "typing", "room": "r", "nick": "a"}, {"type": "typing", "room": "r", "nick": "b"}]
    expected = b"".join(text_frame(protocol.encode(frame)) for frame in frames)
    assert encode_frames(frames) == expected


def test_the_chat_handler_offers_no_compression() -> None:
    """ChatSocketHandler keeps Tornado's default of no compression, so frames go out as built."""
    handler = object.__new__(ChatSocketHandler)
    assert handler.get_compression_options() is None


def test_iostream_writing_reports_buffered_bytes() -> None:
    """IOStream.writing() is true while bytes wait in its buffer and false once the socket took them."""

    async def scenario() -> None:
        ours, theirs = socket.socketpair()
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        theirs.setblocking(False)
        stream = IOStream(ours)
        try:
            assert not stream.writing()
            stream.write(b"x" * 4_000_000)
            assert stream.writing()
            while stream.writing():
                _drain(theirs)
                await asyncio.sleep(0.001)
        finally:
            stream.close()
            theirs.close()

    asyncio.run(scenario())


class TornadoConnectionTest(ChatTestCase):
    """The real server's sessions, as fanout.py sees them."""

    def test_session_stream_writes_as_an_iostream_does_on_its_socket(self) -> None:
        """ws_connection.stream is the listener's stream, writing as IOStream does, on the member's socket."""

        async def scenario() -> None:
            client, _, _ = await self.join("ann")
            (session,) = self.app.hub.sessions
            assert session.ws_connection is not None
            stream = session.ws_connection.stream
            assert isinstance(stream, AdmittedStream) and type(stream).write_to_fd is IOStream.write_to_fd
            assert session.outbox is not None and session.outbox._direct
            assert isinstance(stream.socket, socket.socket)
            assert stream.socket.getpeername()[1] == client.protocol.stream.socket.getsockname()[1]  # type: ignore[union-attr]

        self.io_loop.run_sync(scenario)

    def test_no_compression_is_negotiated_when_a_client_asks(self) -> None:
        """A client offering permessage-deflate gets no extension back."""

        async def scenario() -> None:
            request = HTTPRequest(self.ws_url(room="lobby", nick="bea"))
            client = await tornado.websocket.websocket_connect(request, compression_options={})
            self.clients.append(client)
            assert client.headers is not None
            assert client.headers.get("Sec-WebSocket-Extensions") is None
            assert client.protocol._compressor is None  # type: ignore[union-attr]
            welcome = await self.recv(client)
            assert welcome["type"] == "welcome"

        self.io_loop.run_sync(scenario)

    def test_members_receive_a_burst_in_order(self) -> None:
        """Frames broadcast in one tick reach a member complete and in order."""

        async def scenario() -> None:
            client, _, _ = await self.join("cat")
            frames = [protocol.typing_frame("lobby", f"n{i}") for i in range(50)]
            for frame in frames:
                ChatSocketHandler.send_to_all("lobby", [frame])
            received = [await self.recv(client) for _ in frames]
            assert [f["nick"] for f in received] == [f["nick"] for f in frames]

        self.io_loop.run_sync(scenario)


# --- Outbox ---------------------------------------------------------------------


class CountingSocket:
    """Wraps a socket and counts the send calls made on it."""

    def __init__(self, inner: socket.socket) -> None:
        self.inner = inner
        self.sends = 0

    def send(self, data: bytes) -> int:
        self.sends += 1
        return self.inner.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _drain(sock: socket.socket) -> bytes:
    received = b""
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            return received
        if not chunk:
            return received
        received += chunk


def run_with_pair(
    scenario: Callable[[IOStream, socket.socket, CountingSocket], Awaitable[None]], sndbuf: int = 0
) -> None:
    """Run ``scenario`` with an IOStream on one end of a socket pair and the raw other end."""

    async def main() -> None:
        ours, theirs = socket.socketpair()
        if sndbuf:
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
            theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, sndbuf)
        theirs.setblocking(False)
        stream = IOStream(ours)
        counting = CountingSocket(ours)
        stream.socket = counting  # type: ignore[assignment]
        try:
            await scenario(stream, theirs, counting)
        finally:
            stream.close()
            theirs.close()

    asyncio.run(main())


async def next_tick() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def broadcast_past_its_slice(
    stream: IOStream, members: int, data: bytes
) -> tuple[FlushScheduler, list[Outbox]]:
    """``members`` outboxes on ``stream`` and a broadcast to them left unfinished after its first slice."""
    scheduler = FlushScheduler(slice_seconds=0.0)
    outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(members)]
    scheduler.broadcast(outboxes, data)
    return scheduler, outboxes


async def loop_turns(count: int = 4) -> None:
    """Let the loop run ``count`` iterations: an unfinished broadcast goes on one slice in each."""
    for _ in range(count):
        await asyncio.sleep(0)


def make_outbox(stream: IOStream, max_backlog: int = 1 << 20) -> tuple[Outbox, list[str]]:
    overflows: list[str] = []
    return Outbox(stream, FlushScheduler(), max_backlog, lambda: overflows.append("cut")), overflows


def test_frames_sent_in_one_tick_go_out_in_one_write_in_order() -> None:
    """Three frames queued in one tick leave in one socket write, in the order sent."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        outbox, _ = make_outbox(stream)
        for data in (b"first|", b"second|", b"third|"):
            outbox.send(data)
        assert _drain(peer) == b""
        await next_tick()
        assert _drain(peer) == b"first|second|third|"
        assert counting.sends == 1

    run_with_pair(scenario)


def test_one_scheduler_flushes_every_member_once_per_tick() -> None:
    """Each member gets its pending frames at the end of the tick, one write each."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler()
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(3)]
        for outbox in outboxes:
            outbox.send(b"a")
            outbox.send(b"b")
        await next_tick()
        assert _drain(peer) == b"ababab"
        assert counting.sends == 3

    run_with_pair(scenario)


def test_a_long_round_lets_other_work_run_and_still_reaches_everyone() -> None:
    """A round past its time slice lets queued callbacks run, then finishes every member in order."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler(slice_seconds=0.0)
        members = SLICE_CHECK_EVERY * 3
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(members)]
        for index, outbox in enumerate(outboxes):
            outbox.send(b"%d," % index)
        sends_when_other_work_ran: list[int] = []
        asyncio.get_running_loop().call_soon(lambda: sends_when_other_work_ran.append(counting.sends))
        for _ in range(6):
            await asyncio.sleep(0)
        assert sends_when_other_work_ran == [SLICE_CHECK_EVERY]
        assert _drain(peer) == b"".join(b"%d," % index for index in range(members))

    run_with_pair(scenario)


def test_frames_queued_between_slices_ride_on_the_same_write() -> None:
    """A member not yet reached when a new frame arrives gets both frames in one write."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler(slice_seconds=0.0)
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(SLICE_CHECK_EVERY + 1)]
        for outbox in outboxes:
            outbox.send(b"a")
        last = outboxes[-1]
        asyncio.get_running_loop().call_soon(last.send, b"b")
        for _ in range(4):
            await asyncio.sleep(0)
        assert _drain(peer) == b"a" * SLICE_CHECK_EVERY + b"ab"
        assert counting.sends == SLICE_CHECK_EVERY + 1

    run_with_pair(scenario)


def test_order_is_kept_when_the_socket_pushes_back() -> None:
    """A member whose socket is full still receives every byte, in order, once it reads."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        outbox, overflows = make_outbox(stream, max_backlog=64 << 20)
        chunks = [bytes([65 + i % 26]) * 50_000 for i in range(40)]
        for chunk in chunks:
            outbox.send(chunk)
            await next_tick()
        assert outbox.backlog > 0
        received = b""
        for _ in range(2000):
            received += _drain(peer)
            if len(received) == sum(map(len, chunks)):
                break
            await asyncio.sleep(0.001)
        assert received == b"".join(chunks)
        assert outbox.backlog == 0
        assert overflows == []

    run_with_pair(scenario, sndbuf=8192)


def test_a_member_past_its_backlog_bound_is_cut_off_once() -> None:
    """A member that never reads is cut off once its backlog passes the bound, then gets nothing."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        outbox, overflows = make_outbox(stream, max_backlog=100_000)
        for _ in range(200):
            outbox.send(b"x" * 10_000)
            await next_tick()
            if outbox.closed:
                break
        assert overflows == ["cut"]
        assert outbox.closed
        sends = counting.sends
        outbox.send(b"more")
        outbox.flush()
        await next_tick()
        assert counting.sends == sends
        assert overflows == ["cut"]

    run_with_pair(scenario, sndbuf=8192)


def test_backlog_counts_bytes_the_socket_has_not_taken() -> None:
    """The backlog grows with queued frames and falls to zero once they are written."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        outbox, _ = make_outbox(stream)
        outbox.send(b"12345")
        outbox.send(b"678")
        assert outbox.backlog == 8
        await next_tick()
        assert outbox.backlog == 0
        assert _drain(peer) == b"12345678"

    run_with_pair(scenario)


def test_a_closed_stream_is_skipped() -> None:
    """Frames for a member whose stream closed are dropped without an error and without a write."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        outbox, overflows = make_outbox(stream)
        outbox.send(b"queued before the close")
        stream.close()
        await next_tick()
        outbox.send(b"after")
        await next_tick()
        assert counting.sends == 0
        assert outbox.closed
        assert overflows == []

    run_with_pair(scenario)


def test_a_cut_off_outbox_sends_nothing() -> None:
    """After cut_off, queued and new frames are dropped."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        outbox, _ = make_outbox(stream)
        outbox.send(b"dropped")
        outbox.cut_off()
        outbox.send(b"also dropped")
        await next_tick()
        assert _drain(peer) == b""
        assert outbox.backlog == 0

    run_with_pair(scenario)


# --- broadcast -------------------------------------------------------------------


def test_a_broadcast_reaches_idle_members_before_the_tick_ends() -> None:
    """The first broadcast of a tick is on every idle member's socket when it returns, one write each."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler()
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(3)]
        scheduler.broadcast(outboxes, b"hi|")
        assert _drain(peer) == b"hi|hi|hi|"
        assert counting.sends == 3

    run_with_pair(scenario)


def test_the_listeners_streams_are_written_straight_to_their_sockets() -> None:
    """A connection the listener accepted gets broadcasts by send, not through its stream's buffer."""

    def through_the_buffer(data: bytes | memoryview) -> asyncio.Future[None]:
        raise AssertionError("written through the stream's buffer")

    async def main() -> None:
        ours, theirs = socket.socketpair()
        theirs.setblocking(False)
        stream = AdmittedStream(ours, lambda: None, None, None)
        stream.write = through_the_buffer  # type: ignore[method-assign]
        scheduler = FlushScheduler()
        try:
            outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(2)]
            scheduler.broadcast(outboxes, b"hi|")
            scheduler.broadcast(outboxes, b"yo|")
            await next_tick()
            assert _drain(theirs) == b"hi|hi|yo|yo|"
        finally:
            stream.close()
            theirs.close()

    asyncio.run(main())


def test_later_broadcasts_of_a_tick_ride_on_one_write_per_member() -> None:
    """Broadcasts after the first in one tick are queued and leave in one write per member, in order."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler()
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(3)]
        for data in (b"a", b"b", b"c"):
            scheduler.broadcast(outboxes, data)
        assert _drain(peer) == b"aaa"
        await next_tick()
        assert _drain(peer) == b"bcbcbc"
        assert counting.sends == 6
        scheduler.broadcast(outboxes, b"d")
        assert _drain(peer) == b"ddd", "the next tick writes at once again"

    run_with_pair(scenario)


def test_a_broadcast_past_its_slice_goes_on_in_the_next_iterations() -> None:
    """Members a broadcast does not reach within its slice get the frame in later loop iterations."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler(slice_seconds=0.0)
        members = SLICE_CHECK_EVERY * 2 + 5
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(members)]
        scheduler.broadcast(outboxes, b"x")
        assert _drain(peer) == b"x" * SLICE_CHECK_EVERY
        other_work_saw: list[bytes] = []
        asyncio.get_running_loop().call_soon(lambda: other_work_saw.append(_drain(peer)))
        for _ in range(8):
            await asyncio.sleep(0)
        assert other_work_saw == [b"x" * SLICE_CHECK_EVERY], "one slice per loop iteration"
        assert _drain(peer) == b"x" * (members - 2 * SLICE_CHECK_EVERY)
        assert counting.sends == members

    run_with_pair(scenario)


def test_a_frame_for_a_member_not_yet_reached_waits_for_the_broadcast() -> None:
    """A frame sent to a member an unfinished broadcast has not reached goes out after that broadcast."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        _, outboxes = broadcast_past_its_slice(stream, SLICE_CHECK_EVERY + 1, b"x")
        outboxes[-1].send(b"|after")
        await loop_turns()
        assert _drain(peer) == b"x" * SLICE_CHECK_EVERY + b"x|after"
        assert counting.sends == SLICE_CHECK_EVERY + 2, "the broadcast, then the frame on its own"

    run_with_pair(scenario)


def test_a_frame_for_one_member_leaves_an_unfinished_broadcast_to_the_others() -> None:
    """A frame for one member does not queue the unfinished broadcast for the members it has not reached."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        _, outboxes = broadcast_past_its_slice(stream, SLICE_CHECK_EVERY * 2, b"x")
        outboxes[0].send(b"|ack")
        assert all(outbox.backlog == 0 for outbox in outboxes), "nothing queued for anyone yet"
        await loop_turns()
        assert _drain(peer) == b"x" * SLICE_CHECK_EVERY * 2 + b"|ack"
        assert counting.sends == SLICE_CHECK_EVERY * 2 + 1, "one send a member, and one for the frame"

    run_with_pair(scenario)


def test_frames_waiting_behind_a_broadcast_go_before_a_member_closes() -> None:
    """A member finished while a broadcast is unfinished gets the broadcast, then its own frames."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        _, outboxes = broadcast_past_its_slice(stream, SLICE_CHECK_EVERY + 1, b"x")
        outboxes[-1].send(b"|bye")
        outboxes[-1].finish()
        assert _drain(peer) == b"x" * SLICE_CHECK_EVERY + b"x|bye"
        await next_tick()
        assert _drain(peer) == b"", "the broadcast does not reach anyone twice"

    run_with_pair(scenario)


def test_frames_for_members_keep_their_order_behind_an_unfinished_broadcast() -> None:
    """Several frames for members during an unfinished broadcast go out in the order they were sent."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler, outboxes = broadcast_past_its_slice(stream, SLICE_CHECK_EVERY + 2, b"x")
        outboxes[-1].send(b"1")
        outboxes[-2].send(b"2")
        outboxes[-1].send(b"3")
        await loop_turns()
        assert _drain(peer) == b"x" * (SLICE_CHECK_EVERY + 2) + b"132"
        scheduler.broadcast(outboxes, b"y")
        assert _drain(peer) == b"y" * (SLICE_CHECK_EVERY), "the next broadcast writes at once again"

    run_with_pair(scenario)


def test_a_second_broadcast_keeps_behind_an_unfinished_one() -> None:
    """Members an unfinished broadcast has not reached get it before the next one, in one write."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler(slice_seconds=0.0)
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(SLICE_CHECK_EVERY + 1)]
        scheduler.broadcast(outboxes, b"a")
        scheduler.broadcast(outboxes, b"b")
        for _ in range(4):
            await asyncio.sleep(0)
        assert _drain(peer) == b"a" * SLICE_CHECK_EVERY + b"ab" + b"b" * SLICE_CHECK_EVERY
        assert counting.sends == 2 * SLICE_CHECK_EVERY + 1

    run_with_pair(scenario)


def test_a_broadcast_waits_behind_frames_already_queued_for_a_member() -> None:
    """A member with frames pending gets the broadcast after them, in the same write."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler()
        outbox = Outbox(stream, scheduler, 1 << 20, lambda: None)
        outbox.send(b"history|")
        scheduler.broadcast([outbox], b"live|")
        assert _drain(peer) == b""
        await next_tick()
        assert _drain(peer) == b"history|live|"
        assert counting.sends == 1

    run_with_pair(scenario)


def test_a_broadcast_waits_behind_bytes_the_stream_still_holds() -> None:
    """Bytes Tornado's stream still buffers (a ping, say) go out before a broadcast."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler()
        outbox = Outbox(stream, scheduler, 64 << 20, lambda: None)
        held = b"p" * 200_000
        stream.write(held)
        assert stream.writing()
        scheduler.broadcast([outbox], b"after")
        received = b""
        for _ in range(2000):
            received += _drain(peer)
            if len(received) == len(held) + 5:
                break
            await asyncio.sleep(0.001)
        assert received == held + b"after"

    run_with_pair(scenario, sndbuf=8192)


def test_a_broadcast_larger_than_the_bound_cuts_the_member_off() -> None:
    """A broadcast bigger than a member's whole backlog bound cuts it off instead of writing it."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        overflows: list[str] = []
        scheduler = FlushScheduler()
        outbox = Outbox(stream, scheduler, 100, lambda: overflows.append("cut"))
        scheduler.broadcast([outbox], b"y" * 101)
        await next_tick()
        assert overflows == ["cut"]
        assert counting.sends == 0

    run_with_pair(scenario)


def test_every_member_gets_broadcasts_in_order_when_they_overlap_across_ticks() -> None:
    """A broadcast that starts while another is still being written reaches each member after it."""

    async def main() -> None:
        scheduler = FlushScheduler(slice_seconds=0.0)
        pairs = [socket.socketpair() for _ in range(SLICE_CHECK_EVERY * 3)]
        streams = [IOStream(ours) for ours, _ in pairs]
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for stream in streams]
        try:
            scheduler.broadcast(outboxes, b"a")
            # Runs in the next iteration, after the first slice of the rest.
            asyncio.get_running_loop().call_soon(scheduler.broadcast, outboxes, b"b")
            for _ in range(12):
                await asyncio.sleep(0)
            for _, theirs in pairs:
                theirs.setblocking(False)
                assert _drain(theirs) == b"ab"
        finally:
            for stream in streams:
                stream.close()
            for _, theirs in pairs:
                theirs.close()

    asyncio.run(main())


def test_a_broadcast_is_timed_once_when_its_last_member_has_it() -> None:
    """A broadcast written over several slices is reported once, after its last member."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        durations: list[float] = []
        scheduler = FlushScheduler(slice_seconds=0.0, on_broadcast=durations.append)
        members = SLICE_CHECK_EVERY * 2 + 1
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(members)]
        scheduler.broadcast(outboxes, b"x")
        assert durations == []
        for _ in range(6):
            await asyncio.sleep(0)
        assert counting.sends == members
        assert len(durations) == 1
        assert durations[0] >= 0

    run_with_pair(scenario)


def test_a_member_closed_mid_broadcast_gets_the_broadcast_first() -> None:
    """Finishing an outbox (before a close) hands it the broadcast still being written."""

    async def scenario(stream: IOStream, peer: socket.socket, counting: CountingSocket) -> None:
        scheduler = FlushScheduler(slice_seconds=0.0)
        outboxes = [Outbox(stream, scheduler, 1 << 20, lambda: None) for _ in range(SLICE_CHECK_EVERY + 1)]
        scheduler.broadcast(outboxes, b"x")
        assert _drain(peer) == b"x" * SLICE_CHECK_EVERY
        outboxes[-1].finish()
        outboxes[-1].cut_off()
        assert _drain(peer) == b"x"

    run_with_pair(scenario)
