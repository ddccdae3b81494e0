"""Link previews end to end: a real server on SQLite and on PostgreSQL reads a local site's page and picture.

The site is a local HTTP server (tests/preview_site.py), reached because the
server runs with --preview-allow-private; people sign in with JWTs; clients
are the ``websockets`` library.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import tornado.httpclient
from PIL import Image
from websockets.asyncio.client import ClientConnection

from .clients import ANY_TYPE, anext_of, arefused_on_open, awelcomed
from .preview_site import Site, site
from .support import ServerProcess

__all__ = ["site"]

SECRET = "a-link-previews-secret-long-enough-for-hs256"
WAIT = 15.0


def token(name: str) -> str:
    return jwt.encode({"sub": name, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """One node on SQLite or PostgreSQL that may read the local site."""
    if request.param == "sqlite":
        database = str(tmp_path / "chat.db")
    else:
        database = request.getfixturevalue("postgres_server").lend_schema(request)
    flags = ("--preview-allow-private", "--jwt-secret", SECRET, "--log-level", "warning")
    with ServerProcess(database, *flags, guests=False) as started:
        yield started


async def fetch(server: ServerProcess, path: str, who: str, body: Any = None, method: str = "GET") -> Any:
    """An HTTP answer of ``server`` to ``who``."""
    request = tornado.httpclient.HTTPRequest(
        server.url + path,
        method=method,
        headers={"Authorization": f"Bearer {token(who)}"},
        body=None if body is None else json.dumps(body),
    )
    return await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)


async def answer(ws: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
    """Send a frame with a ref: the ack or error answering it."""
    ref = str(time.monotonic_ns())
    await ws.send(json.dumps({**frame, "ref": ref}))
    while True:
        got = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if got["type"] in ("ack", "error") and got.get("ref") == ref:
            return dict(got)


def expected_cards(site: Site) -> list[dict[str, Any]]:
    """The cards of a message linking the page and the photo, as frames carry them."""
    return [
        {
            "url": site.url("/page"),
            "site": "Example Site",
            "title": "The Example & its été",
            "description": "A page that describes itself at some length, for a card.",
            "image": {"width": 480, "height": 320},
        },
        {
            "url": site.url("/photo.png"),
            "site": "127.0.0.1",
            "title": "",
            "description": "",
            "image": {"width": 160, "height": 480},
        },
    ]


def picture_path(room: str, message: int, index: int) -> str:
    return f"/previews/{urllib.parse.quote(room)}/{message}/{index}"


def test_a_message_gets_its_previews_readers_alone_see_them_and_its_author_removes_them(
    server: ServerProcess, site: Site
) -> None:
    """ann links a page and a photo in a closed room: after her ack, a preview change reaches her and bob
    with both cards, history and since carry it, bob gets the shrunk pictures without metadata; carl,
    outside, gets no byte of them anywhere; the same link again, in a message or a thread reply, is not read
    again; bob may not remove
    ann's previews, ann does, for good; bad removals are refused and the room carries on."""

    async def scenario() -> None:
        for who in ("bob", "carl"):  # their accounts are made on first sight of their tokens
            assert (await fetch(server, "/api/me", who)).code == 200
        created = await fetch(
            server, "/api/rooms", "ann", {"room": "team", "kind": "closed", "members": ["bob"]}, "POST"
        )
        assert created.code == 201, created.body
        ann, _, _ = await awelcomed(server, room="team", token=token("ann"))
        bob, _, _ = await awelcomed(server, room="team", token=token("bob"))
        text = f"look {site.url('/page')} and {site.url('/photo.png')}"
        posted = (await answer(ann, {"type": "message", "message": text}))["id"]
        frames = [await anext_of(ws, "preview", WAIT, skip=ANY_TYPE) for ws in (ann, bob)]
        for frame in frames:
            assert (frame["target"], frame["on"], frame["nick"]) == (posted, True, "ann")
            assert frame["previews"] == expected_cards(site) and frame["id"] > posted
        change = frames[0]["id"]

        page = json.loads((await fetch(server, "/api/rooms/team/messages", "bob")).body)
        assert page["messages"][-1]["previews"] == expected_cards(site)
        again, _, history = await awelcomed(server, room="team", token=token("bob"), since=posted)
        assert [(c["type"], c["id"], c["target"]) for c in history["changes"]] == [
            ("preview", change, posted)
        ]
        await again.close()

        shown = await fetch(server, picture_path("team", posted, 0), "bob")
        assert shown.code == 200 and shown.headers["Content-Type"] == "image/jpeg"
        assert shown.headers["X-Content-Type-Options"] == "nosniff" and b"secret-metadata" not in shown.body
        assert Image.open(io.BytesIO(shown.body)).size == (480, 320)
        assert (await fetch(server, picture_path("team", posted, 1), "bob")).code == 200
        missing = await fetch(server, picture_path("team", posted + 1000, 0), "bob")
        assert missing.code == 404
        outside = await fetch(server, picture_path("team", posted, 0), "carl")
        assert (outside.code, outside.body) == (404, missing.body)
        outside = await fetch(server, "/api/rooms/team/messages", "carl")
        assert outside.code == 404 and b"Example" not in outside.body
        error, code = await arefused_on_open(server, room="team", token=token("carl"), since=0)
        assert (error["code"], code) == ("not_found", 4404)
        found = json.loads((await fetch(server, "/api/search?q=look", "carl")).body)
        assert found["results"] == []
        found = json.loads((await fetch(server, "/api/search?q=look", "bob")).body)
        assert [r["id"] for r in found["results"]] == [posted]

        counted = (await fetch(server, "/metrics", "bob")).body.decode()
        assert 'chatroom_preview_fetches_total{outcome="done"} 3.0' in counted  # the page and two pictures
        asked = site.asked["/page"]
        repost = (await answer(ann, {"type": "message", "message": site.url("/page")}))["id"]
        reposted = await anext_of(bob, "preview", WAIT, skip=ANY_TYPE)
        assert reposted["target"] == repost and reposted["previews"] == expected_cards(site)[:1]
        reply = await answer(
            ann, {"type": "message", "message": f"in a thread: {site.url('/page')}", "thread": repost}
        )
        threaded = await anext_of(bob, "preview", WAIT, skip=ANY_TYPE)
        assert threaded["target"] == reply["id"] and threaded["previews"] == expected_cards(site)[:1]
        assert site.asked["/page"] == asked

        refused = await answer(bob, {"type": "remove_preview", "id": posted})
        assert refused["code"] == "forbidden"
        assert (await answer(ann, {"type": "remove_preview", "id": 0}))["code"] == "bad_request"
        assert (await answer(ann, {"type": "remove_preview", "id": 99_999}))["code"] == "no_message"
        removed = await answer(ann, {"type": "remove_preview", "id": posted})
        gone = await anext_of(bob, "preview", WAIT, skip=ANY_TYPE)
        assert (gone["id"], gone["target"], gone["on"], gone["previews"]) == (
            removed["id"],
            posted,
            False,
            [],
        )
        assert (await fetch(server, picture_path("team", posted, 0), "bob")).code == 404
        page = json.loads((await fetch(server, "/api/rooms/team/messages", "bob")).body)
        assert "previews" not in page["messages"][0] and page["messages"][1]["id"] == repost
        assert (await answer(ann, {"type": "remove_preview", "id": posted})).get("unchanged") is True
        await ann.send(json.dumps({"type": "message", "message": "still here"}))
        assert (await anext_of(bob, "user", WAIT, skip=ANY_TYPE))["message"] == "still here"
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())


