"""The formatting parser (chatroom/markdown_subset.py): the links it allows, bare addresses found fast."""

from __future__ import annotations

import time

import pytest

from chatroom.markdown_subset import MAX_ADDRESS, SubsetMarkdown, allowed_link

MARKDOWN = SubsetMarkdown()


@pytest.mark.parametrize(
    "url",
    [
        "http://x.org",
        "https://x.org/a?b=c#d",
        "HTTPS://X.ORG/",
        "mailto:ann@example.org",
        "https://xn--bcher-kva.example/",
    ],
)
def test_http_https_and_mailto_are_allowed(url: str) -> None:
    """Absolute web addresses with a host, and mail addresses, may be links."""
    assert allowed_link(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,x",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://x.org/",
        "/relative",
        "//evil.example/",
        "https:no-host",
        "http:///path",
        "https://[::1/",
        "mailto:",
        "https://xn--evil-ud7a.example/",  # U+202E, right-to-left override, in the host
    ],
)
def test_anything_else_is_not(url: str) -> None:
    """Other schemes, relative addresses, hosts missing or hiding what they are: no link."""
    assert not allowed_link(url)


def links(text: str) -> list[str]:
    tokens = MARKDOWN.parseInline(text)[0].children or []
    return [str(t.attrs["href"]) for t in tokens if t.type == "link_open"]


def test_a_long_address_is_one_link() -> None:
    """An address longer than the first look is still read to its end."""
    long = "https://x.org/" + "a" * 3000
    assert links(f"see {long} now") == [long]
    assert links("x " + "https://x.org/" + "b" * (MAX_ADDRESS + 10))[0].endswith("b" * 100)


def test_addresses_inside_words_and_after_other_schemes_are_not_links() -> None:
    """Only http and https before "://" start an address; "xhttp://" and "ftp://" do not."""
    assert links("xhttp://x.org/ ftp://x.org/ https://y.org/") == ["https://y.org/"]


def seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        MARKDOWN.parse(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("pattern", ["http://a.b/(", "https://[", "http://x)", "a" * 300 + "://"])
def test_finding_addresses_takes_linear_time(pattern: str) -> None:
    """Four times as many would-be addresses take about four times as long, not sixteen."""
    short, long = (seconds((pattern * (size // len(pattern) + 1))[:size]) for size in (2000, 8000))
    assert long < max(8 * short, 0.2), (short, long)


def test_a_bare_address_shows_as_typed() -> None:
    """Percent-escapes in a bare address are not decoded into what it shows (a hidden U+202E, say)."""
    tokens = MARKDOWN.parseInline("see https://x.org/%E2%80%AEexe.txt and www.x.org/%41")[0].children or []
    assert [t.content for t in tokens if t.type == "text" and "x.org" in t.content] == [
        "https://x.org/%E2%80%AEexe.txt",
        "www.x.org/%41",
    ]
