"""Bot accounts through the administrators' API, on a real server with SQLite and with PostgreSQL: keys
shown once, posts only where put."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import CLOSED
from tests.clients import join, next_of, say, welcomed
from tests.support import (
    ServerProcess,
    assert_no_traceback,
    call_api,
    in_store,
    make_account,
    post_message,
    signed_token,
    unique,
)
from tests.web_client import new_database

JWT_SECRET = "bots-test-secret-" + "0123456789abcdef" * 3


class Site:
    """A server, its database, and the Authorization headers of an administrator and a person."""

    def __init__(self, server: ServerProcess, database: str) -> None:
        self.server = server
        self.database = database
        self.admin = f"Bearer {signed_token('root', JWT_SECRET)}"
        self.person = f"Bearer {signed_token('pat', JWT_SECRET)}"

    def call(
        self, method: str, path: str, body: Any = None, authorization: str | None = None
    ) -> tuple[int, Any]:
        return call_api(
            self.server, method, path, body, self.admin if authorization is None else authorization
        )

    def new_bot(self, rooms: list[str], **extra: Any) -> tuple[dict[str, Any], str]:
        """A bot made through the API, a member of ``rooms``: its entry and key."""
        status, made = self.call("POST", "/api/admin/bots", {"name": unique("bot"), "rooms": rooms, **extra})
        assert status == 201, made
        return made["bot"], made["key"]

    def post(self, room: str, key: str, message: str = "hello", **extra: Any) -> tuple[int, Any]:
        body = json.dumps({"message": message, **extra}).encode()
        return post_message(self.server, room, body, f"Bearer {key}")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A database of each kind; guests allowed, tokens for accounts; ``root`` an administrator, ``pat`` and
    ``quinn`` people; a closed room."""
    database = new_database(request, tmp_path_factory.mktemp("bots"))
    make_account(database, "root", admin=True)
    pat = make_account(database, "pat")
    make_account(database, "quinn")

    async def closed_room(accounts: AccountStore) -> None:
        await accounts.create_room("vault", CLOSED, creator_id=pat)

    in_store(database, closed_room)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET) as server:
        yield Site(server, database)


def test_a_new_bots_key_is_shown_once_and_posts_where_the_bot_was_put(site: Site) -> None:
    """201 with the key; the list names keys by id only; the key posts, marked a bot, under the bot's name."""
    room = unique("news")
    bot, key = site.new_bot([room])
    assert (bot["kind"], bot["rooms"], bot["webhook"]) == ("bot", [room], None)
    status, listed = site.call("GET", "/api/admin/bots")
    assert status == 200
    entry = next(b for b in listed["bots"] if b["id"] == bot["id"])
    assert [k["key_id"] for k in entry["keys"]] == [k["key_id"] for k in bot["keys"]]
    assert key not in json.dumps(listed)
    with join(site.server, room, "reader") as reader:
        status, stored = site.post(room, key, "deployed", nick="root")
        assert (status, stored["nick"], stored["bot"]) == (201, bot["name"], True)
        assert next_of(reader, "user") == stored


def test_a_bot_answers_a_message_with_reply_to(site: Site) -> None:
    """``reply_to`` makes the post a reply quoting the message; an id of no message of the room is 400
    no_message, one that is not an id 400 bad_request, and neither stores anything."""
    room = unique("desk")
    _, key = site.new_bot([room])
    with join(site.server, room, "asker") as asker:
        say(asker, "is the **lab** open?")
        asked = next_of(asker, "user")
        status, answer = site.post(room, key, "until six", reply_to=asked["id"])
        quote = {"id": asked["id"], "nick": "asker", "message": "is the lab open?"}
        assert (status, answer["reply_to"]) == (201, quote)
        assert next_of(asker, "user") == answer
    for reply_to, code in (
        (999_999, "no_message"),
        (0, "bad_request"),
        ("1", "bad_request"),
        (True, "bad_request"),
    ):
        status, refused = site.post(room, key, "lost", reply_to=reply_to)
        assert (status, refused["error"]) == (400, code)
    status, history = call_api(site.server, "GET", f"/api/rooms/{room}/messages")
    assert [m["message"] for m in history["messages"]] == ["is the **lab** open?", "until six"]


