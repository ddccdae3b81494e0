"""The Web Push endpoints on the real server, with SQLite and PostgreSQL: the key, a device's
subscription, the person's switch; who may call them, the _xsrf check, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .push_receiver import Device, b64url, unb64url
from .support import ServerProcess, call_api, make_bot, unique
from .web_client import WebClient, guestless_site, join, new_database

ENDPOINT = "https://push.example.net/send/"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, str]]:
    """A set-up server without guests, and its join link."""
    with guestless_site(new_database(request, tmp_path_factory.mktemp("push"))) as (server, _, join_link):
        yield server, join_link


def person(site: tuple[ServerProcess, str]) -> WebClient:
    """A new person, signed in with a session cookie."""
    server, join_link = site
    return join(server, join_link, unique("p"))


def device() -> dict[str, object]:
    """A subscription as a browser gives it, at an https endpoint of its own."""
    return Device(ENDPOINT + unique("d")).subscription()


def test_the_key_is_a_p256_public_key_and_the_same_on_every_call(site: tuple[ServerProcess, str]) -> None:
    """GET /api/push/key: an uncompressed P-256 point in base64url (65 bytes), the same each time."""
    ann = person(site)
    first, second = ann.get("/api/push/key"), ann.get("/api/push/key")
    assert first.status == 200 and first.json == second.json
    key = first.json["key"]
    raw = unb64url(key)
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key


def test_a_device_is_subscribed_replaced_and_removed(site: tuple[ServerProcess, str]) -> None:
    """POST makes a device (201), posting it again keeps one, DELETE forgets it, a second DELETE is 404."""
    ann = person(site)
    phone, laptop = device(), device()
    assert ann.call("POST", "/api/push/subscriptions", phone).status == 201
    posted = ann.call("POST", "/api/push/subscriptions", laptop)
    assert (posted.status, posted.json) == (201, {"subscribed": True, "devices": 2})
    again = ann.call(
        "POST", "/api/push/subscriptions", {**phone, "keys": Device(ENDPOINT).subscription()["keys"]}
    )
    assert again.json["devices"] == 2
    assert ann.get("/api/push/settings").json == {"enabled": True, "devices": 2}
    gone = ann.call("DELETE", "/api/push/subscriptions", {"endpoint": phone["endpoint"]})
    assert (gone.status, gone.json) == (200, {"subscribed": False})
    twice = ann.call("DELETE", "/api/push/subscriptions", {"endpoint": phone["endpoint"]})
    assert twice.error == (404, "not_found")
    assert ann.get("/api/push/settings").json == {"enabled": True, "devices": 1}


def test_a_person_cannot_delete_anothers_subscription(site: tuple[ServerProcess, str]) -> None:
    """Bob deleting ann's endpoint gets the same 404 as for none; ann's device stays."""
    ann, bob = person(site), person(site)
    phone = device()
    ann.call("POST", "/api/push/subscriptions", phone)
    answer = bob.call("DELETE", "/api/push/subscriptions", {"endpoint": phone["endpoint"]})
    assert answer.error == (404, "not_found")
    assert "endpoint" not in answer.json["message"]
    assert ann.get("/api/push/settings").json["devices"] == 1


def test_the_switch_is_on_by_default_and_each_persons_own(site: tuple[ServerProcess, str]) -> None:
    """PUT enabled false turns ann's off, not bob's; a non-boolean is 400 and changes nothing."""
    ann, bob = person(site), person(site)
    assert ann.get("/api/push/settings").json == {"enabled": True, "devices": 0}
    off = ann.call("PUT", "/api/push/settings", {"enabled": False})
    assert (off.status, off.json) == (200, {"enabled": False, "devices": 0})
    assert bob.get("/api/push/settings").json["enabled"] is True
    bad = ann.call("PUT", "/api/push/settings", {"enabled": "yes"})
    assert bad.error == (400, "bad_request") and "enabled" in bad.json["message"]
    assert ann.get("/api/push/settings").json["enabled"] is False


def test_without_the_pages_xsrf_token_a_cookie_changes_nothing(site: tuple[ServerProcess, str]) -> None:
    """POST, DELETE and PUT with the session cookie but no X-XSRFToken: 403 xsrf; nothing stored."""
    ann = person(site)
    phone = device()
    assert ann.call("POST", "/api/push/subscriptions", phone, xsrf=False).error == (403, "xsrf")
    assert ann.call("PUT", "/api/push/settings", {"enabled": False}, xsrf=False).error == (403, "xsrf")
    ann.call("POST", "/api/push/subscriptions", phone)
    gone = ann.call("DELETE", "/api/push/subscriptions", {"endpoint": phone["endpoint"]}, xsrf=False)
    assert gone.error == (403, "xsrf")
    assert ann.get("/api/push/settings").json == {"enabled": True, "devices": 1}


def test_nobody_signed_in_gets_401_on_every_push_endpoint(site: tuple[ServerProcess, str]) -> None:
    """Without a session: 401 unauthorized for the key, subscriptions and the switch, no byte of a key."""
    server, _ = site
    for method, path, body in (
        ("GET", "/api/push/key", None),
        ("POST", "/api/push/subscriptions", device()),
        ("DELETE", "/api/push/subscriptions", {"endpoint": ENDPOINT}),
        ("GET", "/api/push/settings", None),
        ("PUT", "/api/push/settings", {"enabled": True}),
    ):
        status, answer = call_api(server, method, path, body)
        assert (status, answer["error"]) == (401, "unauthorized"), path
        assert "key" not in answer


def test_a_bot_has_no_devices(site: tuple[ServerProcess, str]) -> None:
    """A bot's key on the push endpoints: 403 forbidden."""
    server, _ = site
    bot = make_bot(server.db, unique("bot"))
    for method, path, body in (("GET", "/api/push/key", None), ("POST", "/api/push/subscriptions", device())):
        status, answer = call_api(server, method, path, body, bot.authorization)
        assert (status, answer["error"]) == (403, "forbidden"), path


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"endpoint": "http://push.example.net/x"}, "https://"),
        ({"endpoint": "https://127.0.0.1/x"}, "loopback"),
        ({"endpoint": "https://10.1.2.3/x"}, "private"),
        ({"endpoint": "https://push.example.net/" + "x" * 2000}, "at most 2000"),
        ({"endpoint": 7}, "'endpoint'"),
        ({"keys": {"p256dh": "not a key", "auth": b64url(b"0" * 16)}}, "p256dh"),
        ({"keys": {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(b"0" * 16)}}, "p256dh"),
        ({"keys": {"auth": b64url(b"0" * 16)}}, "'keys.p256dh'"),
        ({"keys": "both"}, "'keys'"),
    ],
)
def test_a_subscription_no_browser_would_give_is_refused(
    site: tuple[ServerProcess, str], change: dict[str, object], words: str
) -> None:
    """A plain-http, loopback, private or overlong endpoint, or keys that are not keys: 400, nothing kept."""
    ann = person(site)
    answer = ann.call("POST", "/api/push/subscriptions", {**device(), **change})
    assert answer.error == (400, "bad_request") and words in answer.json["message"], answer.json
    assert ann.get("/api/push/settings").json["devices"] == 0


def test_a_short_auth_secret_and_bad_json_are_refused(site: tuple[ServerProcess, str]) -> None:
    """keys.auth of 8 bytes: 400 naming it; a body that is not JSON: 400 bad_json."""
    ann = person(site)
    sub = device()
    sub["keys"] = {**sub["keys"], "auth": b64url(b"0" * 8)}  # type: ignore[dict-item]
    answer = ann.call("POST", "/api/push/subscriptions", sub)
    assert answer.error == (400, "bad_request") and "keys.auth" in answer.json["message"]
    raw = ann.request(
        "POST",
        "/api/push/subscriptions",
        b"{not json",
        {"Content-Type": "application/json", "X-XSRFToken": ann.xsrf_token()},
    )
    assert raw.error == (400, "bad_json")
