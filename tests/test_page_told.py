"""Lists a chat page reads, against the frames that cross them (static/js/told.js), in Chromium.

An account's page reads its custom emoji, groups, blocks and this room's saved messages as it opens, and
its block list again with each block or unblock made on it. Each answer may have been read before a change
whose frame reaches the page first: the answer must not undo what the frame showed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect
from websockets.sync.client import ClientConnection

from tests.clients import ANY_TYPE, next_of
from tests.held_answers import HeldAnswers
from tests.test_api_emoji import form
from tests.test_page import Pages
from tests.test_page_blocks import expect_hidden
from tests.test_page_changes import act_more, message
from tests.test_page_emoji import square
from tests.test_page_journey import signed_in
from tests.web_client import session_socket, signed_in_people

LISTS = re.compile(r"/api/(emoji|groups|me/blocks|me/saved/lobby)$")
A_BLOCK = re.compile(r"/api/me/blocks/[^/]+$")


def post(socket: ClientConnection, text: str) -> int:
    """``text`` said in the lobby on a person's ``socket``: its id."""
    socket.send(json.dumps({"type": "message", "message": text, "ref": "said"}))
    return int(next_of(socket, "ack", skip=ANY_TYPE)["id"])


def test_lists_read_before_changes_do_not_undo_what_their_frames_showed(tmp_path: Path, pages: Pages) -> None:
    """ann's page asks for its lists; the server answers at once, but the answers reach the page only after
    she added an emoji, made a group, unblocked cy and saved bob's message elsewhere, whose frames came
    first: bob's message keeps its emoji, its @crew mention and its 🔖, and cy's stays shown."""
    with signed_in_people(tmp_path, "ann", "bob", "cy") as (server, clients):
        ann = clients["ann"]
        sockets = {name: session_socket(server, clients[name]) for name in ("bob", "cy")}
        said = post(sockets["bob"], "@crew look :teamzap:")
        post(sockets["cy"], "words of cy")
        assert ann.call("PUT", "/api/me/blocks/cy").status == 200
        lists = HeldAnswers(LISTS)
        page = signed_in(pages, ann, f"{server.url}/?room=lobby", before=lists.hold)
        lists.wait_for(page, lambda urls: len(urls) >= 4, "its four lists")
        asked = sorted(url.rsplit("/api/", 1)[1] for url in lists.urls())
        assert asked == ["emoji", "groups", "me/blocks", "me/saved/lobby"]
        body, kind = form("teamzap", square((230, 60, 40)))
        headers = {"Content-Type": kind, "X-XSRFToken": ann.xsrf_token()}
        assert ann.request("POST", "/api/emoji", body, headers).status == 201
        assert ann.call("POST", "/api/groups", {"name": "crew"}).status == 201
        assert ann.call("DELETE", "/api/me/blocks/cy").status == 200
        assert ann.call("PUT", f"/api/me/saved/lobby/{said}").status == 200
        bobs = page.locator("#messages li.msg").filter(has_text="@crew look")
        cys = page.locator("#messages li.msg").filter(has_text="words of cy")
        shown = [
            bobs.locator("img.custom-emoji[alt=':teamzap:']"),
            bobs.locator(".mention", has_text="@crew"),
            bobs.locator(".saved-mark"),
        ]
        for mark in shown:
            expect(mark).to_be_visible()
        expect(cys.locator(".blocked-note")).to_have_count(0)
        lists.hand_over(page, "/api/emoji", "/api/groups", "/api/me/blocks", "/api/me/saved/lobby")
        for mark in shown:
            expect(mark).to_be_visible()
        expect(cys.locator(".blocked-note")).to_have_count(0)
        for socket in sockets.values():
            socket.close()


def test_a_block_made_on_the_page_keeps_one_another_device_made_meanwhile(
    tmp_path: Path, pages: Pages
) -> None:
    """ann blocks bob from his message; the server's answer (the list: bob) reaches her page only after she
    blocked cy on another device, whose frame came first: both stay hidden."""
    with signed_in_people(tmp_path, "ann", "bob", "cy") as (server, clients):
        for name in ("bob", "cy"):
            with session_socket(server, clients[name]) as socket:
                post(socket, f"words of {name}")
        blocking = HeldAnswers(A_BLOCK)
        page = signed_in(pages, clients["ann"], f"{server.url}/?room=lobby", before=blocking.hold)
        act_more(page, message(page, "words of bob"), "Block bob")
        blocking.wait_for(page, lambda urls: len(urls) == 1, "bob blocked")
        assert clients["ann"].call("PUT", "/api/me/blocks/cy").status == 200
        expect_hidden(page, "words of cy")
        blocking.hand_over(page, "/api/me/blocks/bob")
        for name in ("bob", "cy"):
            expect_hidden(page, f"words of {name}")
