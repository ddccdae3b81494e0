"""One's devices (chatroom/api_sessions.py): the sessions listed with their browsers, one signed out from
another, and all of a person's by an administrator (chatroom/api_admin.py), on a real server with SQLite
and with PostgreSQL, and across two nodes on Redis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from chatroom.identity import SESSION_COOKIE

from .clients import close_code, next_of
from .redis_server import RedisServer
from .support import ServerProcess, make_bot, unique
from .test_cluster import node, redis_server  # noqa: F401 (the fixture)
from .web_client import PASSWORD, WebClient, guestless_site, join, new_database, session_socket, set_up

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/18.1 Mobile/15E148 Safari/604.1"
)
LINUX_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
ELSEWHERE = {
    "type": "error",
    "code": "unauthorized",
    "message": "this device was signed out from another one: sign in again",
}
NO_SUCH_SESSION = {"error": "not_found", "message": "no such session: it ended already, or it is not yours"}
BY_ADMIN = {
    "type": "error",
    "code": "unauthorized",
    "message": "an administrator signed you out everywhere: sign in again",
}

# The administrator of the module's server, kept beside it.
administrators: dict[str, WebClient] = {}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, str]]:
    """A set-up server without guests and its join link."""
    database = new_database(request, tmp_path_factory.mktemp("sessions"))
    with guestless_site(database) as (server, admin, join_link):
        administrators[server.url] = admin
        yield server, join_link


def signed_in(server: ServerProcess, name: str, agent: str) -> WebClient:
    """A browser that says it is ``agent``, signed in as ``name``."""
    browser = WebClient(server.url)
    answer = browser.call(
        "POST", "/api/session", {"name": name, "password": PASSWORD}, headers={"User-Agent": agent}
    )
    assert answer.status == 200, answer
    return browser


def sessions(browser: WebClient) -> list[dict[str, Any]]:
    answer = browser.get("/api/me/sessions")
    assert answer.status == 200, answer
    return list(answer.json["sessions"])


def the_one(listed: list[dict[str, Any]], device: str) -> dict[str, Any]:
    found = [entry for entry in listed if entry["device"] == device]
    assert len(found) == 1, listed
    return found[0]


def test_ones_devices_are_listed_with_their_browsers_and_this_one_marked(
    site: tuple[ServerProcess, str],
) -> None:
    """ann joined with a script, then signed in on an iPhone and on Linux: three sessions, this one first
    and marked, then the one used last first, each with its browser in words; bob's are not among them."""
    server, join_link = site
    name = unique("ann")
    script = join(server, join_link, name)
    phone = signed_in(server, name, IPHONE)
    laptop = signed_in(server, name, LINUX_FIREFOX)
    join(server, join_link, unique("bob"))
    listed = sessions(laptop)
    assert [entry["device"] for entry in listed].count("Firefox on Linux") == 1
    assert {entry["device"] for entry in listed} == {"Python-urllib", "Safari on iPhone", "Firefox on Linux"}
    for entry in listed:
        assert set(entry) == {"id", "device", "created_at", "last_seen_at", "current"}
        assert re.fullmatch(r"[0-9a-f]{16}", entry["id"])
        assert entry["created_at"] <= entry["last_seen_at"]
    assert [entry["current"] for entry in listed] == [True, False, False]
    assert listed[0]["device"] == "Firefox on Linux"
    assert listed[1]["last_seen_at"] >= listed[2]["last_seen_at"]
    assert len({entry["id"] for entry in listed}) == 3
    assert the_one(sessions(phone), "Safari on iPhone")["current"] is True
    assert the_one(sessions(script), "Python-urllib")["current"] is True


