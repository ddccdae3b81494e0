"""The page tests' pool of browser contexts: a context lent again keeps nothing of the last person."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.browser_contexts import ContextPool, pool_key
from tests.page_browser import DESKTOP
from tests.support import ServerProcess
from tests.test_page import PHONE, server

__all__ = ["server"]


def test_a_context_lent_again_has_no_storage_cookie_or_permission_left(
    browser: Browser, server: ServerProcess
) -> None:
    pool = ContextPool(browser)
    kept = pool.lend(DESKTOP, False, {})
    page = kept.context.new_page()
    page.goto(f"{server.url}/healthz")
    page.evaluate(
        """async () => {
            localStorage.setItem("nick", "ann");
            await new Promise((done) => { indexedDB.open("outbox").onsuccess = done; });
            await (await caches.open("pictures")).put("/x", new Response("x"));
        }"""
    )
    kept.context.add_cookies([{"name": "session", "value": "ann's", "url": server.url}])
    kept.context.grant_permissions(["notifications"], origin=server.url)
    pool.take_back(kept)

    again = pool.lend(DESKTOP, False, {})
    assert again is kept
    page = again.context.new_page()
    page.goto(f"{server.url}/healthz")
    left = page.evaluate(
        """async () => [
            localStorage.length,
            (await indexedDB.databases()).length,
            (await caches.keys()).length,
            Notification.permission,
        ]"""
    )
    assert left == [0, 0, 0, "default"]
    assert again.context.cookies() == []
    assert len(again.context.pages) == 2  # the blank tab kept between tests, and this one
    pool.close()


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
