"""A room's topic as ``PATCH /api/rooms/{room}`` takes it: what a topic may be, and who may set it.

A topic is open to anyone who may post in the room (access.may_set_topic),
the rest of the PATCH to its managers alone (api_manage.RoomHandler): a body
that asks both of someone who is not a manager is refused whole.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from . import protocol
from .access import Readable, may_set_topic, topic_refusal
from .api import ApiError
from .identity import Identity
from .line_text import breaks_line, hides_text

MAX_TOPIC_LENGTH = 250
# The fields of the PATCH only a room's owner and administrators change.
MANAGED_FIELDS = frozenset({"title", "archived", "posting", "everyone_in", "room_mentions"})


def asks_topic_alone(body: dict[str, Any]) -> bool:
    """Whether the body sets the topic and nothing a manager alone changes."""
    return "topic" in body and not MANAGED_FIELDS & body.keys()


def clean_topic(raw: object) -> str:
    """A topic from a body: one line of at most MAX_TOPIC_LENGTH characters, trimmed; "" or null clears it.

    400 bad_request for a value that is not a string, or holds a line break, a control character or a
    format character that is not part of an emoji (line_text); 400 too_long past the length.
    """
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ApiError(400, protocol.BAD_REQUEST, '"topic" must be a string or null')
    topic = unicodedata.normalize("NFC", raw)
    if breaks_line(topic) or hides_text(topic):
        raise ApiError(400, protocol.BAD_REQUEST, "a topic is one line: no line breaks or control characters")
    topic = topic.strip()
    if len(topic) > MAX_TOPIC_LENGTH:
        raise ApiError(400, protocol.TOO_LONG, f"a topic has at most {MAX_TOPIC_LENGTH} characters")
    return topic


def topic_asked(who: Identity, readable: Readable, body: dict[str, Any], *, guests: bool) -> str | None:
    """The topic the body sets (None: it does not say); 403 when ``who`` may not set it, checked
    before the value (400), so that a refusal says no more than the asker may do."""
    if "topic" not in body:
        return None
    if not may_set_topic(who, readable.room, readable.membership, guests=guests):
        raise ApiError(403, protocol.FORBIDDEN, topic_refusal(readable.room))
    return clean_topic(body["topic"])
