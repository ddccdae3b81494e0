"""WebSocket clients for the tests: the ``websockets`` library, straight to the server.

Helpers for tests that run in threads use ``websockets.sync``; those for tests
on an event loop, their names starting with an ``a`` (``ajoin`` for ``join``),
use ``websockets.asyncio``. A ``target`` is a ServerProcess or the ws:// URL of
a server's /ws; query parameters are keyword arguments. A ``timeout`` bounds
the whole call unless the docstring says otherwise; a ``skip`` names the frame
types that may come before the one awaited (any other fails the test). A
member that sends frames no library would is tests/raw_ws.py's RawMember.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import time
import urllib.parse
from collections.abc import Callable, Container
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support import ServerProcess, unique

Frame = dict[str, Any]
Target = ServerProcess | str
Kinds = str | tuple[str, ...]

# Straight to the server (no proxy from the environment), and a sync client
# usable outside a with-block: options websockets 15 and 17 added, when present.
_SYNC_OPTIONS = inspect.signature(connect).parameters
DIRECT: dict[str, Any] = {"proxy": None} if "proxy" in _SYNC_OPTIONS else {}
DIRECT |= {"legacy": True} if "legacy" in _SYNC_OPTIONS else {}
ASYNC_DIRECT: dict[str, Any] = (
    {"proxy": None} if "proxy" in inspect.signature(async_connect).parameters else {}
)

# Frames that may come between any two others: joins, leaves, typing, a direct room's peer coming or going,
# an account's unread counts (a member's own room counts the others' messages a moment after they come),
# a reply in a thread it follows (told a moment after the reply).
NOTICES = ("sys", "presence", "typing", "peer", "unread", "thread_reply")
# What may come before the answer to a member's own message: notices, chat.
BEFORE_ANSWER = (*NOTICES, "user")


class _AnyType:
    """A ``skip`` that lets frames of any type go by."""

    def __contains__(self, kind: object) -> bool:
        return True


ANY_TYPE: Container[str] = _AnyType()


def ws_url(target: Target, **params: Any) -> str:
    """The URL of ``target``'s /ws with these query parameters (those that are None left out)."""
    base = target.ws_url if isinstance(target, ServerProcess) else target
    query = {name: value for name, value in params.items() if value is not None}
    return f"{base}?{urllib.parse.urlencode(query)}"


def _decode(raw: str | bytes) -> Frame:
    frame = json.loads(raw)
    assert isinstance(frame, dict), frame
    return frame


def _wanted(frame: Frame, kind: Kinds, skip: Container[str]) -> bool:
    """Whether ``frame`` is of ``kind``; any other frame must be of a ``skip`` type."""
    if frame["type"] in ((kind,) if isinstance(kind, str) else kind):
        return True
    assert frame["type"] in skip, f"expected {kind}, got {frame}"
    return False


def _assert_welcome_and_history(welcome: Frame, history: Frame) -> None:
    assert (welcome["type"], history["type"]) == ("welcome", "history"), (welcome, history)


def _is_own_join(frame: Frame, nick: str, skip: Container[str]) -> bool:
    """Whether ``frame`` is ``nick``'s own join; any other frame must be of a ``skip`` type."""
    if (frame["type"], frame.get("event"), frame.get("nick")) == ("sys", "join", nick):
        return True
    assert frame["type"] in skip, f"expected {nick}'s own join, got {frame}"
    return False


def _message(text: str, ref: str) -> str:
    return json.dumps({"type": "message", "message": text, "ref": ref})


def _answers(frame: Frame, ref: str) -> bool:
    """Whether ``frame`` answers a message: an ack or error, which must be for ``ref``."""
    if frame["type"] not in ("ack", "error"):
        assert frame["type"] in BEFORE_ANSWER, f"expected the answer to {ref}, got {frame}"
        return False
    assert frame.get("ref") == ref, f"expected the answer to {ref}, got {frame}"
    return True


# --- threads: websockets.sync ----------------------------------------------------


class _Deadline:
    def __init__(self, timeout: float) -> None:
        self.at = time.monotonic() + timeout

    def left(self) -> float:
        return max(self.at - time.monotonic(), 0.0)


