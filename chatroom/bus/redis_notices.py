"""Notices on the Redis bus's channel of notices: ``n<node>\\n<json>``, one JSON object per notice.

The node tag lets a node skip its own notices (it acted on them when it
published them). A node that does not understand a notice (one of a later
version) drops it.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..events import (
    AccountNotice,
    ActivityNotice,
    GuestNotice,
    Notice,
    PresenceNotice,
    RoomNotice,
    SettingsNotice,
    UnreadNotice,
)


def notice_frame(node_tag: bytes, notice: Notice) -> bytes:
    """A notice for the other nodes, tagged with the node that publishes it."""
    return b"n" + node_tag + b"\n" + orjson.dumps(_body(notice))


def _body(notice: Notice) -> dict[str, Any]:
    if isinstance(notice, SettingsNotice):
        return {"settings": {"guests": notice.guests}}
    if isinstance(notice, GuestNotice):
        return {"guest": notice.nick_key, "room": notice.room, "until": notice.until}
    if isinstance(notice, RoomNotice):
        return {
            "room": notice.room,
            "change": notice.change,
            "members": list(notice.members),
            "removed": list(notice.removed),
        }
    if isinstance(notice, UnreadNotice):
        counts = [notice.read_id, notice.unread, notice.mentions, notice.notify]
        return {"unread": counts, "account": notice.account_id, "room": notice.room}
    if isinstance(notice, ActivityNotice):
        return {"activity": notice.room, "last_id": notice.last_id}
    if isinstance(notice, PresenceNotice):
        # No "change" nor "room": a node of an older version drops it.
        return {"presence": notice.account_id}
    session = notice.session_hash.hex() if notice.session_hash is not None else None
    return {"account": notice.account_id, "change": notice.change, "session": session}


def decode_notice(data: bytes, own_tag: bytes) -> Notice | None:
    """The notice of a frame on the notices channel; None for this node's own, or a frame not understood."""
    if data[:1] != b"n":
        return None
    origin, payload = data[1:].split(b"\n", 1)
    if origin == own_tag:
        return None
    body = orjson.loads(payload)
    if "settings" in body:
        return SettingsNotice(bool(body["settings"]["guests"]))
    if "guest" in body:
        return GuestNotice(body["room"], body["guest"], int(body["until"]))
    if "unread" in body:
        read_id, unread, mentions, notify = body["unread"]
        return UnreadNotice(
            int(body["account"]), body["room"], int(read_id), int(unread), int(mentions), notify
        )
    if "activity" in body:
        return ActivityNotice(body["activity"], int(body["last_id"]))
    if "presence" in body:
        return PresenceNotice(int(body["presence"]))
    if "room" in body:
        return RoomNotice(body["room"], body["change"], tuple(body["members"]), tuple(body["removed"]))
    if "change" not in body:
        return None
    session = bytes.fromhex(body["session"]) if body["session"] is not None else None
    return AccountNotice(int(body["account"]), body["change"], session)