def test_the_rooms_owner_removes_anyones_previews_and_a_guest_none(tmp_path: Path, site: Site) -> None:
    """In ann's open room bob and gus, a guest, link the page: gus may not remove the cards, not even his
    own (guests change no message); cid may not remove bob's; ann, the room's owner, removes both, and
    cid, reading, sees each card come and go."""
    flags = ("--preview-allow-private", "--jwt-secret", SECRET, "--log-level", "warning")
    with ServerProcess(str(tmp_path / "chat.db"), *flags) as server:

        async def scenario() -> None:
            assert (await fetch(server, "/api/me", "bob")).code == 200
            created = await fetch(server, "/api/rooms", "ann", {"room": "yard", "kind": "open"}, "POST")
            assert created.code == 201, created.body
            ann, _, _ = await awelcomed(server, room="yard", token=token("ann"))
            bob, _, _ = await awelcomed(server, room="yard", token=token("bob"))
            gus, _, _ = await awelcomed(server, room="yard", nick="gus")
            cid, _, _ = await awelcomed(server, room="yard", token=token("cid"))
            posted = {}
            for who, ws in (("bob", bob), ("gus", gus)):
                posted[who] = (await answer(ws, {"type": "message", "message": site.url("/page")}))["id"]
                shown = await anext_of(cid, "preview", WAIT, skip=ANY_TYPE)
                assert (shown["target"], shown["nick"], shown["on"]) == (posted[who], who, True)
            for remover, target, refusal in (
                (gus, "gus", "sign in to edit, delete, react, pin or vote: guests cannot change messages"),
                (gus, "bob", "sign in to edit, delete, react, pin or vote: guests cannot change messages"),
                (cid, "bob", "you may only remove the previews of your own messages"),
            ):
                refused = await answer(remover, {"type": "remove_preview", "id": posted[target]})
                assert (refused["type"], refused["code"], refused["message"]) == (
                    "error",
                    "forbidden",
                    refusal,
                )
            for target in ("bob", "gus"):
                removed = await answer(ann, {"type": "remove_preview", "id": posted[target]})
                gone = await anext_of(cid, "preview", WAIT, skip=ANY_TYPE)
                assert (gone["id"], gone["target"], gone["on"]) == (removed["id"], posted[target], False)
            page = json.loads((await fetch(server, "/api/rooms/yard/messages", "bob")).body)
            assert [m.get("previews") for m in page["messages"]] == [None, None]
            await gus.send(json.dumps({"type": "message", "message": "still here"}))
            assert (await anext_of(cid, "user", WAIT, skip=ANY_TYPE))["message"] == "still here"
            for ws in (ann, bob, gus, cid):
                await ws.close()

        asyncio.run(scenario())


