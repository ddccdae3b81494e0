"""A bot's edits, deletions and reactions over HTTP (chatroom/api_bot_changes.py), on a real server with
SQLite and with PostgreSQL: what the room sees, and every refusal; and a bot's writes a minute."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import replace
from typing import Any

from tornado.httpclient import HTTPResponse
from tornado.testing import gen_test
from websockets.sync.client import ClientConnection

from chatroom import bots, protocol
from tests import test_api_bots
from tests.clients import join, next_of, say
from tests.rooms_case import RoomsCase
from tests.support import call_api, signed_token, unique
from tests.test_api_bots import JWT_SECRET, Site

site = test_api_bots.site  # the fixture: a server on each store, with bots
MESSAGES = "/api/rooms/builds/messages"


def change(at: Site, method: str, path: str, key: str | None, body: Any = None) -> tuple[int, Any]:
    """A change request with the bot's key (None: no Authorization)."""
    return call_api(at.server, method, path, body, None if key is None else f"Bearer {key}")


def guest_said(at: Site, room: str, text: str) -> tuple[ClientConnection, int]:
    """gus, a guest in ``room``, who said ``text``: his connection and the message's id."""
    guest = join(at.server, room, "gus")
    say(guest, text)
    return guest, next_of(guest, "user")["id"]


def reaction_path(room: str, target: int, emoji: str) -> str:
    return f"/api/rooms/{room}/messages/{target}/reactions/{urllib.parse.quote(emoji, safe='')}"


def history(at: Site, room: str) -> list[dict[str, Any]]:
    status, body = at.call("GET", f"/api/rooms/{room}/messages")
    assert status == 200, body
    return list(body["messages"])


def test_a_bot_edits_its_message_and_the_room_sees_the_edit_once(site: Site) -> None:
    """ "build running" becomes "build passed": the answer is the edit frame, with the room's next id;
    a member sees it; history shows the new text; the same text again changes nothing."""
    room = unique("builds")
    bot, key = site.new_bot([room])
    watcher = join(site.server, room, "watcher")
    status, posted = site.post(room, key, "build running")
    assert status == 201, posted
    assert next_of(watcher, "user")["message"] == "build running"
    path = f"/api/rooms/{room}/messages/{posted['id']}"
    status, edited = change(site, "PATCH", path, key, {"message": "build **passed**"})
    assert status == 200, edited
    assert edited == {
        "type": "edit",
        "id": posted["id"] + 1,
        "room": room,
        "target": posted["id"],
        "nick": bot["name"],
        "message": "build **passed**",
        "fmt": edited["fmt"],
        "ts": edited["ts"],
    }
    seen = next_of(watcher, "edit")
    assert (seen["id"], seen["target"], seen["message"]) == (edited["id"], posted["id"], "build **passed**")
    assert [m["message"] for m in history(site, room)] == ["build **passed**"]
    status, again = change(site, "PATCH", path, key, {"message": "build **passed**"})
    assert (status, again) == (200, {"room": room, "target": posted["id"], "unchanged": True})
    watcher.close()


def test_a_bot_reacts_to_a_message_and_takes_the_reaction_back(site: Site) -> None:
    """👍 on a guest's message, put and taken back: each answer is the reaction frame the room gets."""
    room = unique("reacts")
    bot, key = site.new_bot([room])
    guest, target = guest_said(site, room, "deploying now")
    path = reaction_path(room, target, "👍")
    status, put = change(site, "PUT", path, key)
    assert status == 200, put
    assert (put["type"], put["target"], put["emoji"], put["on"], put["nick"]) == (
        "reaction", target, "👍", True, bot["name"],
    )  # fmt: skip
    assert next_of(guest, "reaction")["id"] == put["id"]
    assert change(site, "PUT", path, key) == (200, {"room": room, "target": target, "unchanged": True})
    status, taken = change(site, "DELETE", path, key)
    assert (status, taken["on"], taken["id"]) == (200, False, put["id"] + 1)
    assert next_of(guest, "reaction")["on"] is False
    guest.close()


def test_a_bot_deletes_its_message_and_a_retry_changes_nothing(site: Site) -> None:
    """The deletion is a change the room sees; history keeps the message's place, without its words; the
    same request again changes nothing."""
    room = unique("oops")
    _, key = site.new_bot([room])
    watcher = join(site.server, room, "watcher")
    _, posted = site.post(room, key, "wrong channel")
    assert next_of(watcher, "user")["message"] == "wrong channel"
    path = f"/api/rooms/{room}/messages/{posted['id']}"
    status, deleted = change(site, "DELETE", path, key)
    assert (status, deleted["type"], deleted["target"]) == (200, "delete", posted["id"])
    assert next_of(watcher, "delete")["target"] == posted["id"]
    assert [(m["id"], m["message"], m.get("deleted")) for m in history(site, room)] == [
        (posted["id"], "", True)
    ]
    # A retry (its answer lost, say) changes nothing more.
    assert change(site, "DELETE", path, key) == (
        200,
        {"room": room, "target": posted["id"], "unchanged": True},
    )
    watcher.close()


