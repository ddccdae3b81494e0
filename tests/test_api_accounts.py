"""Signing in and out, the session cookie, cross-site checks, sign-in limits and /api/me, on the real
server with SQLite and with PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher, profiles

from chatroom.identity import SESSION_COOKIE
from chatroom.passwords import prepare
from chatroom.store.accounts_base import AccountStore

from .clients import close_code, next_leave, next_of, say
from .support import REPO, ServerProcess, in_store, unique
from .web_client import PASSWORD, WebClient, guestless_site, join, new_database, session_socket


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, str]]:
    """A set-up server without guests (addresses from X-Real-IP) and its join link."""
    with guestless_site(new_database(request, tmp_path_factory.mktemp("accounts"))) as (server, _, join_link):
        yield server, join_link


def person(site: tuple[ServerProcess, str], name: str | None = None) -> tuple[WebClient, str]:
    """A new account made with the join link, signed in; its name."""
    server, join_link = site
    name = name or unique("p")
    return join(server, join_link, name), name


def test_sign_in_sets_a_safe_cookie_and_a_new_session_each_time(site: tuple[ServerProcess, str]) -> None:
    """200 with the account; the cookie is HttpOnly and SameSite=Lax; two sign-ins, two sessions."""
    server, _ = site
    _, name = person(site)
    browser = WebClient(server.url)
    first = browser.sign_in(name)
    assert first.status == 200
    assert first.json["account"]["name"] == name
    assert set(first.json["account"]) == {"id", "name", "color", "is_admin", "kind", "external"}
    set_cookie = first.headers["Set-Cookie"]
    assert f"{SESSION_COOKIE}=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie  # plain HTTP here; over HTTPS (X-Forwarded-Proto) it is Secure
    first_value = browser.cookie(SESSION_COOKIE)
    assert first_value is not None
    second = browser.sign_in(name)
    assert second.status == 200
    second_value = browser.cookie(SESSION_COOKIE)
    assert second_value is not None and second_value.value != first_value.value


def test_behind_https_the_cookie_is_secure(site: tuple[ServerProcess, str]) -> None:
    """With --xheaders and X-Forwarded-Proto: https, the session cookie is marked Secure."""
    server, _ = site
    _, name = person(site)
    browser = WebClient(server.url)
    answer = browser.call(
        "POST", "/api/session", {"name": name, "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert answer.status == 200
    assert "Secure" in answer.headers["Set-Cookie"]


def test_me_shows_the_account_and_never_its_hash(site: tuple[ServerProcess, str]) -> None:
    """GET /api/me: id, name, colour, admin or not, kind; nothing of the password."""
    ann, name = person(site)
    answer = ann.get("/api/me")
    assert answer.status == 200
    account = answer.json["account"]
    assert (account["name"], account["is_admin"], account["kind"]) == (name, False, "person")
    assert account["color"].startswith("#")
    assert b"argon2" not in answer.body and PASSWORD.encode() not in answer.body


def test_a_wrong_password_is_401_and_says_nothing_more(site: tuple[ServerProcess, str]) -> None:
    """A wrong password and an unknown name get the same 401 bad_credentials, and no cookie."""
    server, _ = site
    _, name = person(site)
    browser = WebClient(server.url)
    wrong = browser.sign_in(name, "not the password at all")
    unknown = browser.sign_in(unique("nobody"), "not the password at all")
    assert wrong.error == unknown.error == (401, "bad_credentials")
    assert wrong.json == unknown.json
    assert browser.cookie(SESSION_COOKIE) is None
    assert browser.get("/api/me").error == (401, "unauthorized")


def test_ten_failures_then_429_alike_for_known_and_unknown_names(site: tuple[ServerProcess, str]) -> None:
    """After 10 failures in 10 minutes: 429 with Retry-After, the same for a name that does not exist;
    even the right password waits, and other names from other addresses are unaffected."""
    server, _ = site
    _, name = person(site)
    answers = {}
    for target in (name, unique("ghost")):
        attacker = WebClient(server.url)
        for _ in range(10):
            assert attacker.sign_in(target, "guessing guessing").error == (401, "bad_credentials")
        answers[target] = attacker.sign_in(target, "guessing guessing")
        # The name is now limited from any address, with the right password too.
        assert WebClient(server.url).sign_in(target, PASSWORD).status == 429
    known, unknown = answers.values()
    assert known.error == unknown.error == (429, "rate_limited")
    assert known.json == unknown.json
    assert 0 < int(known.headers["Retry-After"]) <= 600
    assert 0 < int(unknown.headers["Retry-After"]) <= 600
    _, other = person(site)
    assert WebClient(server.url).sign_in(other).status == 200


def test_one_address_trying_many_names_is_limited_too(site: tuple[ServerProcess, str]) -> None:
    """Ten failures from one address over ten names: the eleventh name from it waits."""
    server, _ = site
    _, name = person(site)
    attacker = WebClient(server.url)
    for _ in range(10):
        assert attacker.sign_in(unique("spray"), "guessing guessing").status == 401
    refused = attacker.sign_in(name)
    assert refused.error == (429, "rate_limited") and "Retry-After" in refused.headers
    assert WebClient(server.url).sign_in(name).status == 200


def test_without_the_xsrf_token_a_cookie_request_is_403(site: tuple[ServerProcess, str]) -> None:
    """Signing in, signing out and changing one's name without X-XSRFToken: 403 xsrf, nothing done."""
    server, _ = site
    ann, name = person(site)
    stranger = WebClient(server.url)
    stranger.xsrf_token()  # the page's _xsrf cookie is there: only its echo is missing (login CSRF)
    assert stranger.call("POST", "/api/session", {"name": name, "password": PASSWORD}, xsrf=False).error == (
        403,
        "xsrf",
    )
    assert stranger.cookie(SESSION_COOKIE) is None
    assert ann.call("PATCH", "/api/me", {"name": unique("x")}, xsrf=False).error == (403, "xsrf")
    assert ann.call("DELETE", "/api/session", xsrf=False).error == (403, "xsrf")
    forged = ann.call("DELETE", "/api/session", xsrf=False, headers={"X-XSRFToken": "2|00|00|0"})
    assert forged.error == (403, "xsrf")
    assert ann.get("/api/me").json["account"]["name"] == name


