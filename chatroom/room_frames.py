"""The frames of someone's list of rooms: a room's entry, its changes, unread counts, direct peers.

Built here, pure, and exported by protocol.py with the other server frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store.records import RoomRecord


def room_entry(record: RoomRecord, online: int) -> dict[str, Any]:
    """A room as the rooms list and the live room frames show it (version 1's three fields first)."""
    return {
        "room": record.room,
        "online": online,
        "last_id": record.last_id,
        "kind": record.kind,
        "title": record.display_name,
        "archived": record.archived_at is not None,
        # "everyone", or "managers": only its owner and administrators post (an announcements room).
        "posting": record.posting,
        # An open room every person is in, those who join the server later too (they may leave it).
        "everyone_in": record.everyone_in,
        # What the room is for, one line ("" for none): set by anyone who may post in it.
        "topic": record.topic,
        # "everyone", or "managers": only its owner and administrators mention all of it (``@room``).
        "room_mentions": record.room_mentions,
    }


def room_frame(change: str, entry: dict[str, Any], by: str | None = None) -> dict[str, Any]:
    """A room one may see was created or changed: its new entry (docs/protocol.md, "Live room list"),
    and for a change someone's name goes with (a topic set), who made it."""
    frame = {"type": "room", "change": change, "room": entry}
    return frame if by is None else {**frame, "by": by}


def unread_frame(
    room: str, unread: int, mentions: int, read_id: int, notify: str, *, back: bool = False
) -> dict[str, Any]:
    """Someone's counts in a room changed: to every connection of theirs ("Unread counts").

    ``back``: they marked it unread, so its ``read_id`` went back (the frame says so only then)."""
    frame = {
        "type": "unread",
        "room": room,
        "unread": unread,
        "mentions": mentions,
        "read_id": read_id,
        "notify": notify,
    }
    return {**frame, "back": True} if back else frame


def room_gone_frame(room: str) -> dict[str, Any]:
    """A room one could see is no longer one's to see (taken out of it)."""
    return {"type": "room_gone", "room": room}


def peer_frame(room: str, name: str, online: bool) -> dict[str, Any]:
    """The other person of a direct room came online or went away, on any node ("Direct rooms")."""
    return {"type": "peer", "room": room, "name": name, "online": online}
