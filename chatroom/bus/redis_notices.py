"""Notices on the Redis bus's channel of notices: ``n<node>\\n<json>``, one JSON object per notice.

The node tag lets a node skip its own notices (it acted on them when it
published them). A node that does not understand a notice (one of a later
version) drops it.

The activity notices a node publishes together (every room it stored
messages in, every 250 ms: unread.py) travel as one object,
``{"activities": [[room, last_id], ...]}``: one message instead of one per
room, which every node's subscription reads and decodes, its own included.
A node of a version before this reads one ``{"activity": room, "last_id":
id}`` a notice, and drops the list (docs/deploy.md, "Upgrading nodes one
by one"); this version reads both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from ..emoji_frames import EmojiNotice
from ..events import (
    AccountNotice,
    ActivityNotice,
    AdminNotice,
    AvatarNotice,
    BlockNotice,
    GuestNotice,
    Notice,
    PauseNotice,
    PresenceNotice,
    ReminderNotice,
    RoomNotice,
    SavedNotice,
    ScheduledNotice,
    SettingsNotice,
    StarNotice,
    StatusNotice,
    ThreadNotice,
    ThreadReplyNotice,
    UnreadNotice,
)
from ..group_frames import GroupNotice


def notice_frames(node_tag: bytes, notices: Sequence[Notice]) -> list[bytes]:
    """Notices for the other nodes, tagged with the node that publishes them: the activity notices
    in one frame, every other notice in one of its own."""
    activities = [[n.room, n.last_id] for n in notices if isinstance(n, ActivityNotice)]
    frames = [_frame(node_tag, _body(n)) for n in notices if not isinstance(n, ActivityNotice)]
    if activities:
        frames.append(_frame(node_tag, {"activities": activities}))
    return frames


def _frame(node_tag: bytes, body: dict[str, Any]) -> bytes:
    return b"n" + node_tag + b"\n" + orjson.dumps(body)


def _body(notice: Notice) -> dict[str, Any]:
    if isinstance(notice, SettingsNotice):
        return {"settings": {"guests": notice.guests}}
    if isinstance(notice, GuestNotice):
        # An older node reads an address's notice as a guest's of no room: nobody.
        return {
            "guest": notice.nick_key,
            "room": notice.room,
            "until": notice.until,
            "address": notice.address,
        }
    if isinstance(notice, RoomNotice):
        body = {
            "room": notice.room,
            "change": notice.change,
            "members": list(notice.members),
            "removed": list(notice.removed),
        }
        return body if notice.by is None else {**body, "by": notice.by}
    if isinstance(notice, UnreadNotice):
        counts = [notice.read_id, notice.unread, notice.mentions, notice.notify]
        told: dict[str, Any] = {"unread": counts, "account": notice.account_id, "room": notice.room}
        return {**told, "back": True} if notice.back else told
    if isinstance(notice, PresenceNotice):
        # No "change" nor "room": a node of an older version drops it.
        return {"presence": notice.account_id}
    if isinstance(notice, AvatarNotice):
        # Likewise: an older node drops it, and its pages see the picture when they next load.
        return {"avatar": notice.avatar, "name": notice.name}
    if isinstance(notice, BlockNotice):
        # Likewise: an older node drops it, and its pages see the block when they next load.
        return {"block": [notice.account_id, notice.blocked_id, notice.name, notice.blocked, notice.by]}
    if isinstance(notice, AdminNotice):
        # Likewise: an older node drops it, and its pages see the mark at their next lookup.
        return {"admin": [notice.account_id, notice.name, notice.admin]}
    if isinstance(notice, StatusNotice):
        # Likewise: an older node drops it, and its pages see the status when they next load.
        shown = None if notice.emoji is None else [notice.emoji, notice.text, notice.until]
        return {"status": shown, "name": notice.name}
    if isinstance(notice, PauseNotice):
        return {"paused": notice.until, "name": notice.name}
    if isinstance(notice, SavedNotice):
        # Likewise: an older node drops it, and its pages see the list when they next load it.
        return {"saved": [notice.account_id, notice.room, notice.message_id, notice.saved_at]}
    if isinstance(notice, StarNotice):
        # Likewise: an older node drops it, and its pages see the star when they next load the list.
        return {"starred": [notice.account_id, notice.room, notice.starred]}
    if isinstance(notice, EmojiNotice):
        # Likewise: an older node drops it, and its pages see the emoji when they next load.
        return {"emoji": [notice.name, notice.digest, notice.by, notice.ts]}
    if isinstance(notice, GroupNotice):
        # Likewise: an older node drops it, and its pages see the group when they next load.
        return {"group": [notice.name, notice.now]}
    if isinstance(notice, ThreadNotice):
        # Likewise: an older node drops it, and its pages see the thread when they next read the list.
        return {"thread": [notice.account_id, notice.room, notice.root, notice.following, notice.read_id]}
    if isinstance(notice, ThreadReplyNotice):
        reply = [notice.room, notice.root, notice.reply_id, notice.author_id, list(notice.mentioned)]
        # A deletion's flag comes last, so that an older node reads it as a reply and its pages, told
        # a reply, count the thread again all the same.
        return {"thread_reply": [*reply, True] if notice.deleted else reply}
    if isinstance(notice, ScheduledNotice):
        # Likewise: an older node drops it, and its pages see the list when they next load it.
        return {"scheduled": [notice.account_id, notice.room]}
    if isinstance(notice, ReminderNotice):
        # Likewise: an older node drops it, and its pages see the list when they next load it.
        return {"reminder": [notice.account_id, notice.reminder_id, notice.state]}
    assert isinstance(notice, AccountNotice), "activity notices travel together (notice_frames)"
    session = notice.session_hash.hex() if notice.session_hash is not None else None
    return {"account": notice.account_id, "change": notice.change, "session": session}


def decode_notices(data: bytes, own_tag: bytes) -> list[Notice]:
    """The notices of a frame on the notices channel; none for this node's own, or a frame not understood."""
    if data[:1] != b"n":
        return []
    origin, payload = data[1:].split(b"\n", 1)
    if origin == own_tag:
        return []
    body = orjson.loads(payload)
    if "activities" in body:
        return [ActivityNotice(room, int(last_id)) for room, last_id in body["activities"]]
    notice = _notice(body)
    return [] if notice is None else [notice]


