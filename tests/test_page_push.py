"""Web Push in Chromium, offline: the service worker is registered and shows pushes, the switch asks
permission when clicked, a browser without a push service says so, and a subscription the browser
yields reaches the server (a stubbed PushManager stands in for the push service no test can reach)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.page_browser import DESKTOP
from tests.push_receiver import Device, PushReceiver, unb64url
from tests.screens import screenshot
from tests.support import ServerProcess
from tests.test_account_pages import shots, sign_in
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_journey import sign_up
from tests.web_client import join, set_up

# Counts the permission prompts, so a test sees that none comes with the page.
COUNT_PROMPTS = """
window.__prompts = 0;
const ask = Notification.requestPermission.bind(Notification);
Notification.requestPermission = (...args) => { window.__prompts += 1; return ask(...args); };
"""

# A push service of the test's own: subscribe() yields the test's device, as a browser would.
FAKE_SUBSCRIBE = """
(() => {
  const device = %s;
  const held = {
    endpoint: device.endpoint,
    toJSON: () => device,
    unsubscribe: async () => { localStorage.removeItem("test.subscribed"); return true; },
  };
  // Kept by the browser across pages, as a real subscription is.
  PushManager.prototype.subscribe = async function (options) {
    window.__serverKey = Array.from(new Uint8Array(options.applicationServerKey));
    localStorage.setItem("test.subscribed", "yes");
    return held;
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem("test.subscribed") ? held : null;
  };
})();
"""


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    made = PushReceiver()
    yield made
    made.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    """A set-up server with Web Push allowed to 127.0.0.1, and its join link."""
    with ServerProcess(tmp_path / "chat.db", "--push-allow-private", guests=False) as server:
        _, join_link = set_up(server)
        yield server, join_link


def open_menu(page: Page) -> None:
    page.locator("#me").click()
    expect(page.locator("#push-section")).to_be_visible()


# The notifications the page's service worker shows, once it shows any within 3 s.
SHOWN_NOTIFICATIONS = """async () => {
  const r = await navigator.serviceWorker.ready;
  for (let i = 0; i < 30; i++) {
    const found = await r.getNotifications();
    if (found.length) return found.map((n) => ({title: n.title, body: n.body, url: n.data.url}));
    await new Promise((done) => setTimeout(done, 100));
  }
  return [];
}"""


def worker(page: Page) -> dict[str, Any]:
    """The page's service worker once ready: its script, scope and state. ``ready`` comes with the
    worker active but perhaps still activating: its state is read once that is over."""
    return dict(
        page.evaluate(
            """navigator.serviceWorker.ready.then((r) => new Promise((done) => {
                 const active = r.active;
                 const report = () => done({script: active.scriptURL, scope: r.scope, state: active.state});
                 if (active.state !== "activating") return report();
                 active.addEventListener("statechange", report, {once: true});
               }))"""
        )
    )


def test_the_service_worker_is_registered_for_the_whole_site_and_served_as_script(
    site: tuple[ServerProcess, str], pages: Pages
) -> None:
    """A signed-in page registers /sw.js, active, scope /; the file is JavaScript, revalidated each time."""
    server, join_link = site
    ann = sign_up(pages, join_link, "Ann")
    assert worker(ann) == {"script": server.url + "/sw.js", "scope": server.url + "/", "state": "activated"}
    answer = ann.request.get(server.url + "/sw.js")
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache"
    assert b"showNotification" in answer.body()


def test_a_push_shows_a_notification_of_the_message_as_plain_text(
    site: tuple[ServerProcess, str], pages: Pages
) -> None:
    """A push delivered to the worker (as a push service would) shows the sender, the room and the text,
    markup left as typed."""
    server, join_link = site
    ann = sign_up(pages, join_link, "Ann")
    ann.context.grant_permissions(["notifications"])
    worker(ann)
    cdp = ann.context.new_cdp_session(ann)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(100):
        if registrations:
            break
        ann.wait_for_timeout(100)
    (registration,) = {r["registrationId"]: r for r in registrations if not r.get("isDeleted")}.values()
    push = {
        "room": "lobby",
        "title": "lobby",
        "id": 7,
        "nick": "Bob",
        "text": "<b>hi</b> @Ann",
        "reason": "mention",
    }
    push["url"] = "/?room=lobby"
    shown: list[dict[str, str]] = []
    # DevTools' push is sometimes dropped (about 1 delivery in 10 here, with the worker running and
    # activated), where a push service would deliver again; the notification's tag holds one per
    # room, so a second delivery cannot show two.
    delivery = {"origin": server.url, "registrationId": registration["registrationId"]}
    delivery["data"] = json.dumps(push)
    for _ in range(5):
        cdp.send("ServiceWorker.deliverPushMessage", delivery)
        shown = ann.evaluate(SHOWN_NOTIFICATIONS)
        if shown:
            break
    assert shown == [
        {"title": "Bob mentioned you in lobby", "body": "<b>hi</b> @Ann", "url": server.url + "/?room=lobby"}
    ]


def test_the_switch_asks_permission_only_when_clicked_and_says_when_there_is_no_push_service(
    site: tuple[ServerProcess, str], pages: Pages, tmp_path: Path
) -> None:
    """No prompt with the page; a click asks; granted, but offline Chromium has no push service: the
    page says so in words, the switch stays off, nothing reaches the server, and the chat goes on."""
    server, join_link = site
    ann = pages.open(f"{server.url}/signin")
    ann.context.add_init_script(COUNT_PROMPTS)
    join(server, join_link, "Ann")
    sign_in(ann, "Ann")
    expect_online(ann)
    worker(ann)
    assert ann.evaluate("window.__prompts") == 0
    ann.context.grant_permissions(["notifications"])
    open_menu(ann)
    ann.get_by_label("Notify me on this device when I'm away").click()
    expect(ann.locator("#push-note")).to_contain_text("could not reach its push service")
    assert ann.evaluate("window.__prompts") == 1
    expect(ann.locator("#push-device")).not_to_be_checked()
    assert ann.request.get(server.url + "/api/push/settings").json()["devices"] == 0
    screenshot(ann, shots(tmp_path) / "screenshot-push-unavailable-desktop-light.png")
    ann.locator("#account-close").click()
    say(ann, "still chatting")


def test_a_subscription_the_browser_yields_is_given_to_the_server_and_pushed_to(
    site: tuple[ServerProcess, str], pages: Pages, receiver: PushReceiver, tmp_path: Path
) -> None:
    """With a push service standing in, the switch subscribes with the server's key and posts the
    subscription; once ann has closed her page, bob's direct message reaches that device, decrypted;
    turning the switch off forgets it. Screenshots of the switch, desktop and phone, light and dark."""
    server, join_link = site
    device: Device = receiver.device("ann-laptop")
    ann = pages.open(f"{server.url}/signin")
    ann.context.add_init_script(FAKE_SUBSCRIBE % json.dumps(device.subscription()))
    join(server, join_link, "Ann")
    sign_in(ann, "Ann")
    expect_online(ann)
    ann.context.grant_permissions(["notifications"])
    open_menu(ann)
    ann.get_by_label("Notify me on this device when I'm away").click()
    expect(ann.locator("#push-note")).to_contain_text("will be notified")
    expect(ann.locator("#push-device")).to_be_checked()
    key = ann.request.get(server.url + "/api/push/key").json()["key"]
    assert bytes(ann.evaluate("window.__serverKey")) == unb64url(key)
    assert ann.request.get(server.url + "/api/push/settings").json() == {"enabled": True, "devices": 1}
    expect(ann.get_by_label("Pause on all my devices")).to_be_hidden()  # shown from the next opening

    out = shots(tmp_path)
    for viewport, name in ((DESKTOP, "desktop"), (SCREENSHOT_PHONE, "phone")):
        ann.set_viewport_size(viewport)
        for scheme in ("light", "dark"):
            ann.emulate_media(color_scheme=scheme)
            ann.locator("#push-section").scroll_into_view_if_needed()
            screenshot(ann, out / f"screenshot-push-{name}-{scheme}.png")
    ann.set_viewport_size(DESKTOP)

    receiver.server_key = key
    bob = sign_up(pages, join_link, "Bob")
    xsrf = next(c["value"] for c in bob.context.cookies() if c["name"] == "_xsrf")
    made = bob.request.post(
        server.url + "/api/direct", data={"members": ["Ann"]}, headers={"X-XSRFToken": xsrf}
    )
    room = made.json()["room"]
    ann_context = ann.context
    ann.close()
    bob.goto(f"{server.url}/?room={room}")
    expect_online(bob)
    say(bob, "are you there?")
    for _ in range(100):
        if receiver.pushes:
            break
        bob.wait_for_timeout(100)
    assert [(p.device, p.payload["nick"], p.payload["text"]) for p in receiver.pushes] == [
        ("ann-laptop", "Bob", "are you there?")
    ]

    again = ann_context.new_page()
    again.goto(f"{server.url}/?room=lobby")
    expect_online(again)
    open_menu(again)
    expect(again.locator("#push-device")).to_be_checked()
    expect(again.get_by_label("Pause on all my devices")).to_be_visible()
    again.emulate_media(color_scheme="dark")
    screenshot(again, shots(tmp_path) / "screenshot-push-devices-desktop-dark.png")
    again.get_by_label("Pause on all my devices").click()
    expect(again.locator("#push-note")).to_have_text("Notifications are paused on all your devices.")
    assert again.request.get(server.url + "/api/push/settings").json() == {"enabled": False, "devices": 1}
    again.get_by_label("Notify me on this device when I'm away").click()
    expect(again.locator("#push-note")).to_have_text("This device will not be notified.")
    assert again.request.get(server.url + "/api/push/settings").json()["devices"] == 0