def test_a_revoked_key_is_401_at_once_and_a_new_key_works(site: Site) -> None:
    """Rotation: a second key works beside the first; the first, revoked, answers 401 and stores nothing."""
    room = unique("rotate")
    bot, old = site.new_bot([room])
    status, issued = site.call("POST", f"/api/admin/bots/{bot['id']}/keys")
    assert status == 201
    new = issued["key"]
    assert site.post(room, old)[0] == site.post(room, new)[0] == 201
    old_id = bot["keys"][0]["key_id"]
    status, _ = site.call("DELETE", f"/api/admin/bots/{bot['id']}/keys/{old_id}")
    assert status == 200
    status, answer = site.post(room, old, "after revoking")
    assert (status, answer["error"]) == (401, "unauthorized")
    assert site.post(room, new, "still here")[0] == 201
    status, answer = site.call("DELETE", f"/api/admin/bots/{bot['id']}/keys/{old_id}")
    assert (status, answer["error"]) == (404, "not_found")
    status, history = call_api(site.server, "GET", f"/api/rooms/{room}/messages")
    assert [m["message"] for m in history["messages"]] == ["hello", "hello", "still here"]


@pytest.mark.parametrize("key", ["wrong", "k" * 43, ""])
def test_a_wrong_key_is_401(site: Site, key: str) -> None:
    """A key no bot holds: 401 unauthorized, nothing stored."""
    room = unique("wrong")
    site.new_bot([room])
    status, answer = site.post(room, key)
    assert (status, answer["error"]) == (401, "unauthorized")
    assert call_api(site.server, "GET", f"/api/rooms/{room}/messages")[1]["messages"] == []


def test_a_bot_posts_only_in_its_rooms(site: Site) -> None:
    """An open room it is not in: 403 forbidden; a closed room it is not in: 404, as if it did not exist."""
    mine, other = unique("mine"), unique("other")
    bot, key = site.new_bot([mine])
    site.new_bot([other])
    with join(site.server, other, "watcher") as watcher:
        status, answer = site.post(other, key, "not my room")
        assert (status, answer["error"]) == (403, "forbidden")
        say(watcher, "only people here")
        assert next_of(watcher, "user")["message"] == "only people here"
    status, answer = site.post("vault", key, "let me in")
    assert (status, answer["error"]) == (404, "not_found")
    status, answer = site.post("no-such-room", key)
    assert (status, answer["error"]) == (404, "not_found")
    status, answer = site.call("DELETE", f"/api/admin/bots/{bot['id']}/rooms/{mine}")
    assert status == 200
    status, answer = site.post(mine, key, "taken out")
    assert (status, answer["error"]) == (403, "forbidden")


def test_no_bot_is_put_in_a_direct_conversation(site: Site) -> None:
    """An administrator outside pat and quinn's conversation may not put a bot in it: 403 forbidden, the
    bot's key reads and posts nothing there, and the conversation stays the two people's."""
    status, direct = site.call("POST", "/api/direct", {"members": ["quinn"]}, site.person)
    assert status in (200, 201)
    room = direct["room"]
    bot, key = site.new_bot([])
    status, answer = site.call("PUT", f"/api/admin/bots/{bot['id']}/rooms/{room}")
    assert (status, answer["error"]) == (403, "forbidden")
    status, answer = site.call("GET", f"/api/rooms/{room}/messages", authorization=f"Bearer {key}")
    assert (status, answer["error"]) == (404, "not_found")
    status, answer = site.post(room, key, "let me in")
    assert (status, answer["error"]) == (404, "not_found")
    status, members = site.call("GET", f"/api/rooms/{room}/members", authorization=site.person)
    assert (status, [m["name"] for m in members["members"]]) == (200, ["pat", "quinn"])
    status, again = site.call("POST", "/api/direct", {"members": ["quinn"]}, site.person)
    assert (status, again["room"], sorted(again["members"])) == (200, room, ["pat", "quinn"])
    assert_no_traceback(site.server)