def test_sign_out_ends_the_session_at_once(site: tuple[ServerProcess, str]) -> None:
    """DELETE /api/session: the cookie, replayed by anyone, opens nothing any more."""
    server, _ = site
    ann, _ = person(site)
    stolen = ann.cookie(SESSION_COOKIE)
    assert stolen is not None
    assert ann.call("DELETE", "/api/session").status == 200
    assert ann.get("/api/me").error == (401, "unauthorized")
    replay = WebClient(server.url)
    replay.jar.set_cookie(stolen)
    assert replay.get("/api/me").error == (401, "unauthorized")


def test_sign_out_everywhere_ends_every_session(site: tuple[ServerProcess, str]) -> None:
    """Two browsers signed in; sign out everywhere from one: neither opens anything."""
    server, _ = site
    phone, name = person(site)
    laptop = WebClient(server.url)
    assert laptop.sign_in(name).status == 200
    answer = phone.call("POST", "/api/session/everywhere")
    assert answer.status == 200 and answer.json["signed_out"] == 2
    assert phone.get("/api/me").status == laptop.get("/api/me").status == 401


def test_rename_follows_the_name_rules(site: tuple[ServerProcess, str]) -> None:
    """A new name is taken; a bad one is 400 bad_name; another's name or a look-alike is 409 name_taken."""
    ann, _ = person(site)
    _, bob = person(site)
    new_name = unique("Ann")
    assert ann.call("PATCH", "/api/me", {"name": new_name}).json["account"]["name"] == new_name
    assert ann.call("PATCH", "/api/me", {"name": " "}).error == (400, "bad_name")
    assert ann.call("PATCH", "/api/me", {"name": bob.upper()}).error == (409, "name_taken")
    assert ann.get("/api/me").json["account"]["name"] == new_name


