"""The pages as a browser gets them: where nobody signed in is sent, the notices for links that do
not work, and the headers every page carries (real ``python -m chatroom``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatroom.pages import local_path

from .support import ServerProcess, unique, wait_until
from .web_client import WebClient, join, set_up, setup_link


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, WebClient, str]]:
    """A set-up server without guests: the server, its administrator, the join link."""
    with ServerProcess(tmp_path_factory.mktemp("pages") / "chat.db", guests=False) as server:
        admin, join_link = set_up(server)
        yield server, admin, join_link


def test_before_setup_the_page_points_to_the_log_and_the_api_waits(tmp_path: Path) -> None:
    """Without guests: the chat page and sign-in page say where the setup link is (503); health is up."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        setup_link(server)
        browser = WebClient(server.url)
        for path in ("/", "/signin", "/join?token=x"):
            page = browser.get(path)
            assert page.status == 503
            assert b"This server has no administrator yet" in page.body
            assert b"setup link in the server&#x27;s log" in page.body or b"server's log" in page.body
        assert browser.get("/healthz").status == 200
        assert browser.get("/metrics").status == 200
        # Waiting for setup is no server error: an alert on ERROR lines stays quiet.
        wait_until(lambda: "INFO chatroom.access: 503 GET /join" in server.log())
        assert "ERROR chatroom.access" not in server.log()


def test_with_guests_the_chat_page_works_before_any_setup(tmp_path: Path) -> None:
    """--guests: the chat page is version 1's (nick prompt), no redirect, no sign-in offered yet."""
    with ServerProcess(tmp_path / "chat.db") as server:
        page = WebClient(server.url).get("/?room=lobby")
        assert page.status == 200
        assert b'id="nick"' in page.body and b'data-sign-in="off"' in page.body
        assert b"data-account-name" not in page.body
        assert WebClient(server.url).get("/api/rooms").status == 200


def test_nobody_signed_in_is_sent_to_sign_in_and_back(site: tuple[ServerProcess, WebClient, str]) -> None:
    """/?room=x without a session: 302 to /signin?next=/?room=x; signed in, the page shows the account."""
    server, admin, _ = site
    page = WebClient(server.url).get("/?room=x")
    assert page.status == 302
    assert page.headers["Location"] == "/signin?next=%2F%3Froom%3Dx"
    own = admin.get("/?room=x")
    assert own.status == 200
    assert b'data-account-name="Admin"' in own.body and b'data-account-admin="yes"' in own.body


def test_signed_in_the_sign_in_page_moves_on_to_a_local_path_only(
    site: tuple[ServerProcess, WebClient, str],
) -> None:
    """/signin?next=… redirects a signed-in browser there, but never to another site."""
    server, _, join_link = site
    member = join(server, join_link, unique("n"))
    assert member.get("/signin?next=/%3Froom%3Dabc").headers["Location"] == "/?room=abc"
    assert member.get("/signin?next=//evil.example/").headers["Location"] == "/"
    assert WebClient(server.url).get("/signin").status == 200


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/join?token=not-a-link", b"This join link does not work"),
        ("/join", b"This join link does not work"),
        ("/reset?token=not-a-link", b"This password link does not work"),
        ("/setup?token=not-a-link", b"This setup link does not work"),
        ("/setup", b"This setup link does not work"),
    ],
)
def test_a_link_that_does_not_work_gets_a_clear_page(
    site: tuple[ServerProcess, WebClient, str], path: str, says: bytes
) -> None:
    """403 and a page that says what happened and what to do; no form."""
    server, _, _ = site
    page = WebClient(server.url).get(path)
    assert page.status == 403
    assert says in page.body
    assert b"<form" not in page.body


def test_a_revoked_join_link_gets_the_clear_page(site: tuple[ServerProcess, WebClient, str]) -> None:
    """The join page works while the link does, and says so once an administrator revoked it."""
    server, admin, _ = site
    url = admin.call("POST", "/api/admin/join-links").json["url"]
    path = url[len(server.url) :]
    assert WebClient(server.url).get(path).status == 200
    admin.call("DELETE", "/api/admin/join-links")
    refused = WebClient(server.url).get(path)
    assert refused.status == 403 and b"revoked" in refused.body
    admin.call("POST", "/api/admin/join-links")


def test_a_password_link_names_its_account_and_says_once_it_is_deactivated(
    site: tuple[ServerProcess, WebClient, str],
) -> None:
    """The reset page says whose account it is; a deactivated account's link gets a page that says
    the account is deactivated, not a form that would be refused; reactivated, the form is back."""
    server, admin, _ = site
    made = admin.call("POST", "/api/admin/accounts", {"name": "Dan"}).json
    path = made["url"][len(server.url) :]
    page = WebClient(server.url).get(path)
    assert page.status == 200 and b"Welcome, <bdi>Dan</bdi>" in page.body
    admin.call("POST", f"/api/admin/accounts/{made['account']['id']}/deactivate")
    refused = WebClient(server.url).get(path)
    assert refused.status == 403 and b"Your account has been deactivated" in refused.body
    assert b"Ask one to reactivate it" in refused.body and b"<form" not in refused.body
    admin.call("POST", f"/api/admin/accounts/{made['account']['id']}/reactivate")
    assert WebClient(server.url).get(path).status == 200


@pytest.mark.parametrize("path", ["/", "/signin", "/join?token=x", "/setup?token=x"])
def test_every_page_sets_the_xsrf_cookie_and_allows_no_inline_script_but_its_import_map(
    site: tuple[ServerProcess, WebClient, str], path: str
) -> None:
    """CSP script-src 'self' and the import map's hash alone, and the _xsrf cookie the page's scripts echo."""
    server, admin, _ = site
    browser = admin if path == "/" else WebClient(server.url)
    page = browser.get(path)
    assert re.search(
        r"script-src 'self' 'sha256-[A-Za-z0-9+/]{43}=';", page.headers["Content-Security-Policy"]
    )
    assert page.body.count(b'<script type="importmap">') == 1
    assert browser.cookie("_xsrf") is not None
    assert b'<meta name="xsrf-token" content="2|' in page.body
    assert b"<script>" not in page.body


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/?room=a", "/?room=a"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil", "/"),
        ("", "/"),
    ],
)
def test_where_signing_in_may_lead(target: str, kept: str) -> None:
    """Only paths of this server are followed after signing in."""
    assert local_path(target) == kept
