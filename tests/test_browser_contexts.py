"""The page tests' pool of browser contexts: a context lent again keeps nothing of the last person."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser
from tornado.ioloop import IOLoop

from tests.browser_contexts import ContextPool, pool_key
from tests.page_browser import DESKTOP, Chromium, driving
from tests.support import ServerProcess
from tests.test_page import PHONE, server

__all__ = ["server"]

# What a page keeps in its browser: local storage, an IndexedDB database, a cache.
STORE_SOMETHING = """async () => {
    localStorage.setItem("nick", "ann");
    await new Promise((done) => { indexedDB.open("outbox").onsuccess = done; });
    await (await caches.open("pictures")).put("/x", new Response("x"));
}"""
# What of it a page finds, and a permission and cookies besides; and what a new context has.
WHAT_IS_LEFT = """async () => [
    localStorage.length,
    (await indexedDB.databases()).length,
    (await caches.keys()).length,
    Notification.permission,
    document.cookie,
]"""
NOTHING_LEFT = [0, 0, 0, "default", ""]
# Tabs going elsewhere as they are closed: Playwright's own close hung on one or more in half the runs here
# (in three of four with 20 tabs, at twice the cost: the whole suite pays for it).
SELF_NAVIGATING_TABS = 12


def test_a_context_lent_again_has_no_storage_cookie_or_permission_left(
    browser: Browser, server: ServerProcess
) -> None:
    pool = ContextPool(browser)
    kept = pool.lend(DESKTOP, False, {})
    page = kept.context.new_page()
    page.goto(f"{server.url}/healthz")
    page.evaluate(STORE_SOMETHING)
    kept.context.add_cookies([{"name": "session", "value": "ann's", "url": server.url}])
    kept.context.grant_permissions(["notifications"], origin=server.url)
    pool.take_back(kept)

    again = pool.lend(DESKTOP, False, {})
    assert again is kept
    page = again.context.new_page()
    page.goto(f"{server.url}/healthz")
    assert page.evaluate(WHAT_IS_LEFT) == NOTHING_LEFT
    assert again.context.cookies() == []
    assert len(again.context.pages) == 2  # the blank tab kept between tests, and this one
    pool.close()


def test_a_context_lent_again_for_another_files_server_has_nothing_of_the_first_left(
    browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    """A context lent to the next test file, whose server has another port, has nothing of the last's."""
    pool = ContextPool(browser)
    db = tmp_path / "chat.db"
    first = ServerProcess(db).start()
    try:
        kept = pool.lend(DESKTOP, False, {})
        page = kept.context.new_page()
        page.goto(f"{first.url}/healthz")
        page.evaluate(STORE_SOMETHING)
        page.evaluate('() => { document.cookie = "seen=ann; max-age=3600"; }')
        kept.context.grant_permissions(["notifications"], origin=first.url)
        pool.take_back(kept)
    finally:
        first.stop()  # its test file is over

    again = pool.lend(DESKTOP, False, {})
    assert again is kept
    page = again.context.new_page()
    page.goto(f"{server.url}/healthz")
    # A cookie is the host's whatever the port: the last file's would be sent here.
    assert page.evaluate("document.cookie") == ""
    session = again.context.new_cdp_session(page)
    assert session.send("Storage.getUsageAndQuota", {"origin": first.url})["usage"] == 0
    # Ports are used again: a later server on the first one's port finds nothing of it either.
    second = ServerProcess(db, port=first.port).start()
    try:
        page.goto(f"{second.url}/healthz")
        left = page.evaluate(WHAT_IS_LEFT)
    finally:
        second.stop()
    assert left == NOTHING_LEFT
    pool.close()


def test_tests_between_page_tests_run_event_loops_of_their_own(chromium: Chromium) -> None:
    """Tornado's and asyncio's tests run loops of their own while Chromium waits, and it answers after."""

    async def answer() -> int:
        return 42

    assert asyncio.run(answer()) == 42
    loop = IOLoop()
    try:
        assert loop.run_sync(answer) == 42
    finally:
        loop.close()
    with driving(chromium.loop):
        context = chromium.browser.new_context()
        assert context.new_page().evaluate("6 * 7") == 42
        context.close()
    assert asyncio.run(answer()) == 42


def test_tabs_navigating_themselves_as_the_test_ends_close_and_the_context_is_lent_again(
    browser: Browser,
) -> None:
    """A page that goes elsewhere by itself (a reload, another room) just as its test ends: Playwright's
    own close of such a tab may wait for ever (with twelve such tabs, in half the runs here); the pool still
    closes every tab."""
    with slow_site() as url:
        pool = ContextPool(browser)
        kept = pool.lend(DESKTOP, False, {})
        tabs = [kept.context.new_page() for _ in range(SELF_NAVIGATING_TABS)]
        for tab in tabs:
            tab.goto(url)
        # Each tab goes elsewhere two milliseconds after the last, around the moment it is closed.
        start = int(time.time() * 1000) + 300
        for number, tab in enumerate(tabs):
            tab.evaluate(
                f"setTimeout(() => location.assign('{url}again'), {start + 2 * number} - Date.now())"
            )
        time.sleep(max(0.0, start / 1000 - time.time()) + SELF_NAVIGATING_TABS / 1000)
        pool.take_back(kept)
        assert all(tab.is_closed() for tab in tabs)
        assert pool.lend(DESKTOP, False, {}) is kept
        pool.close()


@contextmanager
def slow_site() -> Iterator[str]:
    """A site whose second pages come 50 ms late: the navigation to them is long on its way, as on a loaded
    machine."""

    class SlowPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/":
                time.sleep(0.05)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            with suppress(OSError):  # the tab closed before its answer
                self.wfile.write(b"<p>a page")

        def log_message(self, *args: object) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), SlowPage)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/"
    finally:
        site.shutdown()
        site.server_close()


def test_a_context_given_an_init_script_is_closed_instead_of_lent_again(browser: Browser) -> None:
    pool = ContextPool(browser)
    kept = pool.lend(DESKTOP, False, {})
    kept.context.add_init_script("window.told = true")
    pool.take_back(kept)
    assert kept.closed
    assert pool.lend(DESKTOP, False, {}) is not kept
    pool.close()


def test_only_contexts_made_alike_are_lent_again() -> None:
    cookies = {"cookies": [{"name": "s", "value": "v", "domain": "127.0.0.1", "path": "/"}], "origins": []}
    assert pool_key(DESKTOP, {}) == pool_key(DESKTOP, {"storage_state": cookies})
    assert pool_key(DESKTOP, {}) != pool_key(PHONE, {})
    assert pool_key(DESKTOP, {"color_scheme": "dark"}) != pool_key(DESKTOP, {})
    assert pool_key(DESKTOP, {"permissions": ["notifications"]}) is None
    assert pool_key(DESKTOP, {"storage_state": {"cookies": [], "origins": [{"origin": "x"}]}}) is None