def test_a_name_renamed_from_is_nobody_elses(site: tuple[ServerProcess, str]) -> None:
    """The name ann leaves is 409 name_taken to bob and to a join link; ann takes it back."""
    server, _ = site
    ann, old_name = person(site)
    bob, _ = person(site)
    new_name = unique("Ann")
    assert ann.call("PATCH", "/api/me", {"name": new_name}).status == 200
    taken = bob.call("PATCH", "/api/me", {"name": old_name.upper()})
    assert taken.error == (409, "name_taken")
    assert (
        taken.json["message"] == f"the name {old_name.upper()!r} was another account's: its messages bear it"
    )
    token = site[1].rsplit("token=", 1)[1]
    body = {"token": token, "name": old_name, "password": PASSWORD, "password_again": PASSWORD}
    assert WebClient(server.url).call("POST", "/api/join", body).error == (409, "name_taken")
    assert ann.call("PATCH", "/api/me", {"name": old_name}).json["account"]["name"] == old_name
    assert bob.call("PATCH", "/api/me", {"name": new_name}).error == (409, "name_taken")


def test_a_password_change_needs_the_current_one(site: tuple[ServerProcess, str]) -> None:
    """Wrong current password: 403 bad_credentials; short new one: 400 bad_password; then it works."""
    server, _ = site
    ann, name = person(site)
    new = "a brand new passphrase"
    wrong = ann.call("PATCH", "/api/me", {"current_password": "not it at all", "password": new})
    assert wrong.error == (403, "bad_credentials")
    short = ann.call("PATCH", "/api/me", {"current_password": PASSWORD, "password": "short"})
    assert short.error == (400, "bad_password")
    assert short.json["message"] == "a password has at least 10 characters"
    differ = ann.call(
        "PATCH", "/api/me", {"current_password": PASSWORD, "password": new, "password_again": new + "!"}
    )
    assert differ.error == (400, "passwords_differ")
    assert ann.call("PATCH", "/api/me", {"current_password": PASSWORD, "password": new}).status == 200
    assert WebClient(server.url).sign_in(name).error == (401, "bad_credentials")
    assert WebClient(server.url).sign_in(name, new).status == 200


def test_a_password_change_can_sign_out_the_other_devices(site: tuple[ServerProcess, str]) -> None:
    """With sign_out_others, the other browser is signed out and this one stays signed in."""
    server, _ = site
    ann, name = person(site)
    other = WebClient(server.url)
    assert other.sign_in(name).status == 200
    new = "another new passphrase"
    body = {"current_password": PASSWORD, "password": new, "sign_out_others": "yes"}
    assert ann.call("PATCH", "/api/me", body).status == 200
    assert other.get("/api/me").status == 401
    assert ann.get("/api/me").status == 200


def test_bad_bodies_are_400_json(site: tuple[ServerProcess, str]) -> None:
    """Not JSON, not an object, a field missing or not a string: 400 with the reason."""
    server, _ = site
    browser = WebClient(server.url)
    token = browser.xsrf_token()
    raw = browser.request("POST", "/api/session", b"{nope", {"X-XSRFToken": token})
    assert raw.error == (400, "bad_json")
    assert browser.call("POST", "/api/session", [1]).error == (400, "bad_json")
    assert browser.call("POST", "/api/session", {"name": "x"}).error == (400, "bad_request")
    assert browser.call("POST", "/api/session", {"name": 1, "password": "x"}).error == (400, "bad_request")


