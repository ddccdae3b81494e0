"""A page's WebSocket through the test's hands (Playwright's ``route_web_socket``).

Cutting it is the network going down; losing only the page's side is a
connection gone without the server noticing; it can hold what the server says,
or swallow what answers one message (its ack and its echo), the way a
connection that drops right after the server stored a message does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Page, WebSocketRoute

from tests.page_browser import expect_online


class Line:
    """A page's WebSocket through the test's hands: it can be cut or lost, hold what the server says, and
    lose one message's answer."""

    def __init__(self, page: Page) -> None:
        self.cut = False
        self.swallow_next = False  # lose what answers the next message: its echo and its ack
        self.swallowing = False
        self.holding = False  # what the server says waits, until released
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []
        self.sent: list[dict[str, Any]] = []  # every message frame the page sent, across connections
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        self.unnoticed: list[WebSocketRoute] = []  # server sides of sockets the page lost
        self.urls: list[str] = []  # the address of every socket the page opened
        page.route_web_socket(re.compile(r"/ws\?"), self._route)

    def _route(self, page_side: WebSocketRoute) -> None:
        self.urls.append(page_side.url)
        if self.cut:  # no network: the socket fails at once
            page_side.close(code=1011, reason="offline")
            return
        server_side = page_side.connect_to_server()
        pair = (page_side, server_side)
        self.open.append(pair)
        page_side.on_message(lambda message: self._from_page(server_side, message))
        server_side.on_message(lambda message: self._from_server(pair, message))

    def _from_page(self, server_side: WebSocketRoute, message: str | bytes) -> None:
        frame = json.loads(message)
        if frame.get("type") == "message":
            self.sent.append(frame)
            if self.swallow_next:
                self.swallow_next, self.swallowing = False, True
        server_side.send(message)

    def _from_server(self, pair: tuple[WebSocketRoute, WebSocketRoute], message: str | bytes) -> None:
        if pair[1] in self.unnoticed:  # the page lost this socket: what the server says goes nowhere
            return
        if self.holding:
            self.held.append((pair[0], message))
            return
        if not self.swallowing:
            pair[0].send(message)
            return
        # The server stored the message; its answer never reaches the page.
        if json.loads(message).get("type") == "ack":
            self.swallowing = False
            self.go_down()

    def release(self) -> None:
        """What the server said meanwhile reaches the page, in order."""
        self.holding = False
        for page_side, message in self.held:
            page_side.send(message)
        self.held.clear()

    def lose_unnoticed(self) -> None:
        """The page sees its sockets go while the server does not (a phone changing networks): each
        server side stays open, holding what it held, until ``server_notices``."""
        for page_side, server_side in self.open:
            page_side.close(code=1011, reason="lost")
            self.unnoticed.append(server_side)
        self.open.clear()

    def server_notices(self) -> None:
        """The server's pings find the lost sockets gone."""
        for server_side in self.unnoticed:
            server_side.close()
        self.unnoticed.clear()

    def go_down(self) -> None:
        """The network goes: every open socket closes, and new ones fail until it comes back."""
        self.cut = True
        for page_side, server_side in self.open:
            page_side.close(code=1011, reason="offline")
            server_side.close()
        self.open.clear()

    def come_back(self, page: Page) -> None:
        """The network is back: the browser says so, and the page reconnects at once."""
        self.cut = False
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect_online(page)

    def sent_texts(self) -> list[str]:
        return [frame["message"] for frame in self.sent]
