"""Setup, join and reset links over the JSON API, and the administrators' join and reset links, on
the real server with SQLite and with PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatroom.identity import SESSION_COOKIE

from .support import REPO, ServerProcess, unique
from .web_client import PASSWORD, WebClient, guestless_site, join, new_database, setup_link

INVALID_LINK = (403, "invalid_link")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database of each kind."""
    return new_database(request, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, WebClient, str]]:
    """A set-up server without guests: the server, its administrator's client, the join link."""
    with guestless_site(new_database(request, tmp_path_factory.mktemp("links"))) as site:
        yield site


def setup_body(
    token: str, name: str = "Root", password: str = PASSWORD, again: str = PASSWORD
) -> dict[str, str]:
    return {"token": token, "name": name, "password": password, "password_again": again}


def test_setup_refuses_a_missing_or_wrong_token_and_creates_nothing(database: str) -> None:
    """No token, an empty, a wrong one: refused; the server still waits for its administrator."""
    with ServerProcess(database, guests=False) as server:
        _, token = setup_link(server)
        browser = WebClient(server.url)
        no_token = browser.call("POST", "/api/setup", {"name": "Root", "password": PASSWORD})
        assert no_token.error == (400, "bad_request")
        assert browser.call("POST", "/api/setup", setup_body("")).error == INVALID_LINK
        wrong = browser.call("POST", "/api/setup", setup_body(token[:-2] + "xx"))
        assert wrong.error == INVALID_LINK
        assert wrong.json["message"] == (
            "this link does not work: it was used already, revoked, or it never existed"
        )
        assert browser.cookie(SESSION_COOKIE) is None
        assert browser.sign_in("Root").error == (503, "setup_required")
        assert browser.get("/api/rooms").error == (503, "setup_required")


def test_setup_checks_the_name_and_password_before_using_the_link(database: str) -> None:
    """A short password or two that differ: 400, and the link still works afterwards."""
    with ServerProcess(database, guests=False) as server:
        _, token = setup_link(server)
        browser = WebClient(server.url)
        short = browser.call("POST", "/api/setup", setup_body(token, password="short", again="short"))
        assert short.error == (400, "bad_password")
        differ = browser.call("POST", "/api/setup", setup_body(token, again=PASSWORD + "?"))
        assert differ.error == (400, "passwords_differ")
        assert browser.call("POST", "/api/setup", setup_body(token, name="bad\nname")).error == (
            400,
            "bad_name",
        )
        done = browser.call("POST", "/api/setup", setup_body(token))
        assert done.status == 201
        assert done.json["account"]["is_admin"] is True
        assert "/join?token=" in done.json["join_link"]
        assert browser.get("/api/me").json["account"]["name"] == "Root"
        again = WebClient(server.url).call("POST", "/api/setup", setup_body(token, name="Second"))
        assert again.error == (409, "setup_done")


def test_an_administrator_sees_regenerates_and_revokes_the_join_link(
    site: tuple[ServerProcess, WebClient, str],
) -> None:
    """GET lists the link setup made; POST replaces it (the old one stops working); DELETE stops all."""
    server, admin, _ = site
    listed = admin.get("/api/admin/join-links").json["join_links"]
    assert len(listed) == 1 and "/join?token=" in listed[0]["url"]
    old = listed[0]["url"]
    new = admin.call("POST", "/api/admin/join-links")
    assert new.status == 201 and new.json["url"] != old
    assert [entry["url"] for entry in admin.get("/api/admin/join-links").json["join_links"]] == [
        new.json["url"]
    ]
    old_token = old.rsplit("token=", 1)[1]
    stale = WebClient(server.url).call(
        "POST", "/api/join", {"token": old_token, "name": unique("late"), "password": PASSWORD}
    )
    assert stale.error == INVALID_LINK
    assert admin.call("DELETE", "/api/admin/join-links").json == {"revoked": 1}
    revoked_token = new.json["url"].rsplit("token=", 1)[1]
    refused = WebClient(server.url).call(
        "POST", "/api/join", {"token": revoked_token, "name": unique("late"), "password": PASSWORD}
    )
    assert refused.error == INVALID_LINK
    assert admin.get("/api/admin/join-links").json == {"join_links": []}
    admin.call("POST", "/api/admin/join-links")  # the other tests join with a fresh one


def fresh_join_link(admin: WebClient) -> str:
    return str(admin.call("POST", "/api/admin/join-links").json["url"])


def test_joining_follows_the_name_and_password_rules(site: tuple[ServerProcess, WebClient, str]) -> None:
    """Taken or look-alike names 409, bad names and short passwords 400, then an account, signed in."""
    server, admin, _ = site
    token = fresh_join_link(admin).rsplit("token=", 1)[1]
    browser = WebClient(server.url)

    def attempt(name: str, password: str = PASSWORD, again: str = PASSWORD) -> tuple[int, str]:
        body = {"token": token, "name": name, "password": password, "password_again": again}
        return browser.call("POST", "/api/join", body).error

    assert attempt("ADMIN") == (409, "name_taken")
    assert attempt("Аdmin") == (409, "name_taken")  # a Cyrillic А: a look-alike
    assert attempt("") == (400, "bad_name")
    assert attempt(unique("ok"), "123456789") == (400, "bad_password")
    assert attempt(unique("ok"), PASSWORD, "something else") == (400, "passwords_differ")
    assert browser.cookie(SESSION_COOKIE) is None
    name = unique("Zoë")
    joined = browser.call("POST", "/api/join", {"token": token, "name": name, "password": PASSWORD})
    assert joined.status == 201 and joined.json["account"]["is_admin"] is False
    assert browser.get("/api/me").json["account"]["name"] == name


