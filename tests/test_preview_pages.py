"""What a link preview reads of a message and of a page (preview_pages.py): pure."""

from __future__ import annotations

from chatroom.preview_pages import (
    DESCRIPTION_LENGTH,
    Card,
    Picture,
    clean,
    decode_page,
    image_card,
    links_in,
    parse_page,
    sent_form,
    stored_card,
    stored_form,
)


def test_a_messages_links_outside_code_the_first_three_once_each() -> None:
    """http(s) links and bare www. names count; code, mailto and repeats do not; three at most."""
    text = (
        "see https://a.org/x?y=1 and `https://code.org` and mailto:me@x.org\n"
        "```\nhttps://block.org\n```\nwww.b.org https://a.org/x?y=1 https://c.org/ https://d.org/"
    )
    assert links_in(text) == ["https://a.org/x?y=1", "http://www.b.org", "https://c.org/"]
    assert links_in("no links here") == [] and links_in("ftp://files.org/") == []


def test_open_graph_comes_first_then_twitter_then_the_title_and_description() -> None:
    """og: fields win; a page with only a <title> and a meta description still makes a card."""
    page = """<html><head><title>Plain title</title>
    <meta name="twitter:title" content="Twitter title"><meta property="og:title" content="  OG
    title ">
    <meta name="description" content="Meta description"><meta name="twitter:image" content="img/a.png">
    </head><body><meta property="og:description" content="in the body: not read"></body></html>"""
    card = parse_page(page, "https://news.example.org/story/1")
    assert card == Card(
        "https://news.example.org/story/1",
        "news.example.org",
        "OG title",
        "Meta description",
        "https://news.example.org/story/img/a.png",
    )
    plain = parse_page("<title>Only &amp; this</title>", "http://x.org/")
    assert plain is not None and (plain.title, plain.description, plain.image) == ("Only & this", "", None)
    assert parse_page("<html><body>nothing</body></html>", "http://x.org/") is None


def test_texts_are_cleaned_and_cut_and_odd_pictures_dropped() -> None:
    """Control characters go, white space folds, long texts are cut; a javascript: picture is no picture."""
    assert clean("a\x00b\u202e  c\n\td", 100) == "a b c d"
    long = parse_page(f'<meta property="og:description" content="{"word " * 200}">', "http://x.org/")
    assert long is not None and len(long.description) == DESCRIPTION_LENGTH and long.description.endswith("…")
    odd = parse_page(
        '<title>t</title><meta property="og:image" content="javascript:alert(1)">', "http://x.org/"
    )
    assert odd is not None and odd.image is None


def test_a_pages_charset_is_read_from_its_type_or_its_meta() -> None:
    """Latin-1 named in the header or in a meta tag decodes; an unknown one falls back to UTF-8."""
    assert decode_page("été".encode("latin-1"), "text/html; charset=ISO-8859-1") == "été"
    assert decode_page(b'<meta charset="latin-1">\xe9', "text/html") == '<meta charset="latin-1">é'
    assert decode_page("été".encode(), "text/html; charset=nonsense") == "été"


def test_the_stored_form_keeps_the_pictures_digest_and_the_sent_form_only_its_size() -> None:
    """Frames carry texts and a picture's size; its digest stays on the server."""
    cards = stored_form(
        [
            stored_card(Card("https://x.org/", "X", "T", "D"), Picture("ab" * 32, "image/png", 480, 240)),
            stored_card(image_card("https://y.org/p.png"), None),
        ]
    )
    assert sent_form(cards) == [
        {
            "url": "https://x.org/",
            "site": "X",
            "title": "T",
            "description": "D",
            "image": {"width": 480, "height": 240},
        },
        {"url": "https://y.org/p.png", "site": "y.org", "title": "", "description": ""},
    ]
    assert sent_form("") == [] and sent_form("not json") == [] and sent_form('{"a": 1}') == []