def test_a_bot_pins_a_message_to_its_room_and_unpins_it(site: Site) -> None:
    """A guest's message pinned by the bot: the pin frame, the room's pins list; unpinned, empty again."""
    room = unique("pins")
    bot, key = site.new_bot([room])
    guest, target = guest_said(site, room, "the meeting is at ten")
    status, pinned = change(site, "PUT", f"/api/rooms/{room}/messages/{target}/pin", key)
    assert (status, pinned["type"], pinned["target"], pinned["on"], pinned["nick"]) == (
        200, "pin", target, True, bot["name"],
    )  # fmt: skip
    assert next_of(guest, "pin")["id"] == pinned["id"]
    assert [m["id"] for m in site.call("GET", f"/api/rooms/{room}/pins")[1]["messages"]] == [target]
    status, unpinned = change(site, "DELETE", f"/api/rooms/{room}/messages/{target}/pin", key)
    assert (status, unpinned["on"]) == (200, False)
    assert site.call("GET", f"/api/rooms/{room}/pins")[1]["messages"] == []
    guest.close()


def test_a_bot_votes_in_a_poll_and_takes_its_vote_back(site: Site) -> None:
    """The bot chooses "salad" (option 1) of its own poll and takes it back; no index, an option the poll
    does not have, a message that is no poll: 400, each with its reason."""
    room = unique("polls")
    bot, key = site.new_bot([room])
    _, poll = site.post(room, key, "/poll Lunch?\nsoup\nsalad")
    votes = f"/api/rooms/{room}/messages/{poll['id']}/votes"
    status, voted = change(site, "PUT", f"{votes}/1", key)
    assert (status, voted["type"], voted["target"], voted["option"], voted["on"], voted["nick"]) == (
        200, "vote", poll["id"], 1, True, bot["name"],
    )  # fmt: skip
    assert change(site, "PUT", f"{votes}/1", key) == (
        200,
        {"room": room, "target": poll["id"], "unchanged": True},
    )
    status, taken = change(site, "DELETE", f"{votes}/1", key)
    assert (status, taken["on"]) == (200, False)
    for raw in ("x", "10", "-1"):
        status, refused = change(site, "PUT", f"{votes}/{raw}", key)
        assert (status, refused) == (
            400,
            {"error": protocol.BAD_REQUEST, "message": '"option" must be an option\'s index, 0 to 9'},
        )
    assert change(site, "PUT", f"{votes}/5", key) == (
        400,
        {"error": "no_option", "message": "this poll has no option 5"},
    )
    _, plain = site.post(room, key, "no poll here")
    assert change(site, "PUT", f"/api/rooms/{room}/messages/{plain['id']}/votes/0", key) == (
        400,
        {"error": "not_a_poll", "message": f"message {plain['id']} is not a poll"},
    )


def test_a_bot_closes_its_poll_and_not_another_bots(site: Site) -> None:
    """Closed, the poll takes no more votes (400 poll_closed); another bot's poll is not this bot's to
    close (403)."""
    room = unique("closing")
    _, key = site.new_bot([room])
    _, other_key = site.new_bot([room])
    _, poll = site.post(room, key, "/poll Ship it?\nyes\nno")
    status, closed = change(site, "POST", f"/api/rooms/{room}/messages/{poll['id']}/close", key)
    assert (status, closed["type"], closed["target"]) == (200, "close_poll", poll["id"])
    assert change(site, "PUT", f"/api/rooms/{room}/messages/{poll['id']}/votes/0", key) == (
        400,
        {"error": "poll_closed", "message": "this poll is closed: its result stays as it is"},
    )
    _, others = site.post(room, other_key, "/poll Tea?\nyes\nno")
    assert change(site, "POST", f"/api/rooms/{room}/messages/{others['id']}/close", key) == (
        403,
        {"error": protocol.FORBIDDEN, "message": "only the poll's author and the room's managers close it"},
    )


