"""Moderation by administrators on a real server, with SQLite and with PostgreSQL: accounts deactivated
at once, members and guests removed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatroom.identity import SESSION_COOKIE
from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import CLOSED, DIRECT
from tests.clients import close_code, join, next_of, open_ws, receive, refused_on_open, say, welcomed
from tests.support import (
    ServerProcess,
    assert_no_traceback,
    call_api,
    in_store,
    make_account,
    make_open_room,
    signed_token,
    unique,
    wait_until,
)
from tests.web_client import PASSWORD, WebClient, new_address, new_database, set_up
from tests.web_client import join as web_join

JWT_SECRET = "admin-test-secret-" + "0123456789abcdef" * 3


class Site:
    """A server with guests and tokens, and an administrator's Authorization header."""

    def __init__(self, server: ServerProcess, database: str) -> None:
        self.server = server
        self.database = database
        self.admin = f"Bearer {signed_token('root', JWT_SECRET)}"

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return call_api(self.server, method, path, body, self.admin)

    def open_room(self, name: str) -> str:
        """A new open room, as rooms management makes them: its name."""
        return make_open_room(self.database, name)

    def person(self, name: str) -> int:
        """A new person's account: its id."""
        return make_account(self.database, name)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server on a database of each kind, with ``root`` an administrator."""
    database = new_database(request, tmp_path_factory.mktemp("admin"))
    make_account(database, "root", admin=True)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET) as server:
        yield Site(server, database)


def token(name: str) -> str:
    return signed_token(name, JWT_SECRET)


def test_the_accounts_list_shows_names_kinds_and_states(site: Site) -> None:
    """Names, kind, administrator or not, active or not; never a password hash; paged with next."""
    name = unique("listed")
    site.person(name)
    status, page = site.call("GET", "/api/admin/accounts?limit=1")
    assert status == 200 and len(page["accounts"]) == 1 and page["next"]
    status, page = site.call("GET", "/api/admin/accounts?limit=500")
    entries = {a["name"]: a for a in page["accounts"]}
    assert entries["root"]["admin"] is True
    assert (entries[name]["kind"], entries[name]["admin"], entries[name]["active"]) == ("person", False, True)
    assert all("password_hash" not in a for a in page["accounts"])


@pytest.mark.parametrize("path", ["/api/admin/accounts?limit=0", "/api/admin/rooms?limit=0"])
def test_a_page_of_none_is_400_as_on_every_paged_endpoint(site: Site, path: str) -> None:
    """limit=0 is refused, as the rooms list and history refuse it, rather than answered with one."""
    status, answer = site.call("GET", path)
    assert (status, answer["error"]) == (400, "bad_request")


def test_deactivation_closes_every_connection_4401_and_keeps_them_out(site: Site) -> None:
    """Two connections of one person close 4401 at once; it cannot connect again; its messages stay;
    another member is unaffected; reactivated, it connects again."""
    name, room = unique("eve"), site.open_room(unique("deact"))
    eve_id = site.person(name)
    with join(site.server, room, "witness") as witness:
        first, _, _ = welcomed(site.server, room=room, token=token(name))
        second, _, _ = welcomed(site.server, room=site.open_room(unique("elsewhere")), token=token(name))
        first.send('{"type":"message","message":"my last words"}')
        assert next_of(witness, "user")["message"] == "my last words"
        status, answer = site.call("POST", f"/api/admin/accounts/{eve_id}/deactivate")
        assert (status, answer["account"]["active"]) == (200, False)
        for ws in (first, second):
            assert close_code(ws, timeout=5) == 4401
        error, code = refused_on_open(site.server, room=room, token=token(name))
        assert (error["code"], code) == ("unauthorized", 4401)
        say(witness, "still here")
        assert next_of(witness, "user", skip=("sys", "typing"))["message"] == "still here"
    status, history = call_api(site.server, "GET", f"/api/rooms/{room}/messages")
    assert "my last words" in [m["message"] for m in history["messages"]]
    assert site.call("POST", f"/api/admin/accounts/{eve_id}/reactivate")[0] == 200
    again, welcome, _ = welcomed(site.server, room=room, token=token(name))
    with again:
        assert welcome["nick"] == name
    for act in ("deactivated", "reactivated"):
        line = f"INFO chatroom.moderation: 'root' {act} the account '{name}' (id {eve_id})"
        wait_until(lambda line=line: line in site.server.log())


def test_an_administrator_cannot_deactivate_themselves_nor_an_unknown_account(site: Site) -> None:
    """Self-deactivation is 400 (it would lock the last administrator out); no such account is 404."""
    _, page = site.call("GET", "/api/admin/accounts?limit=500")
    root = next(a for a in page["accounts"] if a["name"] == "root")
    status, answer = site.call("POST", f"/api/admin/accounts/{root['id']}/deactivate")
    assert (status, answer["error"]) == (400, "bad_request")
    for raw in ("99999", "abc", "-1"):
        status, answer = site.call("POST", f"/api/admin/accounts/{raw}/deactivate")
        assert (status, answer["error"]) == (404, "not_found")


def test_a_member_taken_out_of_a_closed_room_is_closed_4403(site: Site) -> None:
    """An administrator takes a member out (the rooms API): its connection closes forbidden/4403,
    the other member stays and reads on."""
    room, kept, removed = unique("club"), unique("kim"), unique("rob")
    kept_id, removed_id = site.person(kept), site.person(removed)

    async def club(accounts: AccountStore) -> None:
        await accounts.create_room(room, CLOSED, creator_id=kept_id, members=[removed_id])

    in_store(site.database, club)
    stays, _, _ = welcomed(site.server, room=room, token=token(kept))
    goes, _, _ = welcomed(site.server, room=room, token=token(removed))
    with stays, goes:
        status, _ = site.call("DELETE", f"/api/rooms/{room}/members/{removed}")
        assert status == 204
        frames = []
        while (frame := receive(goes))["type"] != "error":
            frames.append(frame)
        assert frame["code"] == "forbidden"
        assert close_code(goes, timeout=5) == 4403
        stays.send('{"type":"message","message":"after"}')
        assert next_of(stays, "user", skip=("sys", "typing", "room", "room_gone"))["message"] == "after"
    error, code = refused_on_open(site.server, room=room, token=token(removed))
    assert (error["code"], code) == ("not_found", 4404)


def test_a_removed_guest_is_closed_4403_and_its_address_barred(site: Site) -> None:
    """The guest is closed forbidden/4403; its address is refused 4403 on reconnecting, in any room;
    a guest from another address and the rest of the room are unaffected."""
    room = unique("moderated")
    with (
        join(site.server, room, "troll", source="127.0.0.7") as troll,
        join(site.server, room, "fine", source="127.0.0.8") as fine,
    ):
        status, answer = site.call(
            "POST", "/api/admin/guests/removals", {"room": room, "nick": "TROLL", "minutes": 5}
        )
        assert status == 200 and answer["nick"] == "TROLL"
        error = next_of(troll, "error", skip=("sys", "typing"))
        assert error["code"] == "forbidden"
        assert close_code(troll, timeout=5) == 4403
        for where in (room, unique("other")):
            error, code = refused_on_open(site.server, room=where, nick="troll2", source="127.0.0.7")
            assert (error["code"], code) == ("forbidden", 4403)
            assert "removed" in error["message"]
        say(fine, "calm again")
        assert next_of(fine, "user", skip=("sys", "typing"))["message"] == "calm again"
        with join(site.server, room, "newcomer", source="127.0.0.9"):
            pass
    assert_no_traceback(site.server)


def test_a_removed_guest_is_closed_in_every_room_it_is_in_from_its_address(site: Site) -> None:
    """The guest removed from one room has a tab in another: closed there too, forbidden/4403, told
    until when its address is barred; another guest in that room carries on."""
    room, other = unique("pestered"), unique("elsewhere")
    with (
        join(site.server, room, "pest", source="127.0.0.21") as pest,
        join(site.server, other, "pest-tab", source="127.0.0.21") as tab,
        join(site.server, other, "calm", source="127.0.0.22") as calm,
    ):
        body = {"room": room, "nick": "pest", "minutes": 5}
        assert site.call("POST", "/api/admin/guests/removals", body)[0] == 200
        assert close_code(pest, timeout=5) == 4403
        error = next_of(tab, "error", skip=("sys", "typing"))
        assert error["code"] == "forbidden"
        assert error["message"].startswith(
            "an administrator removed you: guests from your address may return after"
        )
        assert close_code(tab, timeout=5) == 4403
        say(calm, "still here")
        assert next_of(calm, "user", skip=("sys", "typing"))["message"] == "still here"
    # Both lines, in either order: the node closing the guest may log before the request ends.
    removed = (
        f"INFO chatroom.moderation: 'root' removed the guest 'pest' from '{room}', its address barred until"
    )
    closed = (
        f"INFO chatroom.moderation: closed the guest 'pest' in '{room}'; barred its address 127.0.0.21 until"
    )
    wait_until(lambda: removed in site.server.log() and closed in site.server.log())
    assert_no_traceback(site.server)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"room": "lobby", "nick": "nobody-here", "minutes": 5}, 404, "not_found"),
        ({"room": "lobby", "nick": "root", "minutes": 5}, 400, "bad_request"),
        ({"room": "lobby", "nick": "x", "minutes": -1}, 400, "bad_request"),
        ({"room": "lobby", "nick": "x", "minutes": True}, 400, "bad_request"),
        ({"room": "lobby", "nick": "x", "minutes": 10**9}, 400, "bad_request"),
        ({"room": "a/b", "nick": "x"}, 400, "bad_name"),
        ({"nick": "x"}, 400, "bad_request"),
    ],
)
def test_bad_guest_removals_are_refused(site: Site, body: dict[str, Any], status: int, code: str) -> None:
    """No such guest online: 404; an account's name, bad minutes or names: 400."""
    answer_status, answer = site.call("POST", "/api/admin/guests/removals", body)
    assert (answer_status, answer["error"]) == (status, code)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database of each kind."""
    return new_database(request, tmp_path)


def test_with_sessions_a_deactivated_person_cannot_sign_in_and_the_admins_cookie_needs_its_xsrf(
    database: str,
) -> None:
    """Signed in with cookies: the administrator's change without X-XSRFToken is 403 xsrf; with it, the
    person's session ends (401 on /api/me, 4401 on the socket) and signing in with the right password
    is 403 account_deactivated, saying so in words, until reactivated; a wrong password is answered, to
    the byte, as it is for an active account."""
    with ServerProcess(database, "--xheaders", guests=False) as server:
        admin, join_link = set_up(server)
        name = unique("sam")
        sam = web_join(server, join_link, name)
        sam_id = sam.get("/api/me").json["account"]["id"]
        cookie = sam.cookie(SESSION_COOKIE)
        assert cookie is not None
        ws = open_ws(server, room="lobby", headers={"Cookie": f"{SESSION_COOKIE}={cookie.value}"})
        with ws:
            assert next_of(ws, "welcome")["nick"] == name
            path = f"/api/admin/accounts/{sam_id}/deactivate"
            assert admin.call("POST", path, xsrf=False).error == (403, "xsrf")
            assert sam.get("/api/me").status == 200
            assert admin.call("POST", path).status == 200
            assert close_code(ws, timeout=5) == 4401
        assert sam.get("/api/me").status == 401
        browser = WebClient(server.url)
        refused = browser.sign_in(name)
        assert refused.error == (403, "account_deactivated")
        assert (
            refused.json["message"]
            == "your account has been deactivated: ask an administrator to reactivate it"
        )
        assert browser.cookie(SESSION_COOKIE) is None
        wrong = WebClient(server.url).sign_in(name, "not the password")
        wrong_active = WebClient(server.url).sign_in("Admin", "not the password")
        assert (
            (wrong.status, wrong.body)
            == (wrong_active.status, wrong_active.body)
            == (
                401,
                b'{"error":"bad_credentials","message":"the name or the password is wrong"}',
            )
        )
        assert admin.call("POST", f"/api/admin/accounts/{sam_id}/reactivate").status == 200
        assert WebClient(server.url).sign_in(name).status == 200


def test_a_removed_guests_address_makes_no_account_with_the_join_link(database: str) -> None:
    """A guest removed and barred comes back with the join link: 403 forbidden, saying until when, and
    no account is made (the link still works for others); the guest's fellow in the room carries on."""
    with ServerProcess(database, "--xheaders", guests=True) as server:
        admin, join_link = set_up(server)
        token = join_link.rsplit("token=", 1)[1]
        barred, other = new_address(), new_address()
        room = unique("lounge")
        fine = join(server, room, "fine")
        troll, _, _ = welcomed(server, room=room, nick="troll", headers={"X-Real-IP": barred})
        with troll, fine:
            body = {"room": room, "nick": "troll", "minutes": 30}
            assert admin.call("POST", "/api/admin/guests/removals", body).status == 200
            assert close_code(troll, timeout=5) == 4403
            comeback = {"token": token, "name": "trollish", "password": PASSWORD, "password_again": PASSWORD}
            answer = WebClient(server.url, barred).call("POST", "/api/join", comeback)
            assert answer.error == (403, "forbidden")
            assert answer.json["message"].startswith("an administrator removed you: nobody from your address")
            names = [account["name"] for account in admin.call("GET", "/api/admin/accounts").json["accounts"]]
            assert "trollish" not in names
            assert (
                WebClient(server.url, other).call("POST", "/api/join", {**comeback, "name": "newbie"}).status
                == 201
            )
            say(fine, "calm again")
            assert next_of(fine, "user", skip=("sys", "typing"))["message"] == "calm again"
        assert_no_traceback(server)


