"""A custom emoji added on one node shows on pages of the other at once, its image served there too.

Two ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs (tests/test_rooms_cluster.py sets them up alike).
"""

from __future__ import annotations

import asyncio
import io
import json

import tornado.httpclient
from PIL import Image

from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess
from .test_api_emoji import form
from .test_rooms_cluster import WAIT, call, nodes, token

__all__ = ["nodes"]


async def add(server: ServerProcess, who: str, name: str) -> tuple[int, dict[str, object]]:
    """POST /api/emoji to ``server`` as ``who``, a red square: status and decoded body."""
    out = io.BytesIO()
    Image.new("RGB", (96, 96), (220, 30, 30)).save(out, "PNG")
    body, kind = form(name, out.getvalue())
    request = tornado.httpclient.HTTPRequest(
        server.url + "/api/emoji",
        method="POST",
        headers={"Authorization": f"Bearer {token(who)}", "Content-Type": kind},
        body=body,
    )
    response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
    return response.code, json.loads(response.body)


def test_an_emoji_added_on_one_node_reaches_pages_on_the_other_and_is_served_there(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """Ann adds :shipit: on the left: bob's page on the right gets the frame, the right node serves the
    image and lets bob react with it; ann removes it on the left and bob's page hears that too."""
    left, right = nodes

    async def scenario() -> None:
        for name in ("ann", "bob"):
            assert (await call(left, "GET", "/api/me", name))[0] == 200
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        status, added = await add(left, "ann", "shipit")
        assert status == 201, added
        told = await anext_of(bob, "emoji", WAIT, skip=ANY_TYPE)
        assert told == {"type": "emoji", "name": "shipit", "emoji": added["emoji"]}
        entry = added["emoji"]
        assert isinstance(entry, dict)
        image = await tornado.httpclient.AsyncHTTPClient().fetch(
            right.url + entry["url"], headers={"Authorization": f"Bearer {token('bob')}"}
        )
        assert image.code == 200 and image.headers["Content-Type"] == "image/png"
        await bob.send('{"type":"message","message":"ship it :shipit:","ref":"m1"}')
        target = (await anext_of(bob, "ack", WAIT, skip=ANY_TYPE))["id"]
        await bob.send(f'{{"type":"react","id":{target},"emoji":":shipit:","on":true,"ref":"r1"}}')
        assert (await anext_of(bob, "reaction", WAIT, skip=ANY_TYPE))["emoji"] == ":shipit:"
        assert (await call(left, "DELETE", "/api/emoji/shipit", "ann"))[0] == 204
        assert (await anext_of(bob, "emoji", WAIT, skip=ANY_TYPE))["emoji"] is None
        await bob.close()

    asyncio.run(scenario())