def test_a_bot_removes_the_previews_of_its_own_messages_only(site: Site) -> None:
    """Its own message's previews go for good (none will come later), once: again, unchanged; a guest's
    message: 403."""
    room = unique("cards")
    _, key = site.new_bot([room])
    _, posted = site.post(room, key, "no links here")
    path = f"/api/rooms/{room}/messages/{posted['id']}/previews"
    status, removed = change(site, "DELETE", path, key)
    assert (status, removed["type"], removed["target"], removed["on"], removed["previews"]) == (
        200, "preview", posted["id"], False, [],
    )  # fmt: skip
    assert change(site, "DELETE", path, key) == (
        200,
        {"room": room, "target": posted["id"], "unchanged": True},
    )
    guest, target = guest_said(site, room, "see https://example.org/")
    assert change(site, "DELETE", f"/api/rooms/{room}/messages/{target}/previews", key) == (
        403,
        {"error": protocol.FORBIDDEN, "message": "you may only remove the previews of your own messages"},
    )
    guest.close()


def test_who_is_no_bot_is_refused_and_changes_nothing(site: Site) -> None:
    """No key: 401; a person's token: 403 (people change messages on the socket); the message stays."""
    room = unique("keys")
    _, key = site.new_bot([room])
    _, posted = site.post(room, key, "kept")
    path = f"/api/rooms/{room}/messages/{posted['id']}"
    assert change(site, "DELETE", path, None) == (
        401,
        {"error": protocol.UNAUTHORIZED, "message": "a bot's key is required: 'Authorization: Bearer <key>'"},
    )
    person = f"Bearer {signed_token('pat', JWT_SECRET)}"
    assert call_api(site.server, "PATCH", path, {"message": "x"}, person) == (
        403,
        {
            "error": protocol.FORBIDDEN,
            "message": "only bot accounts change messages through the API; people change them on the socket",
        },
    )
    assert [m["message"] for m in history(site, room)] == ["kept"]


def test_another_authors_message_and_rooms_the_bot_is_not_in_are_refused(site: Site) -> None:
    """Someone else's message: 403 forbidden (edit and delete); an open room the bot is not in: 403; a
    closed room it is not in: 404, as if it did not exist, with no word of the room's messages."""
    room = unique("mixed")
    _, key = site.new_bot([room])
    guest, target = guest_said(site, room, "mine, not the bot's")
    path = f"/api/rooms/{room}/messages/{target}"
    status, refused = change(site, "PATCH", path, key, {"message": "hijacked"})
    assert (status, refused["error"]) == (403, protocol.FORBIDDEN)
    status, refused = change(site, "DELETE", path, key)
    assert (status, refused["error"]) == (403, protocol.FORBIDDEN)
    other = unique("elsewhere")
    site.new_bot([other])  # the room exists, the bot is not in it
    status, refused = change(site, "PUT", reaction_path(other, 1, "👍"), key)
    assert (status, refused) == (
        403,
        {
            "error": protocol.FORBIDDEN,
            "message": f"this bot is not a member of {other!r}: an administrator adds it to rooms",
        },
    )
    hidden = change(site, "DELETE", "/api/rooms/vault/messages/1", key)
    assert hidden[0] == 404 and hidden[1]["error"] == protocol.NOT_FOUND
    assert hidden == change(site, "DELETE", f"/api/rooms/{unique('nowhere')}/messages/1", key)
    assert [m["message"] for m in history(site, room)] == ["mine, not the bot's"]
    guest.close()


def test_bad_ids_texts_and_emoji_are_400_with_the_reason(site: Site) -> None:
    """An id that is no message id, a body that is not {"message": text}, an empty or too long text, an
    emoji that is none: 400 with the reason; an id of no message: 404 no_message."""
    room = unique("bad")
    _, key = site.new_bot([room])
    _, posted = site.post(room, key, "fine")
    path = f"/api/rooms/{room}/messages/{posted['id']}"
    limit = protocol.MAX_CLIENT_INT
    for raw in ("abc", "0", "-1", str(limit + 1)):
        assert change(site, "DELETE", f"/api/rooms/{room}/messages/{raw}", key) == (
            400,
            {"error": protocol.BAD_REQUEST, "message": f"the message id must be a number from 1 to {limit}"},
        )
    status, refused = change(site, "DELETE", f"/api/rooms/{room}/messages/{posted['id'] + 50}", key)
    assert (status, refused["error"]) == (404, protocol.NO_MESSAGE)
    assert change(site, "PATCH", path, key, ["not", "an", "object"])[1]["error"] == protocol.BAD_REQUEST
    assert change(site, "PATCH", path, key, {"text": "no message"}) == (
        400,
        {"error": protocol.BAD_REQUEST, "message": 'the body must be {"message": string}'},
    )
    assert change(site, "PATCH", path, key, {"message": "   "})[1]["error"] == protocol.EMPTY
    assert change(site, "PATCH", path, key, {"message": "x" * 4001})[1]["error"] == protocol.TOO_LONG
    status, refused = change(site, "PUT", reaction_path(room, posted["id"], "not an emoji"), key)
    assert (status, refused["error"]) == (400, protocol.BAD_REQUEST)
    assert change(site, "PUT", reaction_path(room, posted["id"], ":nonesuch:"), key) == (
        400,
        {"error": protocol.BAD_REQUEST, "message": "there is no custom emoji :nonesuch: on this server"},
    )
    assert [m["message"] for m in history(site, room)] == ["fine"]