def open_ws(
    target: Target,
    *,
    max_queue: int | None = 16,
    source: str | None = None,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> ClientConnection:
    """A WebSocket to ``target``; no Origin header unless ``headers`` has one.

    The client reads ahead up to ``max_queue`` frames (None: everything) and
    takes frames of any size; ``source``: the loopback address the TCP
    connection comes from.
    """
    url = ws_url(target, **params)
    options: dict[str, Any] = {"open_timeout": 10, "max_size": None, "max_queue": max_queue, **DIRECT}
    if headers:
        options["additional_headers"] = headers
    if source is not None:
        address = urllib.parse.urlsplit(url)
        options["sock"] = socket.create_connection(
            (address.hostname, address.port), timeout=10, source_address=(source, 0)
        )
    ws: ClientConnection = connect(url, **options)
    return ws


def receive(ws: ClientConnection, timeout: float = 10) -> Frame:
    """The next frame, decoded."""
    return _decode(ws.recv(timeout=timeout))


def next_of(ws: ClientConnection, kind: Kinds, timeout: float = 10, skip: Container[str] = NOTICES) -> Frame:
    """The next frame of type ``kind`` (or of one of its types), skipping only the ``skip`` types."""
    deadline = _Deadline(timeout)
    while True:
        frame = receive(ws, deadline.left())
        if _wanted(frame, kind, skip):
            return frame


def own_next(ws: ClientConnection, kind: Kinds) -> Frame:
    """The sender's next ``kind`` frame: its own messages' echoes and acks come in any order."""
    return next_of(ws, kind, skip=(*BEFORE_ANSWER, "ack"))


def welcomed(
    target: Target, *, max_queue: int | None = 16, source: str | None = None, **params: Any
) -> tuple[ClientConnection, Frame, Frame]:
    """A connection that has read its welcome and history frames: those two; nothing after is read."""
    ws = open_ws(target, max_queue=max_queue, source=source, **params)
    welcome, history = receive(ws), receive(ws)
    _assert_welcome_and_history(welcome, history)
    return ws, welcome, history


def own_join(ws: ClientConnection, nick: str, skip: Container[str] = ()) -> Frame:
    """This member's own join, the frame after its history (unless frames of ``skip`` types come first)."""
    deadline = _Deadline(10)
    while True:
        frame = receive(ws, deadline.left())
        if _is_own_join(frame, nick, skip):
            return frame


def join(
    target: Target,
    room: str,
    nick: str,
    *,
    max_queue: int | None = 16,
    source: str | None = None,
    skip: Container[str] = (),
) -> ClientConnection:
    """A member that has read its welcome, history and own join (``skip``: as own_join)."""
    ws, _, _ = welcomed(target, max_queue=max_queue, source=source, room=room, nick=nick)
    own_join(ws, nick, skip)
    return ws


def user_frames(
    ws: ClientConnection, count: int, timeout: float = 10, skip: Container[str] = NOTICES
) -> list[Frame]:
    """The next ``count`` chat messages, each within ``timeout``, skipping frames of the ``skip`` types."""
    return [next_of(ws, "user", timeout, skip) for _ in range(count)]


def say(ws: ClientConnection, text: str) -> None:
    """Send a chat message without a ref."""
    ws.send(json.dumps({"type": "message", "message": text}))


def send_message(ws: ClientConnection, text: str, ref: str, timeout: float = 10) -> Frame:
    """Send ``text`` with ``ref``: the ack or error that answers it (the next of either)."""
    ws.send(_message(text, ref))
    deadline = _Deadline(timeout)
    while True:
        frame = receive(ws, deadline.left())
        if _answers(frame, ref):
            return frame


def frames_until(ws: ClientConnection, last: Callable[[Frame], bool], timeout: float = 10) -> list[Frame]:
    """The frames up to and including the first for which ``last`` holds."""
    deadline = _Deadline(timeout)
    frames = [receive(ws, deadline.left())]
    while not last(frames[-1]):
        frames.append(receive(ws, deadline.left()))
    return frames


def next_leave(ws: ClientConnection, skip: Container[str] = NOTICES) -> str:
    """The nick of the next member to leave; joins and frames of the ``skip`` types may come first."""
    while True:
        frame = next_of(ws, "sys", skip=skip)
        if frame["event"] == "leave":
            return str(frame["nick"])


def close_code(ws: ClientConnection, timeout: float = 10, skip: Container[str] = ANY_TYPE) -> int | None:
    """Read until the server closes, frames of the ``skip`` types only: the code it sent (None: dropped)."""
    deadline = _Deadline(timeout)
    try:
        while True:
            frame = receive(ws, deadline.left())
            assert frame["type"] in skip, f"expected the close, got {frame}"
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        pytest.fail("the server did not close the connection")


def refused_on_open(target: Target, **params: Any) -> tuple[Frame, int | None]:
    """The one frame a refused session gets before its close, and the close code."""
    with open_ws(target, **params) as ws:
        error = receive(ws)
        return error, close_code(ws, skip=())


def assert_room_carries_on(watcher: ClientConnection, speaker: ClientConnection) -> None:
    """The next chat the watcher sees is a fresh message: nothing refused got through."""
    text = unique("still here ")
    say(speaker, text)
    assert next_of(watcher, "user")["message"] == text


# --- event loops: websockets.asyncio ----------------------------------------------


async def aopen_ws(target: Target, *, max_queue: int | None = 16, **params: Any) -> AsyncConnection:
    """A WebSocket to ``target``, as open_ws."""
    url = ws_url(target, **params)
    return await async_connect(url, open_timeout=10, max_size=None, max_queue=max_queue, **ASYNC_DIRECT)


async def areceive(ws: AsyncConnection, timeout: float = 10) -> Frame:
    """The next frame, decoded."""
    return _decode(await asyncio.wait_for(ws.recv(), timeout))


async def anext_of(
    ws: AsyncConnection, kind: Kinds, timeout: float = 10, skip: Container[str] = NOTICES
) -> Frame:
    """The next frame of type ``kind``, as next_of."""
    async with asyncio.timeout(timeout):
        while True:
            frame = _decode(await ws.recv())
            if _wanted(frame, kind, skip):
                return frame


async def awelcomed(
    target: Target, *, max_queue: int | None = 16, **params: Any
) -> tuple[AsyncConnection, Frame, Frame]:
    """A connection that has read its welcome and history frames, as welcomed."""
    ws = await aopen_ws(target, max_queue=max_queue, **params)
    welcome, history = await areceive(ws), await areceive(ws)
    _assert_welcome_and_history(welcome, history)
    return ws, welcome, history


async def ajoin(
    target: Target, room: str, nick: str, *, max_queue: int | None = 16, skip: Container[str] = ()
) -> tuple[AsyncConnection, Frame]:
    """A member that has read its welcome, history and own join, as join: it and its welcome."""
    ws, welcome, _ = await awelcomed(target, max_queue=max_queue, room=room, nick=nick)
    async with asyncio.timeout(10):
        while True:
            if _is_own_join(_decode(await ws.recv()), nick, skip):
                return ws, welcome


async def auser_frames(
    ws: AsyncConnection, count: int, timeout: float = 10, skip: Container[str] = NOTICES
) -> list[Frame]:
    """The next ``count`` chat messages, each within ``timeout``, as user_frames."""
    return [await anext_of(ws, "user", timeout, skip) for _ in range(count)]


async def asend_message(ws: AsyncConnection, text: str, ref: str, timeout: float = 10) -> Frame:
    """Send ``text`` with ``ref``: the ack or error that answers it, as send_message."""
    await ws.send(_message(text, ref))
    async with asyncio.timeout(timeout):
        while True:
            frame = _decode(await ws.recv())
            if _answers(frame, ref):
                return frame


async def asend_acked(ws: AsyncConnection, texts: list[str], timeout: float = 10) -> dict[str, int]:
    """Send every text at once, with refs "0", "1"...; every one must be acked: ref -> id."""
    for n, text in enumerate(texts):
        await ws.send(_message(text, str(n)))
    acks: dict[str, int] = {}
    async with asyncio.timeout(timeout):
        while len(acks) < len(texts):
            frame = _decode(await ws.recv())
            assert frame["type"] != "error", frame
            if frame["type"] == "ack":
                acks[frame["ref"]] = frame["id"]
    return acks


async def aframes_until(
    ws: AsyncConnection, last: Callable[[Frame], bool], timeout: float = 10
) -> list[Frame]:
    """The frames up to and including the first for which ``last`` holds."""
    async with asyncio.timeout(timeout):
        frames = [_decode(await ws.recv())]
        while not last(frames[-1]):
            frames.append(_decode(await ws.recv()))
    return frames


async def aclose_code(
    ws: AsyncConnection, timeout: float = 10, skip: Container[str] = ANY_TYPE
) -> int | None:
    """Read until the server closes, as close_code."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                frame = _decode(await ws.recv())
                assert frame["type"] in skip, f"expected the close, got {frame}"
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        pytest.fail("the server did not close the connection")


async def arefused_on_open(target: Target, **params: Any) -> tuple[Frame, int | None]:
    """The one frame a refused session gets before its close, and the close code."""
    async with await aopen_ws(target, **params) as ws:
        error = await areceive(ws)
        return error, await aclose_code(ws, skip=())
