"""A guest removed by an administrator: closed in every room its address is a guest in, on every node.

The administrator names one guest in one room (api_admin.py), and every node
is told (events.GuestNotice). The node that holds that connection bars its
address in the store (moderation.py), closes it, and tells every node the
address: each closes its guests from that address, in any room, as a guest
connecting from there would be refused. Without that, a guest with a second
tab open in another room would carry on there until it reconnected.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from . import protocol
from .backend import Backend, BackendError
from .events import GuestNotice
from .identity import Identity
from .moderation import audit, when
from .store.base import StoreError

log = logging.getLogger("chatroom.notices")

# Runs a coroutine in the background, keeping hold of it (hub.Hub.spawn).
Spawn = Callable[[Awaitable[Any]], None]


class GuestConnection(Protocol):
    """What removing a guest needs of a chat connection (notice_connection.Connection has it all)."""

    @property
    def room(self) -> str: ...

    @property
    def who(self) -> Identity | None: ...

    @property
    def nick_key(self) -> str: ...

    @property
    def address(self) -> str: ...

    def expel(self, code: str, message: str) -> None: ...


def remove_guests(
    notice: GuestNotice, connections: Iterable[GuestConnection], backend: Backend, spawn: Spawn
) -> None:
    """Act on a removal: the guest named (bar its address, close it, tell the nodes the address), or,
    once an address is told, every guest connection from it."""
    guests = [connection for connection in connections if connection.who is None and connection.room]
    if notice.address:
        message = (
            f"an administrator removed you: guests from your address may return after {when(notice.until)}"
        )
        for connection in guests:
            if connection.address == notice.address:
                connection.expel(protocol.FORBIDDEN, message)
        return
    for connection in guests:
        if connection.nick_key == notice.nick_key and connection.room == notice.room:
            spawn(_bar_and_expel(connection, notice, backend))


async def _bar_and_expel(connection: GuestConnection, notice: GuestNotice, backend: Backend) -> None:
    """Bar the guest's address, then close its connection: coming straight back is refused; then every
    node closes the address's other guest connections."""
    address, until = connection.address, notice.until
    try:
        if address:
            until = await backend.accounts.bar_guest(address, notice.until)
    except StoreError as error:
        log.warning("cannot bar a removed guest's address: %s", error)
        address = ""
    connection.expel(protocol.FORBIDDEN, f"an administrator removed you from {notice.room!r}")
    if not address:
        audit.info("closed the guest %r in %r; its address is not barred", connection.nick_key, notice.room)
        return
    audit.info(
        "closed the guest %r in %r; barred its address %s until %s",
        connection.nick_key,
        notice.room,
        address,
        when(until),
    )
    try:
        await backend.notify(GuestNotice("", "", until, address=address))
    except BackendError as error:
        log.warning(
            "cannot tell the other nodes of a barred address (its guests stay till they leave): %s", error
        )
