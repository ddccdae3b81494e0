"""A link's previews, read by the node that stored its message, reach the members on another node at once,
and a member back there with since; that node serves their pictures too.

Two real ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis,
reading a local site (tests/preview_site.py) with --preview-allow-private.
A person's links are read within one allowance a minute, whichever node
stored them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .clients import ANY_TYPE, anext_of, awelcomed
from .preview_site import Site, site
from .redis_server import RedisServer
from .support import ServerProcess
from .test_previews import SECRET, WAIT, answer, expected_cards, fetch, picture_path, token

__all__ = ["site"]


@pytest.fixture
def nodes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two nodes sharing a PostgreSQL schema and a Redis, both allowed to read the local site."""
    redis = RedisServer(tmp_path).start()
    database = request.getfixturevalue("postgres_server").lend_schema(request)
    flags = (database, "--redis-url", redis.url, "--jwt-secret", SECRET, "--preview-allow-private")
    try:
        with ServerProcess(*flags, guests=False) as left, ServerProcess(*flags, guests=False) as right:
            yield left, right
    finally:
        redis.stop()


def test_previews_read_on_one_node_reach_the_other_and_a_member_back_with_since(
    nodes: tuple[ServerProcess, ServerProcess], site: Site
) -> None:
    """ann links the page on the left: bob on the right hears the preview at once and gets its picture from
    his node; away, then back on the right with since, he gets the previews of a second link he missed."""
    left, right = nodes

    async def scenario() -> None:
        ann, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        first = (await answer(ann, {"type": "message", "message": f"see {site.url('/page')}"}))["id"]
        live = await anext_of(bob, "preview", WAIT, skip=ANY_TYPE)
        assert (live["target"], live["previews"]) == (first, expected_cards(site)[:1])
        shown = await fetch(right, picture_path("lobby", first, 0), "bob")
        assert shown.code == 200 and shown.headers["Content-Type"] == "image/jpeg"
        await bob.close()

        second = (await answer(ann, {"type": "message", "message": site.url("/photo.png")}))["id"]
        done = await anext_of(ann, "preview", WAIT, skip=ANY_TYPE)
        assert done["target"] == second
        bob, welcome, history = await awelcomed(right, room="lobby", token=token("bob"), since=live["id"])
        assert welcome["last_id"] == done["id"]
        assert [(c["type"], c["target"], c["previews"]) for c in history["changes"]] == [
            ("preview", second, expected_cards(site)[1:])
        ]
        page = json.loads((await fetch(right, "/api/rooms/lobby/messages", "bob")).body)
        assert [m.get("previews") for m in page["messages"]] == [
            expected_cards(site)[:1],
            expected_cards(site)[1:],
        ]
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())


def test_a_persons_links_read_on_both_nodes_count_as_one_allowance(
    nodes: tuple[ServerProcess, ServerProcess], site: Site
) -> None:
    """ann links 20 pages, half on each node (20 links read a minute a person): each is read; her 21st,
    on either node, is not, while bob's link, sent after it, is."""
    left, right = nodes
    for n in range(22):
        page = f'<title>Page {n}</title><meta name="description" content="The page numbered {n}.">'
        site.routes[f"/links-{n}"] = (200, {"Content-Type": "text/html"}, page.encode())

    async def scenario() -> None:
        ann = {node.port: (await awelcomed(node, room="lobby", token=token("ann")))[0] for node in nodes}
        for n in range(20):
            node = (left, right)[n % 2]
            await answer(ann[node.port], {"type": "message", "message": f"see {site.url(f'/links-{n}')}"})
        async with asyncio.timeout(WAIT):  # each is read once (their frames go by unread)
            while sum(site.asked[f"/links-{n}"] for n in range(20)) < 20:
                await asyncio.sleep(0.05)
        await answer(ann[right.port], {"type": "message", "message": f"see {site.url('/links-20')}"})
        bob, _, _ = await awelcomed(left, room="lobby", token=token("bob"))
        last = (await answer(bob, {"type": "message", "message": f"see {site.url('/links-21')}"}))["id"]
        while (await anext_of(bob, "preview", WAIT, skip=ANY_TYPE))["target"] != last:
            pass
        assert [site.asked[f"/links-{n}"] for n in range(22)] == [1] * 20 + [0, 1]
        for ws in (*ann.values(), bob):
            await ws.close()

    asyncio.run(scenario())