def test_a_person_writes_to_a_bot_alone_and_administrators_see_only_how_many_do(site: Site) -> None:
    """pat opens a direct conversation with a bot (201, then 200 for the same one): the bot's key reads and
    answers it, quinn reads nothing of it; a bot among people is refused 400 and makes no room; the
    administrators' entry of the bot counts its direct conversations without naming them."""
    bot, key = site.new_bot([])
    status, direct = site.call("POST", "/api/direct", {"members": [bot["name"]]}, site.person)
    assert (status, sorted(direct["members"])) == (201, sorted(["pat", bot["name"]]))
    room = direct["room"]
    assert site.call("POST", "/api/direct", {"members": [bot["name"]]}, site.person)[:1] == (200,)
    pat, _, _ = welcomed(site.server, room=room, token=signed_token("pat", JWT_SECRET))
    with pat:
        status, stored = site.post(room, key, "how can I help?")
        assert (status, stored["room"], stored["bot"]) == (201, room, True)
        assert next_of(pat, "user") == stored
    status, read = site.call("GET", f"/api/rooms/{room}/messages", authorization=f"Bearer {key}")
    assert (status, [m["message"] for m in read["messages"]]) == (200, ["how can I help?"])
    quinn = f"Bearer {signed_token('quinn', JWT_SECRET)}"
    status, answer = site.call("GET", f"/api/rooms/{room}/messages", authorization=quinn)
    assert (status, answer["error"]) == (404, "not_found")
    assert "how can I help" not in json.dumps(answer)
    for members in ([bot["name"], "quinn"], ["quinn", bot["name"]]):
        status, answer = site.call("POST", "/api/direct", {"members": members}, site.person)
        assert (status, answer["error"]) == (400, "bad_request")
        assert answer["message"] == "a bot is written to alone: name the bot and nobody else"
    _, rooms = site.call("GET", "/api/rooms", authorization=quinn)
    assert [r for r in rooms["rooms"] if bot["name"] in r.get("members", [])] == []
    _, listed = site.call("GET", "/api/admin/bots")
    entry = next(b for b in listed["bots"] if b["id"] == bot["id"])
    assert (entry["rooms"], entry["direct"]) == ([], 1)
    assert room not in json.dumps(listed)
    assert_no_traceback(site.server)


def test_names_kept_for_direct_conversations_are_403_and_make_nothing(site: Site) -> None:
    """A ``dm-`` name, in a new bot's rooms or put on its own: 403 forbidden, no bot and no room made."""
    name = unique("dmbot")
    status, answer = site.call("POST", "/api/admin/bots", {"name": name, "rooms": ["DM-bar"]})
    assert (status, answer["error"]) == (403, "forbidden")
    _, listed = site.call("GET", "/api/admin/bots")
    assert name not in [b["name"] for b in listed["bots"]]
    bot, _ = site.new_bot([])
    status, answer = site.call("PUT", f"/api/admin/bots/{bot['id']}/rooms/dm-foo")
    assert (status, answer["error"]) == (403, "forbidden")
    _, rooms = site.call("GET", "/api/rooms?prefix=dm-")
    assert [room["room"] for room in rooms["rooms"]] == []


def test_a_person_may_not_post_through_the_api_nor_name_a_bot_after_themselves(site: Site) -> None:
    """A person's token posting: 403; a bot named like a person (or a look-alike): 409 name_taken."""
    room = unique("people")
    site.new_bot([room])
    status, answer = post_message(site.server, room, b'{"message": "hi"}', site.person)
    assert (status, answer["error"]) == (403, "forbidden")
    for name in ("pat", "PAT", "раt"):
        status, answer = site.call("POST", "/api/admin/bots", {"name": name})
        assert (status, answer["error"]) == (409, "name_taken"), name


