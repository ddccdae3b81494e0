"""Link previews, pure: the links of a message to preview, a page's card, and a card as stored and sent.

No I/O, no clock. A message's links are the http(s) links its formatting
makes (formatting.py), so an address inside code is not one; the first
MAX_LINKS different ones are previewed. A page's card comes from its head:
Open Graph (``og:``), then Twitter card (``twitter:``), then ``<title>`` and
``<meta name="description">``. Texts are cut and cleaned of control
characters; they reach pages as text only. docs/protocol.md, "Link
previews", is the contract of the stored and sent forms.
"""

from __future__ import annotations

import html.parser
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import orjson

from .formatting import format_text

# Links previewed per message: the first few, so that a list of links is not a list of fetches.
MAX_LINKS = 3
MAX_URL_LENGTH = 2000
SITE_LENGTH = 100
TITLE_LENGTH = 200
DESCRIPTION_LENGTH = 300
_SPACES = re.compile(r"\s+")
# What any link of a message holds: a message without it is not read as Markdown for links.
_MAY_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([a-zA-Z0-9_.:-]{1,40})""", re.IGNORECASE)
# Which meta property fills which field, best first.
_FIELDS = {
    "site": ("og:site_name", "application-name"),
    "title": ("og:title", "twitter:title"),
    "description": ("og:description", "twitter:description", "description"),
    "image": ("og:image:secure_url", "og:image:url", "og:image", "twitter:image", "twitter:image:src"),
}


@dataclass(frozen=True, slots=True)
class Card:
    """What a link's page says of itself: ``image`` the absolute address of its picture, if any."""

    url: str
    site: str = ""
    title: str = ""
    description: str = ""
    image: str | None = None


@dataclass(frozen=True, slots=True)
class Picture:
    """A card's picture as the server keeps it: SHA-256 ``digest`` (hex) of its bytes, type and size."""

    digest: str
    content_type: str
    width: int
    height: int


def links_in(text: str) -> list[str]:
    """The first MAX_LINKS different http(s) links of a message's text, outside code."""
    if _MAY_LINK.search(text) is None:
        return []
    tree = format_text(text)
    found: list[str] = []
    _gather_links(tree or [], found)
    return found[:MAX_LINKS]


def _gather_links(nodes: list[Any], found: list[str]) -> None:
    for node in nodes:
        if not isinstance(node, list) or not node or node[0] in ("code", "pre"):
            continue
        if node[0] == "a" and isinstance(node[1], dict):
            href = str(node[1].get("href", ""))
            if is_web_address(href) and href not in found:
                found.append(href)
        _gather_links(node[1:], found)


def is_web_address(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address with a host, of at most MAX_URL_LENGTH characters."""
    if len(url) > MAX_URL_LENGTH or any(ord(c) < 33 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def decode_page(body: bytes, content_type: str) -> str:
    """A page's text: in the charset its Content-Type or a ``<meta charset>`` names, else UTF-8."""
    charset = None
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
    if charset is None and (meta := _CHARSET.search(body[:4096])) is not None:
        charset = meta.group(1).decode("ascii")
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


class _HeadReader(html.parser.HTMLParser):
    """Collects the meta properties and the title of a page's head; stops reading at the body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "body":
            self.done = True
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done and len(self.title) < TITLE_LENGTH * 4:
            self.title += data


def parse_page(page: str, url: str) -> Card | None:
    """The card of the page at ``url`` (its text), or None when it says neither a title nor a description."""
    reader = _HeadReader()
    try:
        reader.feed(page)
        reader.close()
    except AssertionError:  # html.parser's answer to some broken markup: what was read stands
        pass
    meta = reader.meta
    title = clean(_first(meta, "title") or reader.title, TITLE_LENGTH)
    description = clean(_first(meta, "description"), DESCRIPTION_LENGTH)
    if not title and not description:
        return None
    site = clean(_first(meta, "site"), SITE_LENGTH) or host_of(url)
    image = _first(meta, "image").strip()
    image_url = urllib.parse.urljoin(url, image) if image else None
    if image_url is not None and not is_web_address(image_url):
        image_url = None
    return Card(url, site, title, description, image_url)


def image_card(url: str) -> Card:
    """The card of a link straight to a picture: the picture itself, the site its host."""
    return Card(url, host_of(url), image=url)


def _first(meta: dict[str, str], field: str) -> str:
    return next((meta[key] for key in _FIELDS[field] if meta.get(key, "").strip()), "")


def host_of(url: str) -> str:
    """The host of an address, as a card names a site that gives no name."""
    return (urllib.parse.urlsplit(url).hostname or "")[:SITE_LENGTH]


def clean(text: str, limit: int) -> str:
    """Text as a card shows it: control characters gone, white space folded, at most ``limit`` characters."""
    folded = _SPACES.sub(" ", "".join(c if c.isprintable() or c.isspace() else " " for c in text)).strip()
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"


def stored_card(card: Card, picture: Picture | None) -> str:
    """One card as the server keeps it (JSON): its texts, its picture if any."""
    item: dict[str, Any] = {"url": card.url, "site": card.site, "title": card.title}
    item["description"] = card.description
    if picture is not None:
        item["image"] = {
            "digest": picture.digest,
            "type": picture.content_type,
            "width": picture.width,
            "height": picture.height,
        }
    return orjson.dumps(item).decode()


def stored_form(cards: list[str]) -> str:
    """A message's previews as its preview change keeps them: its cards (each of stored_card), a JSON list."""
    return "[" + ",".join(cards) + "]"


def read_stored(text: str) -> list[dict[str, Any]]:
    """The previews a change or a message keeps ([] for none, removed, or anything unreadable)."""
    if not text:
        return []
    try:
        cards = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    return [card for card in cards if isinstance(card, dict)] if isinstance(cards, list) else []


def sent_form(text: str) -> list[dict[str, Any]]:
    """The previews as frames carry them: each card, its picture's size (its bytes are at
    /previews/{room}/{id}/{n}, n its place in the list)."""
    sent = []
    for card in read_stored(text):
        item: dict[str, Any] = {
            key: str(card.get(key, "")) for key in ("url", "site", "title", "description")
        }
        image = card.get("image")
        if isinstance(image, dict):
            item["image"] = {"width": image.get("width"), "height": image.get("height")}
        sent.append(item)
    return sent


def picture_digests(text: str) -> set[str]:
    """The digests of the pictures stored previews name."""
    images = (card.get("image") for card in read_stored(text))
    return {str(image["digest"]) for image in images if isinstance(image, dict) and "digest" in image}


def picture_of(text: str, index: int) -> Picture | None:
    """The picture of card ``index`` of stored previews, None when there is none."""
    cards = read_stored(text)
    if not 0 <= index < len(cards) or not isinstance(image := cards[index].get("image"), dict):
        return None
    try:
        return Picture(str(image["digest"]), str(image["type"]), int(image["width"]), int(image["height"]))
    except (KeyError, TypeError, ValueError):
        return None
