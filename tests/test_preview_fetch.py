"""Where link previews may read, and what (preview_fetch.py): against a local site, never the internet."""

from __future__ import annotations

import asyncio

import pytest
import tornado.netutil

from chatroom.preview_fetch import (
    IMAGE,
    MAX_PAGE_BYTES,
    PAGE,
    REFUSED_ADDRESS,
    REFUSED_SIZE,
    REFUSED_TYPE,
    Fetcher,
    FetchFailedError,
    FetchRefusedError,
)

from .preview_site import PAGE as PAGE_BYTES
from .preview_site import Site, site

__all__ = ["site"]


def refusal(fetcher: Fetcher, url: str, **options: bool) -> str:
    """Why ``fetcher`` refuses ``url`` (FetchRefusedError's reason)."""

    async def fetch() -> str:
        with pytest.raises(FetchRefusedError) as refused:
            await fetcher.fetch(url, **options)
        return refused.value.reason

    return asyncio.run(fetch())


def test_loopback_is_refused_without_the_flag_by_address_and_by_name(site: Site) -> None:
    """127.0.0.1 and a name that resolves to it are refused before anything is asked of them."""
    fetcher = Fetcher(allow_private=False)
    asked = site.asked["/page"]
    assert refusal(fetcher, site.url("/page")) == REFUSED_ADDRESS
    assert refusal(fetcher, site.url("/page", host="localhost")) == REFUSED_ADDRESS
    assert refusal(fetcher, "http://[::ffff:127.0.0.1]:1/page") == REFUSED_ADDRESS
    assert site.asked["/page"] == asked


def test_a_redirect_to_a_private_address_is_refused(site: Site) -> None:
    """A public name (resolved here to the local site) that redirects inside the network: refused there."""
    resolver = tornado.netutil.OverrideResolver(
        resolver=tornado.netutil.DefaultLoopResolver(), mapping={"public.test": "127.0.0.1"}
    )
    fetcher = Fetcher(allow_private=False, resolver=resolver)
    assert refusal(fetcher, site.url("/to-private", host="public.test")) == REFUSED_ADDRESS
    assert site.asked["/to-private"] >= 1


def test_with_the_flag_pages_and_pictures_are_read_and_other_types_refused(site: Site) -> None:
    """A page and a picture come back whole, a long page's first 512 KB; a zip is refused on its type, a
    picture over 5 MB on its size; a missing page fails."""
    fetcher = Fetcher(allow_private=True)

    async def scenario() -> None:
        page = await fetcher.fetch(site.url("/page"))
        assert (page.kind, page.body, page.url) == (PAGE, PAGE_BYTES, site.url("/page"))
        picture = await fetcher.fetch(site.url("/picture.png"), image_only=True)
        assert picture.kind == IMAGE and picture.body.startswith(b"\x89PNG")
        with pytest.raises(FetchRefusedError) as refused:
            await fetcher.fetch(site.url("/page"), image_only=True)
        assert refused.value.reason == REFUSED_TYPE
        with pytest.raises(FetchFailedError):
            await fetcher.fetch(site.url("/missing"))
        long = await fetcher.fetch(site.url("/long"))
        assert len(long.body) == MAX_PAGE_BYTES and long.body.startswith(PAGE_BYTES)
        with pytest.raises(FetchRefusedError) as refused:
            await fetcher.fetch(site.url("/huge.png"))
        assert refused.value.reason == REFUSED_SIZE

    asyncio.run(scenario())
    assert refusal(fetcher, site.url("/file.zip")) == REFUSED_TYPE