def test_bearer_requests_need_no_xsrf_token(site: tuple[ServerProcess, str]) -> None:
    """A bot's key in Authorization: no _xsrf needed; the answer is about the request itself."""
    server, _ = site
    created = subprocess.run(
        [sys.executable, "-m", "chatroom", "admin", "create-bot", unique("bot"), "--database", server.db],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    bot = WebClient(server.url)
    bearer = {"Authorization": f"Bearer {key}"}
    assert bot.call("GET", "/api/me", headers=bearer, xsrf=False).json["account"]["kind"] == "bot"
    assert bot.call("PATCH", "/api/me", {"name": "x"}, headers=bearer, xsrf=False).error == (403, "forbidden")


def test_signing_out_closes_that_sessions_sockets_4401(site: tuple[ServerProcess, str]) -> None:
    """Sign out in one browser: its socket is closed unauthorized/4401, the other browser stays signed
    in; signing out everywhere closes that one's socket too."""
    server, _ = site
    here, name = person(site)
    there = WebClient(server.url)
    assert there.sign_in(name).status == 200
    here_ws = session_socket(server, here)
    assert here.call("DELETE", "/api/session").status == 200
    assert next_of(here_ws, "error")["code"] == "unauthorized"
    assert close_code(here_ws) == 4401
    assert there.get("/api/me").status == 200
    there_ws = session_socket(server, there)
    say(there_ws, "still here")
    assert next_of(there_ws, "user")["message"] == "still here"
    assert there.call("POST", "/api/session/everywhere").status == 200
    assert close_code(there_ws) == 4401


def test_a_password_change_signs_out_the_other_devices_sockets_and_brings_this_browsers_back(
    site: tuple[ServerProcess, str],
) -> None:
    """A new password with sign_out_others: the other browser's socket is told its password was changed and
    closed 4401; this browser's own socket is closed 1012 and comes back with the new cookie."""
    server, _ = site
    here, name = person(site)
    there = WebClient(server.url)
    assert there.sign_in(name).status == 200
    here_ws, there_ws = session_socket(server, here), session_socket(server, there)
    body = {"current_password": PASSWORD, "password": "a third new passphrase", "sign_out_others": "yes"}
    assert here.call("PATCH", "/api/me", body).status == 200
    refused = next_of(there_ws, "error")
    assert refused["code"] == "unauthorized"
    assert refused["message"] == "your password was changed: sign in again"
    assert close_code(there_ws) == 4401
    assert close_code(here_ws) == 1012
    back = session_socket(server, here)
    say(back, "same browser, new session")
    assert next_of(back, "user")["message"] == "same browser, new session"


def test_a_rename_reaches_the_renamed_sockets_and_others_see_the_new_name(
    site: tuple[ServerProcess, str],
) -> None:
    """Renamed: the account's socket is told its new name and closed to come back (1012); the others see the
    old name leave and the new one join, and the new name's messages carry it."""
    server, _ = site
    ann, old_name = person(site)
    bob, _ = person(site)
    ann_ws, bob_ws = session_socket(server, ann), session_socket(server, bob)
    new_name = unique("Annie")
    assert ann.call("PATCH", "/api/me", {"name": new_name}).status == 200
    assert next_of(ann_ws, "renamed")["nick"] == new_name
    assert close_code(ann_ws) == 1012
    assert next_leave(bob_ws) == old_name
    back = session_socket(server, ann)
    joined = next_of(bob_ws, "sys")
    assert (joined["event"], joined["nick"]) == ("join", new_name)
    say(back, "under my new name")
    assert next_of(bob_ws, "user")["nick"] == new_name


def test_a_hash_of_older_parameters_is_made_again_at_sign_in(site: tuple[ServerProcess, str]) -> None:
    """A password hashed with weaker parameters than today's still signs in, and is then stored
    hashed with today's (argon2id, RFC 9106's profile)."""
    server, _ = site
    _, name = person(site)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(prepare(PASSWORD))

    async def weaken(accounts: AccountStore) -> None:
        account = await accounts.account_by_name(name)
        assert account is not None
        await accounts.set_password_hash(account.id, weak)

    async def stored_hash(accounts: AccountStore) -> str | None:
        account = await accounts.account_by_name(name)
        assert account is not None
        return account.password_hash

    in_store(server.db, weaken)
    assert WebClient(server.url).sign_in(name).status == 200
    rehashed = in_store(server.db, stored_hash)
    assert rehashed is not None and rehashed != weak and rehashed.startswith("$argon2id$")
    assert not PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).check_needs_rehash(rehashed)
    assert WebClient(server.url).sign_in(name).status == 200
