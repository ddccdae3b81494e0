"""The page tests' Chromium: one for each test process, its contexts lent from one pool.

Starting Playwright's driver and Chromium costs over a CPU-second, and a pool
that starts cold costs a renderer for every page opened, so the first test
that needs a page starts them and the rest of the run shares them, from one
test file to the next (tests/conftest.py makes the fixtures seen once).

Playwright's sync API runs its event loop in a greenlet of its own and leaves
that loop marked as the thread's running loop between its calls. The test
files that run between page files in the same process (Tornado's test cases,
``asyncio.run``) cannot start a loop while one is marked running, so the mark
is set only while a test holds the ``browser`` fixture.

A page's ``wait_for_function`` is given a function (``"() => ..."``), never a
bare expression: Playwright evaluates a bare expression again on each poll
with ``eval``, which the chat page's Content-Security-Policy refuses once the
first check has come out false, so such a wait fails only when it has to wait
(tests/test_page_waits.py holds every test to it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, Playwright, expect, sync_playwright

from tests.browser_contexts import ContextPool, Kept
from tests.support import require_program

CHROMIUM = "/usr/bin/chromium"
# What Playwright turns off for a browser it drives (its chromiumSwitches): a page's first paint after
# a navigation not held back (PaintHolding), no looking for cast devices (MediaRouter), http kept http
# (HttpsUpgrades...), no calls home at start (OptimizationHints, NetworkTimeServiceQuerying,
# AimEnabled, PreconnectToSearch), and what it needs to drive pages as tests expect.
PLAYWRIGHT_DISABLED = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
]
# - SpareRendererForSitePerProcess: every page opens its own context, whose pages cannot use a
#   renderer started ahead for another: the spare one is work thrown away, about a tenth of
#   Chromium's here.
# - WebUIOmniboxPopup, WebUIOmniboxAimPopup: each context's window preloads the address bar's two
#   popups, a WebUI renderer that nobody sees in a headless browser; it cost more CPU than the chat
#   page's own renderer.
OUR_DISABLED = ["SpareRendererForSitePerProcess", "WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # One list: Chromium heeds only the last --disable-features, so this one replaces the list
    # Playwright gives, whose features are named again here (PLAYWRIGHT_DISABLED).
    "--disable-features=" + ",".join(OUR_DISABLED + PLAYWRIGHT_DISABLED),
]
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class Chromium:
    """The process's Playwright driver and Chromium, and the pool its contexts are lent from."""

    playwright: Playwright
    browser: Browser
    pool: ContextPool
    loop: asyncio.AbstractEventLoop


@contextmanager
def driving(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Playwright's loop marked running, as its calls expect; afterwards the thread has none."""
    # Each call resumes the loop where the last one left it, inside a callback of
    # the running loop; unmarked, the loop loses its connection to the driver.
    asyncio._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """The driver and Chromium of this test process, started by the first test that needs them."""
    require_program(CHROMIUM, "apt-get install chromium")
    # Playwright refuses to start inside a running loop: tests leave none behind.
    playwright = sync_playwright().start()
    # The driver's loop, left marked running by the call that started it.
    loop = asyncio.get_running_loop()
    with driving(loop):
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except BaseException:
            playwright.stop()
            raise
    started = Chromium(playwright, launched, ContextPool(launched), loop)
    yield started
    with driving(loop):
        try:
            started.pool.close()
            launched.close()
        finally:
            playwright.stop()


@pytest.fixture
def browser(chromium: Chromium) -> Iterator[Browser]:
    """The process's Chromium, for one test; every test opens its own contexts."""
    with driving(chromium.loop):
        yield chromium.browser


@dataclass
class Watched:
    """What a page did that a user would notice: dialogs, script errors."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Pages:
    """Opens pages in browser contexts as new (tests/browser_contexts.py) and checks them afterwards."""

    browser: Browser
    pool: ContextPool
    opened: list[tuple[Page, Watched]] = field(default_factory=list)
    lent: list[Kept] = field(default_factory=list)

    def open(
        self,
        url: str,
        viewport: dict[str, int] | None = None,
        fake_clock: bool = False,
        before: Callable[[Page], None] | None = None,
        **options: Any,
    ) -> Page:
        """A new page (own storage, like another person's browser) at ``url``; ``before(page)`` is called
        before it loads (to route its requests, say)."""
        kept = self.pool.lend(viewport or DESKTOP, fake_clock, options)
        self.lent.append(kept)
        page = kept.context.new_page()
        if fake_clock:  # the test moves time on instead of waiting for it
            page.clock.install()
        watched = Watched()

        def on_dialog(dialog: Dialog) -> None:
            watched.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        self.opened.append((page, watched))
        if before is not None:
            before(page)
        page.goto(url)
        return page

    def join(
        self,
        base: str,
        room: str,
        nick: str,
        viewport: dict[str, int] | None = None,
        fake_clock: bool = False,
        **options: Any,
    ) -> Page:
        """A page in ``room`` whose user typed ``nick`` into the nick prompt."""
        page = self.open(f"{base}/?room={room}", viewport, fake_clock, **options)
        choose_nick(page, nick)
        expect_online(page)
        return page

    def close(self) -> None:
        lent = {id(kept.context) for kept in self.lent}
        for page, _ in self.opened:
            if id(page.context) not in lent:
                page.context.close()
        for kept in self.lent:
            self.pool.take_back(kept)


@pytest.fixture
def pages(chromium: Chromium, browser: Browser) -> Iterator[Pages]:
    """Pages for one test; no page may raise a script error or open a dialog."""
    opened = Pages(browser, chromium.pool)
    yield opened
    problems = [(w.errors, w.dialogs) for _, w in opened.opened if w.errors or w.dialogs]
    opened.close()
    assert not problems, f"script errors or dialogs: {problems}"


def choose_nick(page: Page, nick: str) -> None:
    """Answer the nick prompt the way a person does: type, press Enter."""
    field_ = page.locator("#nick")
    expect(field_).to_be_visible()
    field_.fill(nick)
    field_.press("Enter")


def expect_online(page: Page) -> None:
    expect(page.locator("#status")).to_have_attribute("data-state", "online")


def wait_for(
    page: Page, condition: Callable[[], bool], seconds: float = 10, why: Callable[[], str] = str
) -> None:
    """Let Playwright call the page's handlers (a route's, a socket's) until ``condition`` holds; fail
    after ``seconds``, saying ``why()``."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    assert condition(), why()
