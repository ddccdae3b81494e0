"""Answers the server gave at once, handed to a page later: a page's view of a change that crossed them.

A page asks; the server answers straight away (``route.fetch``), so the answer says what was true
then; the test makes its changes, whose frames reach the page first, and only then hands the page the
answers it asked for (static/js/told.js keeps them from undoing what the frames showed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import APIResponse, Page, Route

from tests.page_browser import wait_for


@dataclass
class HeldAnswers:
    """The answers to a page's requests matching ``pattern``, read at once and held back from the page;
    those for which ``passes(url)`` go through, and those of other ``methods`` (None: every one held)."""

    pattern: re.Pattern[str]
    passes: Callable[[str], bool] = lambda url: False
    methods: frozenset[str] | None = None
    held: list[tuple[Route, APIResponse]] = field(default_factory=list)
    handed_over: bool = False
    # Answers being read now: their handlers answer the page themselves once they have them.
    reading: int = 0
    _handler: Callable[[Route], None] | None = field(default=None, repr=False)

    def hold(self, page: Page) -> None:
        """From now on (before the page loads, as ``Pages.open``'s ``before``)."""

        def read_now_answer_later(route: Route) -> None:
            # Once handed over, nothing more is held: a route left unanswered keeps its tab from closing.
            request = route.request
            if self.handed_over or self.passes(request.url) or not self.holds_method(request.method):
                route.continue_()
                return
            self.reading += 1
            try:
                answer = route.fetch()
            finally:
                self.reading -= 1
            # The test runs on while this handler waits for the answer: handed over meanwhile, the held
            # list was emptied already, so this answer goes at once.
            if self.handed_over:
                route.fulfill(response=answer)
            else:
                self.held.append((route, answer))

        self._handler = read_now_answer_later
        page.route(self.pattern, read_now_answer_later)

    def holds_method(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    def urls(self) -> list[str]:
        return [route.request.url for route, _ in self.held]

    def wait_for(self, page: Page, enough: Callable[[list[str]], bool], what: str) -> None:
        """Until the held requests' addresses are ``enough`` (five seconds at most)."""
        wait_for(
            page, lambda: enough(self.urls()), 5, lambda: f"the page never asked for {what}: {self.urls()}"
        )

    def hand_over(self, page: Page, *paths: str) -> None:
        """Give the page every answer held, and let what it asks next through; return once the answers
        to ``paths`` (each a part of an address) are in and the page has had time to heed them."""
        self.handed_over = True
        for route, answer in self.held:
            route.fulfill(response=answer)
        # Unrouting lets through a request whose handler is still reading its answer, and that handler
        # would then answer it a second time ("Route is already handled"): each finishes first.
        wait_for(page, lambda: self.reading == 0, 10, lambda: f"{self.reading} answers still being read")
        if self._handler is not None:
            page.unroute(self.pattern, self._handler)
        page.wait_for_function(
            "(paths) => paths.every((path) =>"
            " performance.getEntriesByType('resource').some((e) => e.name.includes(path)))",
            arg=list(paths),
        )
        page.wait_for_timeout(200)
