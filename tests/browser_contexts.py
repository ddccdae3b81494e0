"""Browser contexts kept from one page test to the next, emptied of all a person's browser keeps.

A fresh context costs Chromium a new renderer and a cold cache: two to three
CPU-seconds for each chat page opened, most of the page tests' time on two
cores. A context given back is emptied as a new one would be (cookies, every
kind of storage and service worker of the origins it saw, permissions, routes,
offline) and keeps one blank tab, so that the next person's page finds a
renderer and the page's files cached. A context that took what cannot be
undone (an init script, a binding, a fake clock) is closed instead.

The test process has one pool, for its one Chromium (tests/page_browser.py):
a context goes from one test file to the next, whose server listens on
another port, another origin. Cookies are the host's whatever the port, and
all of them go; the storage of every origin the context saw goes with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, CDPSession, Frame, Page

# Options a context is made with that the pool can match again; cookies
# (``storage_state`` without storage) are set on the context taken instead.
POOLED_OPTIONS = frozenset(
    {"color_scheme", "has_touch", "is_mobile", "locale", "reduced_motion", "timezone_id"}
)
# What a test may do to a context that no cleaning undoes.
LASTING_CHANGES = ("add_init_script", "expose_binding", "expose_function", "set_extra_http_headers")
# How long a test's tabs may take to close before their context is closed instead.
TAB_CLOSING_SECONDS = 10

Key = tuple[tuple[str, str], ...]


@dataclass
class Kept:
    """A context lent to a test: what it saw, and whether it may be lent again."""

    context: BrowserContext
    key: Key | None
    origins: set[str] = field(default_factory=set)
    closed: bool = False

    def taint(self) -> None:
        self.key = None


def pool_key(viewport: dict[str, int], options: dict[str, Any]) -> Key | None:
    """What a context must have been made with to be lent again for these options; None: never."""
    cookies_only = options.get("storage_state", {"origins": []}).get("origins") == []
    if not cookies_only or not set(options) - {"storage_state"} <= POOLED_OPTIONS:
        return None
    made_with = {name: value for name, value in options.items() if name != "storage_state"}
    return tuple(sorted((name, repr(value)) for name, value in (made_with | {"viewport": viewport}).items()))


@dataclass
class ContextPool:
    """One Chromium's contexts between tests, from one test file to the next, by what they were made with."""

    browser: Browser
    idle: dict[Key, list[Kept]] = field(default_factory=dict)
    _browser_session: CDPSession | None = None

    def lend(self, viewport: dict[str, int], fake_clock: bool, options: dict[str, Any]) -> Kept:
        """A context as new for these options: an idle one when there is one."""
        key = None if fake_clock else pool_key(viewport, options)
        waiting = self.idle.get(key, []) if key is not None else []
        if waiting:
            kept = waiting.pop()
            cookies = options.get("storage_state", {}).get("cookies", [])
            if cookies:
                kept.context.add_cookies(cookies)
        else:
            kept = Kept(self.browser.new_context(viewport=cast(Any, viewport), **options), key)
            kept.context.on("close", lambda _: setattr(kept, "closed", True))
            # Every origin a tab goes to: its storage is emptied when the context comes back.
            kept.context.on(
                "page", lambda page: page.on("framenavigated", lambda frame: _note_origin(kept, frame))
            )
            for name in LASTING_CHANGES:
                setattr(kept.context, name, _tainting(kept, getattr(kept.context, name)))
        return kept

    def take_back(self, kept: Kept) -> None:
        """Empty the context and keep it for the next test, or close it if it cannot be emptied."""
        if kept.closed:
            return
        if kept.key is None or not self._empty(kept):
            kept.context.close()
            return
        self.idle.setdefault(kept.key, []).append(kept)

    def _empty(self, kept: Kept) -> bool:
        """Empty the context as a new one; False if one of its tabs would not close."""
        context = kept.context
        # A blank tab of its own stays open; the test's tabs go, with their listeners and routes.
        blank = context.new_page()
        if not self._close_tabs(context, [tab for tab in context.pages if tab is not blank], blank):
            return False
        session = context.new_cdp_session(blank)
        for origin in kept.origins:
            session.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
        session.detach()
        kept.origins.clear()
        context.clear_cookies()
        context.clear_permissions()
        context.unroute_all(behavior="ignoreErrors")
        context.set_offline(False)
        return True

    def _close_tabs(self, context: BrowserContext, tabs: list[Page], blank: Page) -> bool:
        """Close the tabs, within seconds; False if one is still open then."""
        # Playwright's Page.close waits for ever for a tab that was navigating itself at that moment (a
        # page that reloads, or goes to another room, as the test ends): Chromium closes it when told
        # directly, and the wait is bounded here.
        if self._browser_session is None:
            self._browser_session = self.browser.new_browser_cdp_session()
        for tab in tabs:
            tab_session = context.new_cdp_session(tab)
            target = tab_session.send("Target.getTargetInfo")["targetInfo"]["targetId"]
            tab_session.detach()
            self._browser_session.send("Target.closeTarget", {"targetId": target})
        deadline = time.monotonic() + TAB_CLOSING_SECONDS
        while not all(tab.is_closed() for tab in tabs) and time.monotonic() < deadline:
            blank.wait_for_timeout(10)
        return all(tab.is_closed() for tab in tabs)

    def close(self) -> None:
        for waiting in self.idle.values():
            for kept in waiting:
                kept.context.close()
        self.idle.clear()
        if self._browser_session is not None:
            self._browser_session.detach()
            self._browser_session = None


def _note_origin(kept: Kept, frame: Frame) -> None:
    parts = urlsplit(frame.url)
    if parts.scheme in ("http", "https"):
        kept.origins.add(f"{parts.scheme}://{parts.netloc}")


def _tainting(kept: Kept, method: Callable[..., Any]) -> Callable[..., Any]:
    def tainted(*args: Any, **kwargs: Any) -> Any:
        kept.taint()
        return method(*args, **kwargs)

    return tainted