def test_an_edit_mentioning_the_room_where_the_bot_may_not_and_an_archived_room_are_403(
    site: Site,
) -> None:
    """An edit that would notify the whole room (@room) where only its managers may: 403
    room_mention_forbidden; once the room is archived, every change: 403 forbidden, read-only."""
    room = unique("quiet")
    _, key = site.new_bot([room])
    _, posted = site.post(room, key, "status")
    path = f"/api/rooms/{room}/messages/{posted['id']}"
    assert site.call("PATCH", f"/api/rooms/{room}", {"room_mentions": "managers"})[0] == 200
    assert change(site, "PATCH", path, key, {"message": "@room look"}) == (
        403,
        {
            "error": protocol.ROOM_MENTION_FORBIDDEN,
            "message": f"only the owner and administrators of {room!r} may notify the whole room"
            " with @room or @here",
        },
    )
    assert site.call("PATCH", f"/api/rooms/{room}", {"archived": True})[0] == 200
    read_only = (
        403,
        {"error": protocol.FORBIDDEN, "message": f"the room {room!r} is archived: it is read-only"},
    )
    assert change(site, "PATCH", path, key, {"message": "late"}) == read_only
    assert change(site, "DELETE", path, key) == read_only
    assert change(site, "PUT", reaction_path(room, posted["id"], "👍"), key) == read_only
    assert [m["message"] for m in history(site, room)] == ["status"]


class BotWritesTest(RoomsCase):
    """In one process: past ``--bot-messages-per-minute`` a bot's posts and changes wait; others write on."""

    settings = replace(RoomsCase.settings, bot_messages_per_minute=3)

    async def bot_in(self, name: str, room: str) -> str:
        """A bot put in ``room``: its Authorization header value."""
        authorization = await self.bot(name)
        account = await self.backend.accounts.account_by_name(name)
        assert account is not None
        await bots.put_in_room(self.backend.accounts, account, room)
        return authorization

    async def write(self, method: str, path: str, authorization: str, body: Any = None) -> HTTPResponse:
        payload = b"" if body is None and method == "POST" else None
        if body is not None:
            payload = json.dumps(body).encode()
        return await self.raw_fetch(method, path, {"Authorization": authorization}, payload)

    @gen_test(timeout=30)
    async def test_a_bot_past_its_writes_a_minute_is_refused_and_others_write_on(self) -> None:
        """3 a minute: a post, an edit and a reaction go through; then a post, an edit, a reaction and
        a deletion are each 429 rate_limited with Retry-After and store nothing; the bot still reads
        history; ann sees the three, then another bot's post with the very next id."""
        await self.person("ann")
        await self.create("ann", "builds", "open")
        ci, docs = await self.bot_in("ci", "builds"), await self.bot_in("docs", "builds")
        ann = await self.inside("ann", "builds")
        posted = json.loads((await self.write("POST", MESSAGES, ci, {"message": "build running"})).body)
        path = f"{MESSAGES}/{posted['id']}"
        assert (await self.write("PATCH", path, ci, {"message": "build passed"})).code == 200
        assert (await self.write("PUT", f"{path}/reactions/%E2%9C%85", ci)).code == 200
        for method, where, body in (
            ("POST", MESSAGES, {"message": "one more"}),
            ("PATCH", path, {"message": "build failed"}),
            ("PUT", f"{path}/reactions/%F0%9F%91%8D", None),
            ("DELETE", path, None),
        ):
            refused = await self.write(method, where, ci, body)
            wait = int(refused.headers["Retry-After"])
            assert 1 <= wait <= 20, wait
            assert (refused.code, json.loads(refused.body)) == (
                429,
                {
                    "error": protocol.RATE_LIMITED,
                    "message": f"at most 3 messages and changes a minute from one bot: try again in {wait} s",
                },
            )
        reading = await self.raw_fetch("GET", MESSAGES, {"Authorization": ci}, None)
        assert [m["message"] for m in json.loads(reading.body)["messages"]] == ["build passed"]
        assert (await self.write("POST", MESSAGES, docs, {"message": "docs published"})).code == 201
        seen = [await self.recv(ann) for _ in range(4)]
        assert [(frame["type"], frame["id"]) for frame in seen] == [
            ("user", posted["id"]),
            ("edit", posted["id"] + 1),
            ("reaction", posted["id"] + 2),
            ("user", posted["id"] + 3),
        ]
        assert seen[3]["message"] == "docs published"