def test_administrators_list_closed_rooms_by_name_and_count_without_their_messages(site: Site) -> None:
    """The closed rooms' names, member counts and whether one is a member; no message, no direct room;
    anyone but an administrator is refused."""
    secret, room = unique("never shown "), unique("vault")
    owner, other = unique("owner"), unique("other")
    owner_id, other_id = site.person(owner), site.person(other)

    async def vault(accounts: AccountStore) -> None:
        await accounts.create_room(room, CLOSED, creator_id=owner_id, members=[other_id])
        # A second closed room, so that a page of one has a next page whatever ran before.
        await accounts.create_room(unique("attic"), CLOSED, creator_id=owner_id)
        await accounts.create_room(unique("dm-x"), DIRECT, members=[owner_id, other_id])

    in_store(site.database, vault)
    with welcomed(site.server, room=room, token=token(owner))[0] as ws:
        say(ws, secret)
        next_of(ws, "user")
    status, page = site.call("GET", "/api/admin/rooms?limit=500")
    assert status == 200 and page["next"] is None
    entries = {entry["room"]: entry for entry in page["rooms"]}
    assert entries[room] == {"room": room, "title": room, "archived": False, "members": 2, "member": False}
    assert all(not name.startswith("dm-x") for name in entries)
    assert secret not in str(page)
    status, answer = call_api(site.server, "GET", "/api/admin/rooms", None, f"Bearer {token(owner)}")
    assert (status, answer["error"]) == (403, "forbidden") and room not in str(answer)
    status, page = site.call("GET", "/api/admin/rooms?limit=1")
    assert len(page["rooms"]) == 1 and page["next"].startswith("/api/admin/rooms?after=")