def test_a_device_signed_out_from_another_is_closed_and_opens_nothing(
    site: tuple[ServerProcess, str],
) -> None:
    """From the laptop, ann signs her lost phone out: the phone's socket gets unauthorized and 4401, its
    cookie opens nothing, the list no longer shows it; signing it out again, or bob's session, is 404;
    the laptop and bob carry on."""
    server, join_link = site
    name = unique("ann")
    join(server, join_link, name)
    bob = join(server, join_link, unique("bob"))
    phone = signed_in(server, name, IPHONE)
    laptop = signed_in(server, name, LINUX_FIREFOX)
    phone_socket, laptop_socket = session_socket(server, phone), session_socket(server, laptop)
    lost = the_one(sessions(laptop), "Safari on iPhone")
    ended = laptop.call("DELETE", f"/api/me/sessions/{lost['id']}")
    assert (ended.status, ended.json) == (200, {"signed_out": 1})
    assert next_of(phone_socket, "error") == ELSEWHERE
    assert close_code(phone_socket) == 4401
    assert phone.get("/api/me").status == 401
    assert lost["id"] not in {entry["id"] for entry in sessions(laptop)}
    again = laptop.call("DELETE", f"/api/me/sessions/{lost['id']}")
    assert (again.status, again.json) == (404, NO_SUCH_SESSION)
    bobs = sessions(bob)[0]["id"]
    others = laptop.call("DELETE", f"/api/me/sessions/{bobs}")
    assert (others.status, others.json) == (404, NO_SUCH_SESSION)
    assert bob.get("/api/me").status == 200
    laptop_socket.send('{"type":"message","message":"still here"}')
    assert next_of(laptop_socket, "user")["message"] == "still here"
    laptop_socket.close()


def test_signing_this_devices_own_session_out_forgets_its_cookie(site: tuple[ServerProcess, str]) -> None:
    """Ending the session one asks with signs this browser out: its cookie is cleared and opens nothing."""
    server, join_link = site
    browser = join(server, join_link, unique("ann"))
    own = next(entry for entry in sessions(browser) if entry["current"])
    answer = browser.call("DELETE", f"/api/me/sessions/{own['id']}")
    assert (answer.status, answer.json) == (200, {"signed_out": 1})
    assert browser.cookie(SESSION_COOKIE) is None  # cleared by the answer
    assert browser.get("/api/me").status == 401


def test_nobody_and_a_bot_have_no_devices_to_list(site: tuple[ServerProcess, str]) -> None:
    """Without a session: 401 for the list and for ending one; a bot's key: 403, it has no sessions."""
    server, _ = site
    nobody = WebClient(server.url)
    assert nobody.get("/api/me/sessions").error == (401, "unauthorized")
    assert nobody.call("DELETE", "/api/me/sessions/0123456789abcdef").error == (401, "unauthorized")
    bot = make_bot(server.db, unique("ci"))
    answer = nobody.call("GET", "/api/me/sessions", headers={"Authorization": bot.authorization}, xsrf=False)
    assert (answer.status, answer.json) == (
        403,
        {"error": "forbidden", "message": "a bot signs in with its key and has no sessions"},
    )


def test_a_device_signed_out_through_one_node_is_closed_on_the_other(redis_server: RedisServer) -> None:  # noqa: F811
    """ann's phone is connected to the right node; from her laptop on the left one she signs it out:
    the right node closes the phone's socket with unauthorized and 4401."""
    with node(redis_server, guests=False) as left, node(redis_server, guests=False) as right:
        set_up(right)  # the node started last printed the one setup link still good
        phone = signed_in(right, "Admin", IPHONE)
        phone_socket = session_socket(right, phone)
        laptop = signed_in(left, "Admin", LINUX_FIREFOX)
        lost = the_one(sessions(laptop), "Safari on iPhone")
        assert laptop.call("DELETE", f"/api/me/sessions/{lost['id']}").json == {"signed_out": 1}
        assert next_of(phone_socket, "error") == ELSEWHERE
        assert close_code(phone_socket) == 4401


def account_id(browser: WebClient) -> int:
    return int(browser.get("/api/me").json["account"]["id"])