def test_a_server_without_link_previews_reads_no_link(tmp_path: Path, site: Site) -> None:
    """With --link-previews off, ann's link is delivered as ever and its page is never asked for: no
    preview change comes before her next message."""
    flags = ("--preview-allow-private", "--link-previews", "off", "--jwt-secret", SECRET)
    with ServerProcess(str(tmp_path / "chat.db"), *flags, guests=False) as server:

        async def scenario() -> None:
            ann, _, _ = await awelcomed(server, room="lobby", token=token("ann"))
            bob, _, _ = await awelcomed(server, room="lobby", token=token("bob"))
            asked = site.asked["/page"]
            await answer(ann, {"type": "message", "message": f"look {site.url('/page')}"})
            assert site.url("/page") in (await anext_of(bob, "user", WAIT, skip=ANY_TYPE))["message"]
            await asyncio.sleep(1.0)  # a local page answers in milliseconds
            await answer(ann, {"type": "message", "message": "anyone?"})
            after = await anext_of(bob, ("user", "preview"), WAIT, skip=ANY_TYPE)
            assert (after["type"], after.get("message")) == ("user", "anyone?"), after
            assert site.asked["/page"] == asked
            for ws in (ann, bob):
                await ws.close()

        asyncio.run(scenario())


def test_an_edit_s_cards_follow_its_links(server: ServerProcess, site: Site) -> None:
    """ann's message links the page and the photo; she edits the page's link out: the photo's card stays,
    not read again, the page's goes; she edits every link out: none shown, in history too; she links the
    page again: its card is back. An edit of a message that never had cards changes none."""

    async def scenario() -> None:
        ann, _, _ = await awelcomed(server, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(server, room="lobby", token=token("bob"))
        page, photo = site.url("/page"), site.url("/photo.png")
        posted = (await answer(ann, {"type": "message", "message": f"look {page} and {photo}"}))["id"]
        assert (await anext_of(bob, "preview", WAIT, skip=ANY_TYPE))["previews"] == expected_cards(site)
        asked = site.asked.copy()
        for text, cards in (
            (f"only {photo}", expected_cards(site)[1:]),
            ("no links now", []),
            (f"back to {page}", expected_cards(site)[:1]),
        ):
            await answer(ann, {"type": "edit", "id": posted, "message": text})
            change = await anext_of(bob, "preview", WAIT, skip=ANY_TYPE)
            assert (change["target"], change["on"], change["previews"]) == (posted, True, cards), text
            history = json.loads((await fetch(server, "/api/rooms/lobby/messages", "bob")).body)
            assert history["messages"][-1].get("previews", []) == cards
        assert site.asked == asked  # each card read once, kept while its link stayed
        plain = (await answer(ann, {"type": "message", "message": "no link here"}))["id"]
        await answer(ann, {"type": "edit", "id": plain, "message": "still no link"})
        await answer(ann, {"type": "message", "message": "done"})
        after = [await anext_of(bob, ("user", "edit", "preview"), WAIT, skip=ANY_TYPE) for _ in range(3)]
        assert [frame["type"] for frame in after] == ["user", "edit", "user"]
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())
