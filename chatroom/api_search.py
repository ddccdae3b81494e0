"""Full-text search over HTTP: ``GET /api/search?q=&room=&from=&after=&before=&cursor=&limit=``.

It answers messages of the rooms the asker may read right now (access.py):
the store reads which rooms those are (memberships, open rooms) in the
search's own statement, so every result's room is checked as the result is
read, and a room the asker left before the search is not searched. Guests,
where they are let in, search the open rooms they read. The query is plain
words and "quoted phrases" (search_text.py); the filters are parameters of
their own, never syntax in ``q``. Results come newest first, each with a
snippet as [{text, hit}] parts, never markup; ``next`` is the cursor of the
following page.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import orjson

from . import protocol
from .api import ApiError, JsonHandler, room_not_found
from .events import StoredMessage
from .formatting import plain_text
from .forward_frames import readable_text
from .polls import poll_summary
from .search_text import QueryError, Terms, parse_query, snippet
from .store.search_base import MAX_RESULTS, SearchCursor, SearchQuery

DEFAULT_RESULTS = 20
MAX_TIME_CHARS = 40
# A room's name in a cursor: a name of the rules (64 characters), or a direct room's id.
MAX_ROOM_CHARS = protocol.MAX_ROOM_LENGTH


def bad_request(message: str) -> ApiError:
    """A 400 ``bad_request`` saying what is wrong."""
    return ApiError(400, protocol.BAD_REQUEST, message)


def encode_cursor(message: StoredMessage) -> str:
    """The cursor of the page after ``message``: opaque to clients."""
    return base64.urlsafe_b64encode(orjson.dumps([message.ts, message.room, message.id])).decode()


def decode_cursor(raw: str) -> SearchCursor:
    """A cursor given back by a client; 400 when it is not one this server gave."""
    try:
        ts, room, msg_id = orjson.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise bad_request("cursor is not one a search answered") from None
    # Its numbers are a time and an id the store holds (a bigint), its room a room's name: a
    # number past 2^63 - 1 made the store's driver fail the whole request.
    if not (
        _stored_int(ts) and _stored_int(msg_id) and isinstance(room, str) and len(room) <= MAX_ROOM_CHARS
    ):
        raise bad_request("cursor is not one a search answered")
    return SearchCursor(ts, room, msg_id)


def _stored_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= protocol.MAX_CLIENT_INT


def parse_time(name: str, raw: str) -> int:
    """An ISO 8601 date or date-time (UTC unless it says otherwise) in milliseconds; 400 otherwise."""
    try:
        if len(raw) > MAX_TIME_CHARS:
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    except (ValueError, OverflowError):
        raise bad_request(
            f"{name} must be a date (2026-12-01) or a date and time (2026-12-01T09:30Z)"
        ) from None


def snippet_as_read(text: str, terms: Terms) -> list[tuple[str, bool]]:
    """The snippet of the text as read (formatting.plain_text: no marks, one line), as a reply
    quotes it; of the text as typed when the words matched only where marks hide them (a
    link's address), so that a hit is still shown."""
    shown = snippet(plain_text(text), terms)
    if any(hit for _, hit in shown):
        return shown
    typed = snippet(text, terms)
    return typed if any(hit for _, hit in typed) else shown


def result(message: StoredMessage, terms: Terms) -> dict[str, Any]:
    """One result: where and by whom, when, the snippet's parts, the file it carries, who pinned it, the
    thread it replies in."""
    found: dict[str, Any] = {"room": message.room, "id": message.id, "nick": message.nick, "ts": message.ts}
    found.update({mark: True for mark, marked in (("bot", message.bot), ("guest", message.guest)) if marked})
    if message.edited is not None:
        found["edited"] = message.edited
    # A forwarded copy is found by its comment and by the text it forwards, as its plain readers read it;
    # a poll shows as a notification tells of it, "📊 QUESTION", then its options.
    text = poll_summary(message.text) if message.forward is None else None
    text = readable_text(message) if text is None else text
    found["snippet"] = [{"text": text, "hit": hit} for text, hit in snippet_as_read(text, terms)]
    if message.file is not None:
        found["file"] = protocol.file_part(message.file)
    if message.pinned is not None:
        found["pinned"] = {"nick": message.pinned.nick, "ts": message.pinned.ts}
    if message.thread is not None:
        found["thread"] = message.thread
    return found


class SearchHandler(JsonHandler):
    """``GET /api/search``: a page of messages the asker may read that hold the query's words."""

    async def get(self) -> None:
        query = await self._query()
        found = await self.unavailable_if_failing(self.backend.search(query))
        shown = [message for message in found if not message.deleted]
        self.send_json(
            {
                "results": [result(message, query.terms) for message in shown],
                "next": encode_cursor(found[-1]) if len(found) == query.limit else None,
            }
        )

    async def _query(self) -> SearchQuery:
        """The search asked for, its filters checked; 400 for a bad one, 404 for an unreadable room."""
        try:
            terms = parse_query(self.get_argument("q", ""))
        except QueryError as error:
            raise bad_request(str(error)) from None
        limit = self.int_argument("limit")
        limit = DEFAULT_RESULTS if limit is None else limit
        if not 1 <= limit <= MAX_RESULTS:
            raise bad_request(f"limit must be from 1 to {MAX_RESULTS}")
        author = self.get_argument("from", None)
        if author is not None and not 1 <= len(author) <= protocol.MAX_NICK_LENGTH:
            raise bad_request(f"from must be a name of 1 to {protocol.MAX_NICK_LENGTH} characters")
        since, until = (self._time(name) for name in ("after", "before"))
        raw_cursor = self.get_argument("cursor", None)
        return SearchQuery(
            terms,
            await self._rooms(),
            author,
            since,
            until,
            None if raw_cursor is None else decode_cursor(raw_cursor),
            limit,
            self.access.reader(self.who),
        )

    def _time(self, name: str) -> int | None:
        raw = self.get_argument(name, None)
        return None if raw is None else parse_time(name, raw)

    async def _rooms(self) -> tuple[str, ...]:
        """The room asked for, if the asker may read it (else 404); none: every room the asker reads."""
        raw = self.get_argument("room", None)
        if raw is None:
            return ()
        room = self.room_argument(raw)
        if await self.unavailable_if_failing(self.access.readable(self.who, room)) is None:
            raise room_not_found()
        return (room,)
