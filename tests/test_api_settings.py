"""Guest access as an administrator's setting on a real server: who may change it, what it does at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clients import close_code, join, next_of, refused_on_open, say, welcomed
from tests.support import (
    ServerProcess,
    assert_no_traceback,
    call_api,
    make_account,
    make_open_room,
    signed_token,
    unique,
)

SECRET = "settings-test-secret-" + "0123456789abcdef" * 3


class Site:
    """A server without --guests, with tokens, an administrator and a person."""

    def __init__(self, server: ServerProcess, database: Path) -> None:
        self.server = server
        self.database = database

    def open_room(self, prefix: str) -> str:
        """A new open room (as rooms management makes them): its name."""
        return make_open_room(self.database, unique(prefix))

    def call(self, method: str, path: str, body: Any = None, as_name: str | None = "root") -> tuple[int, Any]:
        authorization = f"Bearer {signed_token(as_name, SECRET)}" if as_name else None
        return call_api(self.server, method, path, body, authorization)

    def set_guests(self, on: bool) -> None:
        status, answer = self.call("PATCH", "/api/admin/settings", {"guests": on})
        assert (status, answer) == (200, {"guests": on, "guests_forced": False})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database = tmp_path_factory.mktemp("settings") / "chat.db"
    make_account(database, "root", admin=True)
    make_account(database, "pat")
    with ServerProcess(database, "--jwt-secret", SECRET, guests=False) as server:
        yield Site(server, database)


def test_guests_are_off_until_an_administrator_turns_them_on(site: Site) -> None:
    """A fresh server without --guests says so, and turns a v1 guest away 4401."""
    assert site.call("GET", "/api/admin/settings") == (200, {"guests": False, "guests_forced": False})
    error, code = refused_on_open(site.server, room="lobby", nick="walker")
    assert (error["code"], code) == ("unauthorized", 4401)


@pytest.mark.parametrize(
    ("as_name", "status", "code"), [(None, 401, "unauthorized"), ("pat", 403, "forbidden")]
)
def test_only_administrators_read_or_change_the_settings(
    site: Site, as_name: str | None, status: int, code: str
) -> None:
    """Nobody signed in: 401; a person who does not administer: 403; the setting stays as it was."""
    for method, body in (("GET", None), ("PATCH", {"guests": True})):
        answer_status, answer = site.call(method, "/api/admin/settings", body, as_name=as_name)
        assert (answer_status, answer["error"]) == (status, code)
    assert site.call("GET", "/api/admin/settings")[1]["guests"] is False


@pytest.mark.parametrize(
    "body", [{}, {"guests": "yes"}, {"guests": 1}, {"guests": True, "colour": "red"}, [True]]
)
def test_bad_settings_are_refused_400(site: Site, body: Any) -> None:
    """Only {"guests": true|false}: anything else is 400 bad_request and changes nothing."""
    status, answer = site.call("PATCH", "/api/admin/settings", body)
    assert (status, answer["error"]) == (400, "bad_request")
    assert site.call("GET", "/api/admin/settings")[1]["guests"] is False


def test_turned_on_v1_guests_join_as_marked_guests_and_turned_off_they_are_closed_4401(site: Site) -> None:
    """On: a v1 client joins with a nick, its messages say "guest": true, a person's do not.
    Off: the guest is closed unauthorized/4401 at once and cannot come back; the person stays."""
    room = site.open_room("guestroom")
    site.set_guests(True)
    try:
        member, _, _ = welcomed(site.server, room=room, token=signed_token("pat", SECRET))
        with join(site.server, room, "walker") as guest:
            say(guest, "hello as a guest")
            assert next_of(guest, "user")["guest"] is True
            seen = next_of(member, "user", skip=("sys", "typing", "presence"))
            assert (seen["nick"], seen["guest"]) == ("walker", True)
            say(member, "hello as pat")
            own = next_of(guest, "user", skip=("sys", "typing", "presence"))
            assert own["nick"] == "pat" and "guest" not in own
            assert next_of(member, "user", skip=("sys", "typing", "presence")) == own
            site.set_guests(False)
            error = next_of(guest, "error", skip=("sys", "typing", "presence", "user"))
            assert error["code"] == "unauthorized"
            assert close_code(guest, timeout=5) == 4401
            with member:
                say(member, "still here")
                assert next_of(member, "user", skip=("sys", "typing", "presence"))["message"] == "still here"
        error, code = refused_on_open(site.server, room=room, nick="walker")
        assert (error["code"], code) == ("unauthorized", 4401)
        assert site.call("GET", f"/api/rooms/{room}/messages", as_name=None)[0] == 401
    finally:
        site.set_guests(False)
    assert_no_traceback(site.server)


def test_a_guests_history_and_since_replay_say_guest(site: Site) -> None:
    """History over the API and a since= replay keep "guest": true on a guest's message only."""
    room = site.open_room("history")
    site.set_guests(True)
    try:
        with join(site.server, room, "walker") as guest:
            say(guest, "from a guest")
            first = next_of(guest, "user")
        member, _, _ = welcomed(site.server, room=room, token=signed_token("pat", SECRET))
        with member:
            say(member, "from pat")
            next_of(member, "user", skip=("sys", "typing", "presence"))
        status, page = site.call("GET", f"/api/rooms/{room}/messages")
        assert status == 200
        assert [(m["message"], m.get("guest")) for m in page["messages"]] == [
            ("from a guest", True),
            ("from pat", None),
        ]
        replay_of, _, replay = welcomed(site.server, room=room, nick="reader", since=str(first["id"] - 1))
        with replay_of:
            assert [m.get("guest") for m in replay["messages"]] == [True, None]
    finally:
        site.set_guests(False)


def test_under_the_guests_flag_guests_cannot_be_turned_off(tmp_path: Path) -> None:
    """--guests forces guest access on: the settings say so, and turning it off is 409 guests_forced."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    with ServerProcess(database, "--jwt-secret", SECRET) as server:
        admin = f"Bearer {signed_token('root', SECRET)}"
        assert call_api(server, "GET", "/api/admin/settings", None, admin) == (
            200,
            {"guests": True, "guests_forced": True},
        )
        status, answer = call_api(server, "PATCH", "/api/admin/settings", {"guests": False}, admin)
        assert (status, answer["error"]) == (409, "guests_forced")
        with join(server, "lobby", "walker"):
            pass