def test_only_an_administrator_uses_the_admin_endpoints(site: tuple[ServerProcess, WebClient, str]) -> None:
    """A member gets 403 forbidden; nobody signed in gets 401."""
    server, admin, _ = site
    member = join(server, fresh_join_link(admin), unique("m"))
    assert member.get("/api/admin/join-links").error == (403, "forbidden")
    assert member.call("POST", "/api/admin/join-links").error == (403, "forbidden")
    me = member.get("/api/me").json["account"]["id"]
    assert member.call("POST", f"/api/admin/accounts/{me}/reset-link").error == (403, "forbidden")
    assert WebClient(server.url).get("/api/admin/join-links").error == (401, "unauthorized")


def test_a_reset_link_sets_a_new_password_once_and_signs_out_the_rest(
    site: tuple[ServerProcess, WebClient, str],
) -> None:
    """The admin's reset link: a new password, the account's other sessions ended, the link used up."""
    server, admin, _ = site
    name = unique("forgetful")
    old_session = join(server, fresh_join_link(admin), name)
    account_id = old_session.get("/api/me").json["account"]["id"]
    issued = admin.call("POST", f"/api/admin/accounts/{account_id}/reset-link")
    assert issued.status == 201 and "/reset?token=" in issued.json["url"]
    token = issued.json["url"].rsplit("token=", 1)[1]
    browser = WebClient(server.url)
    new = "remembered this time"
    short = browser.call("POST", "/api/reset", {"token": token, "password": "short"})
    assert short.error == (400, "bad_password")
    done = browser.call("POST", "/api/reset", {"token": token, "password": new, "password_again": new})
    assert done.status == 200 and done.json["account"]["name"] == name
    assert browser.get("/api/me").status == 200
    assert old_session.get("/api/me").status == 401
    assert WebClient(server.url).sign_in(name, new).status == 200
    used = WebClient(server.url).call("POST", "/api/reset", {"token": token, "password": "yet another one"})
    assert used.error == INVALID_LINK
    assert admin.call("POST", "/api/admin/accounts/999999/reset-link").error == (404, "not_found")


def test_a_deactivated_account_s_reset_link_says_so_and_works_once_it_is_back(
    site: tuple[ServerProcess, WebClient, str],
) -> None:
    """The link's holder is told what sign-in tells the right password, 403 account_deactivated, and
    the link is not used up: reactivated, it sets the password. No new link while deactivated."""
    server, admin, _ = site
    name = unique("away")
    account_id = join(server, fresh_join_link(admin), name).get("/api/me").json["account"]["id"]
    token = admin.call("POST", f"/api/admin/accounts/{account_id}/reset-link").json["url"].rsplit("=", 1)[1]
    admin.call("POST", f"/api/admin/accounts/{account_id}/deactivate")
    browser = WebClient(server.url)
    new = "back from the break"
    refused = browser.call("POST", "/api/reset", {"token": token, "password": new})
    assert refused.error == (403, "account_deactivated")
    assert refused.json["message"].startswith("your account has been deactivated: ask an administrator")
    assert browser.cookie(SESSION_COOKIE) is None
    again = admin.call("POST", f"/api/admin/accounts/{account_id}/reset-link")
    assert again.error == (409, "account_deactivated")
    assert again.json["message"] == f"{name!r} is deactivated: reactivate it first"
    admin.call("POST", f"/api/admin/accounts/{account_id}/reactivate")
    assert browser.call("POST", "/api/reset", {"token": token, "password": new}).status == 200
    assert WebClient(server.url).sign_in(name, new).status == 200


def test_the_command_lines_reset_link_works_on_the_page_api(
    site: tuple[ServerProcess, WebClient, str],
) -> None:
    """``admin reset-link NAME`` makes a link the running server takes."""
    server, admin, _ = site
    name = unique("cli")
    join(server, fresh_join_link(admin), name)
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatroom",
            "admin",
            "reset-link",
            name,
            "--database",
            server.db,
            "--url",
            server.url,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().rsplit("token=", 1)[1]
    browser = WebClient(server.url)
    assert browser.call("POST", "/api/reset", {"token": token, "password": "from the terminal"}).status == 200


def test_an_administrator_creates_an_account_whose_person_chooses_the_password(
    site: tuple[ServerProcess, WebClient, str],
) -> None:
    """POST /api/admin/accounts: the account, and a one-time link with which its person sets a password;
    a taken or bad name is refused, and only administrators may."""
    server, admin, _ = site
    name = unique("newcomer")
    made = admin.call("POST", "/api/admin/accounts", {"name": name})
    assert made.status == 201 and made.json["account"]["name"] == name
    assert made.json["account"]["admin"] is False and "password_hash" not in made.json["account"]
    assert WebClient(server.url).sign_in(name, "no password yet").error == (401, "bad_credentials")
    token = made.json["url"].rsplit("token=", 1)[1]
    person = WebClient(server.url)
    chosen = "chosen by the person"
    done = person.call("POST", "/api/reset", {"token": token, "password": chosen, "password_again": chosen})
    assert done.status == 200 and person.get("/api/me").json["account"]["name"] == name
    assert WebClient(server.url).sign_in(name, chosen).status == 200
    assert admin.call("POST", "/api/admin/accounts", {"name": name.upper()}).error == (409, "name_taken")
    assert admin.call("POST", "/api/admin/accounts", {"name": "no\u200bway"}).error == (400, "bad_name")
    assert admin.call("POST", "/api/admin/accounts", {"name": 7}).error == (400, "bad_request")
    assert person.call("POST", "/api/admin/accounts", {"name": unique("x")}).error == (403, "forbidden")