def test_a_deactivated_bots_key_is_401_until_it_is_reactivated(site: Site) -> None:
    """Deactivating a bot stops its keys; reactivating brings them back."""
    room = unique("paused")
    bot, key = site.new_bot([room])
    assert site.call("POST", f"/api/admin/accounts/{bot['id']}/deactivate")[0] == 200
    status, answer = site.post(room, key)
    assert (status, answer["error"]) == (401, "unauthorized")
    assert site.call("POST", f"/api/admin/accounts/{bot['id']}/reactivate")[0] == 200
    assert site.post(room, key)[0] == 201


ADMIN_CALLS = [
    ("GET", "/api/admin/bots", None),
    ("POST", "/api/admin/bots", {"name": "sneaky"}),
    ("POST", "/api/admin/bots/1/keys", None),
    ("DELETE", "/api/admin/bots/1/keys/abc", None),
    ("PUT", "/api/admin/bots/1/webhook", {"url": "https://example.com/"}),
    ("PUT", "/api/admin/bots/1/rooms/lobby", None),
    ("DELETE", "/api/admin/bots/1/rooms/lobby", None),
    ("GET", "/api/admin/accounts", None),
    ("POST", "/api/admin/accounts/1/deactivate", None),
    ("POST", "/api/admin/accounts/1/reactivate", None),
    ("POST", "/api/admin/guests/removals", {"room": "lobby", "nick": "x", "minutes": 1}),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_only_administrators_reach_the_admin_api(site: Site, method: str, path: str, body: Any) -> None:
    """Nobody signed in: 401; a person or a bot: 403 forbidden; nothing changes, no key leaks."""
    _, key = site.new_bot([])
    for authorization, expected in ((None, 401), (site.person, 403), (f"Bearer {key}", 403)):
        status, answer = call_api(site.server, method, path, body, authorization)
        assert (status, set(answer)) == (expected, {"error", "message"}), authorization
        assert answer["error"] == ("unauthorized" if expected == 401 else "forbidden")
    status, listed = site.call("GET", "/api/admin/bots")
    assert "sneaky" not in [b["name"] for b in listed["bots"]]
    assert_no_traceback(site.server)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": ""}, "bad_name"),
        ({"name": "a/b"}, "bad_name"),
        ({}, "bad_request"),
        ({"name": "ok", "rooms": "lobby"}, "bad_request"),
        ({"name": "ok", "rooms": ["../x"]}, "bad_name"),
        ({"name": "ok", "webhook": "ftp://example.com/"}, "bad_request"),
        ({"name": "ok", "webhook": "http://127.0.0.1:9/"}, "bad_request"),
        ({"name": "ok", "webhook": "http://[::1]/"}, "bad_request"),
        ({"name": "ok", "webhook": "http://10.0.0.8/"}, "bad_request"),
    ],
)
def test_bad_bot_requests_are_400_and_make_nothing(site: Site, body: dict[str, Any], code: str) -> None:
    """A bad name, rooms, or a webhook to a private address (no --webhook-allow-private): 400, no bot."""
    status, answer = site.call("POST", "/api/admin/bots", body)
    assert (status, answer["error"]) == (400, code)
    status, listed = site.call("GET", "/api/admin/bots")
    assert "ok" not in [b["name"] for b in listed["bots"]]


def test_a_webhook_is_set_and_cleared(site: Site) -> None:
    """PUT webhook sets a public address and null clears it; the list shows it."""
    bot, _ = site.new_bot([])
    path = f"/api/admin/bots/{bot['id']}/webhook"
    status, answer = site.call("PUT", path, {"url": "https://hooks.example.com/in?secret=1"})
    assert (status, answer["bot"]["webhook"]) == (200, "https://hooks.example.com/in?secret=1")
    status, answer = site.call("PUT", path, {"url": None})
    assert (status, answer["bot"]["webhook"]) == (200, None)
    status, answer = site.call("PUT", path, {"url": "https://hooks.example.com/a b"})
    assert (status, answer["error"]) == (400, "bad_request")