def test_an_administrator_signs_a_person_out_everywhere(site: tuple[ServerProcess, str]) -> None:
    """ann's phone is lost: the administrator signs her out everywhere. Each of her sockets gets the
    administrator's unauthorized and 4401, none of her cookies opens anything, she signs in again with her
    password; bob carries on; the moderation history and the log say what was done."""
    server, join_link = site
    admin = administrators[server.url]
    name = unique("ann")
    script = join(server, join_link, name)
    phone, laptop = signed_in(server, name, IPHONE), signed_in(server, name, LINUX_FIREFOX)
    bob = join(server, join_link, unique("bob"))
    sockets = [session_socket(server, phone), session_socket(server, laptop)]
    bob_socket = session_socket(server, bob)
    ann_id = account_id(script)
    answer = admin.call("POST", f"/api/admin/accounts/{ann_id}/sign-out")
    assert answer.status == 200
    assert (answer.json["signed_out"], answer.json["account"]["name"], answer.json["account"]["active"]) == (
        3,
        name,
        True,
    )
    for ws in sockets:
        assert next_of(ws, "error") == BY_ADMIN
        assert close_code(ws) == 4401
    assert [browser.get("/api/me").status for browser in (script, phone, laptop)] == [401, 401, 401]
    again = WebClient(server.url)
    assert again.sign_in(name).status == 200
    assert again.get("/api/me").status == 200
    bob_socket.send('{"type":"message","message":"still here"}')
    assert next_of(bob_socket, "user")["message"] == "still here"
    bob_socket.close()
    acts = admin.get("/api/admin/moderation?limit=1").json["acts"]
    assert {key: acts[0][key] for key in ("act", "actor", "subject", "subject_account", "detail")} == {
        "act": "sign_out",
        "actor": "Admin",
        "subject": name,
        "subject_account": ann_id,
        "detail": "3 sessions ended",
    }
    assert (
        f"'Admin' signed the account '{name}' (id {ann_id}) out everywhere: 3 sessions ended" in server.log()
    )


def test_signing_out_a_bot_or_nobody_is_refused_and_only_administrators_may(
    site: tuple[ServerProcess, str],
) -> None:
    """A bot: 400, saying to revoke its keys; no such account: 404; a person asking: 403; nobody: 401;
    the administrator's cookie without its XSRF token: 403. ann is signed in throughout."""
    server, join_link = site
    admin = administrators[server.url]
    ann = join(server, join_link, unique("ann"))
    bob = join(server, join_link, unique("bob"))
    path = f"/api/admin/accounts/{account_id(ann)}/sign-out"
    bot = make_bot(server.db, unique("ci"))
    bot_id = next(
        a["id"] for a in admin.get("/api/admin/accounts?limit=500").json["accounts"] if a["name"] == bot.name
    )
    refused = admin.call("POST", f"/api/admin/accounts/{bot_id}/sign-out")
    assert (refused.status, refused.json) == (
        400,
        {
            "error": "bad_request",
            "message": "a bot signs in with its keys and has no sessions: revoke its keys",
        },
    )
    assert admin.call("POST", "/api/admin/accounts/99999999/sign-out").error == (404, "not_found")
    assert bob.call("POST", path).error == (403, "forbidden")
    assert WebClient(server.url).call("POST", path).error == (401, "unauthorized")
    assert admin.call("POST", path, xsrf=False).error == (403, "xsrf")
    assert ann.get("/api/me").status == 200


def test_a_person_signed_out_by_an_administrator_on_one_node_is_closed_on_the_other(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """The administrator on the left node signs ann out: her socket on the right node gets unauthorized
    and 4401."""
    with node(redis_server, guests=False) as left, node(redis_server, guests=False) as right:
        _, join_link = set_up(right)
        ann = join(right, join_link, "ann")
        ann_socket = session_socket(right, ann)
        on_left = WebClient(left.url)
        assert on_left.sign_in("Admin").status == 200
        answer = on_left.call("POST", f"/api/admin/accounts/{account_id(ann)}/sign-out")
        assert (answer.status, answer.json["signed_out"]) == (200, 1)
        assert next_of(ann_socket, "error") == BY_ADMIN
        assert close_code(ann_socket) == 4401