def _notice(body: dict[str, Any]) -> Notice | None:
    if "settings" in body:
        return SettingsNotice(bool(body["settings"]["guests"]))
    if "guest" in body:
        return GuestNotice(body["room"], body["guest"], int(body["until"]), body.get("address", ""))
    if "unread" in body:
        read_id, unread, mentions, notify = body["unread"]
        return UnreadNotice(
            int(body["account"]),
            body["room"],
            *(int(read_id), int(unread), int(mentions), notify),
            back=body.get("back") is True,
        )
    if "activity" in body:
        return ActivityNotice(body["activity"], int(body["last_id"]))
    if "presence" in body:
        return PresenceNotice(int(body["presence"]))
    if "avatar" in body:
        return AvatarNotice(body["name"], body["avatar"])
    if "block" in body:
        account_id, blocked_id, name, blocked, by = body["block"]
        return BlockNotice(int(account_id), int(blocked_id), str(name), bool(blocked), str(by))
    if "admin" in body:
        account_id, name, admin = body["admin"]
        return AdminNotice(int(account_id), str(name), bool(admin))
    if "status" in body:
        return _status_notice(body)
    if "paused" in body:
        return PauseNotice(str(body["name"]), None if body["paused"] is None else int(body["paused"]))
    if "saved" in body:
        account_id, room, message_id, saved_at = body["saved"]
        return SavedNotice(
            int(account_id), str(room), int(message_id), None if saved_at is None else int(saved_at)
        )
    if "starred" in body:
        account_id, room, starred = body["starred"]
        return StarNotice(int(account_id), str(room), bool(starred))
    if "emoji" in body:
        name, digest, by, ts = body["emoji"]
        return EmojiNotice(str(name), None if digest is None else str(digest), by, int(ts))
    if "group" in body:
        name, now = body["group"]
        return GroupNotice(str(name), None if now is None else str(now))
    if "thread" in body or "thread_reply" in body:
        return _thread_notice(body)
    if "scheduled" in body:
        account_id, room = body["scheduled"]
        return ScheduledNotice(int(account_id), str(room))
    if "reminder" in body:
        account_id, reminder_id, state = body["reminder"]
        return ReminderNotice(int(account_id), int(reminder_id), str(state))
    if "room" in body:
        members, removed = tuple(body["members"]), tuple(body["removed"])
        return RoomNotice(body["room"], body["change"], members, removed, body.get("by"))
    if "change" not in body:
        return None
    session = bytes.fromhex(body["session"]) if body["session"] is not None else None
    return AccountNotice(int(body["account"]), body["change"], session)


def _status_notice(body: dict[str, Any]) -> StatusNotice:
    if body["status"] is None:
        return StatusNotice(str(body["name"]), None)
    emoji, text, until = body["status"]
    return StatusNotice(str(body["name"]), str(emoji), str(text), None if until is None else int(until))


def _thread_notice(body: dict[str, Any]) -> ThreadNotice | ThreadReplyNotice:
    if "thread" in body:
        account_id, room, root, following, read_id = body["thread"]
        return ThreadNotice(int(account_id), str(room), int(root), bool(following), int(read_id))
    room, root, reply_id, author_id, mentioned, *deleted = body["thread_reply"]
    author = None if author_id is None else int(author_id)
    mentions = tuple(int(m) for m in mentioned)
    return ThreadReplyNotice(str(room), int(root), int(reply_id), author, mentions, deleted == [True])
