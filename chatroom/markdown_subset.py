"""The parser of a message's formatting: markdown-it-py with only the subset's rules.

Pure: no I/O. Raw HTML, entities, headings, rules, tables, images, autolinks
and reference definitions are off, so they show as typed; links are allowed
to http, https and mailto addresses only (:func:`allowed_link`), and bare
addresses are found with linkify-it, bounded so that a 4000-character text
made of addresses costs milliseconds, not the quadratic time an unbounded
search for each ``://`` would (docs/benchmarks/formatting.md).
chatroom/formatting.py turns the tokens into the tree frames carry.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from linkify_it import LinkifyIt  # type: ignore[import-untyped]
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

# Quotes and lists inside each other that markdown-it reads; formatting.py shows
# fewer (a list takes two of these levels, an item's paragraph one more).
PARSER_NESTING = 12
# The longest bare address made a link: linkify-it reads no further for one. It
# first reads _FIRST_LOOK characters, then more only for an address that fills
# them: looking far ahead at every "://" would cost time quadratic in the text.
MAX_ADDRESS = 8192
_FIRST_LOOK = 512

# "http" or "https" ending the text before a "://", not inside a longer word.
_SCHEME_BEFORE = re.compile(r"(?:^|[^a-z0-9.+-])(https?)$", re.IGNORECASE)


def allowed_link(url: str) -> bool:
    """True for an absolute http or https address with a host that shows as it is, or a mailto address."""
    scheme, colon, rest = url.partition(":")
    if not colon:
        return False
    scheme = scheme.lower()
    if scheme == "mailto":
        return bool(rest.strip())
    if scheme not in ("http", "https"):
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:  # a malformed [IPv6] host
        return False
    return host is not None and host != "" and not any(_hides_text(label) for label in host.split("."))


def _hides_text(label: str) -> bool:
    """A host label (in punycode) whose Unicode form holds invisible or direction-changing
    characters (U+202E, say): its link would show one address and lead to another."""
    if not label.startswith("xn--"):
        return False
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        return True
    return any(unicodedata.category(char)[0] in "CZ" for char in decoded)


def _addresses() -> LinkifyIt:
    """linkify-it for http, https and mailto, and www. names without a scheme (formatting.py
    keeps other schemeless names, such as ``app.py``, as text)."""
    linkify = LinkifyIt(options={"fuzzy_link": True, "fuzzy_email": False, "fuzzy_ip": False})
    # Never allowed as links: not looked for at all.
    linkify.add("ftp:", None)
    linkify.add("//", None)
    return linkify


class SubsetMarkdown(MarkdownIt):
    """markdown-it with raw HTML off, the subset's rules only, and links checked by scheme."""

    def __init__(self) -> None:
        super().__init__("zero", {"html": False, "linkify": True, "maxNesting": PARSER_NESTING})
        self.linkify = _addresses()
        blocks = ["blockquote", "fence", "list"]
        self.enable(
            [*blocks, "newline", "escape", "backticks", "emphasis", "strikethrough", "link", "linkify"]
        )
        self.inline.ruler.at("linkify", _bounded_linkify)

    def validateLink(self, url: str) -> bool:
        return allowed_link(url)

    def normalizeLinkText(self, link: str) -> str:
        """A bare address shows as typed: markdown-it would decode its %-escapes, so that
        ``%E2%80%AE`` became a right-to-left override in the words shown."""
        return link


def _bounded_linkify(state: StateInline, silent: bool) -> bool:
    """markdown-it's inline linkify rule (an address that starts at a ``://``), reading the
    scheme from a few characters before it and the address from a bounded window after."""
    pos = state.pos
    linkify = state.md.linkify
    if state.linkLevel > 0 or linkify is None or not state.src.startswith("://", pos):
        return False
    scheme = _SCHEME_BEFORE.search(state.pending[-6:])
    if scheme is None:
        return False
    start = pos - len(scheme.group(1))
    link = linkify.match_at_start(state.src[start : start + _FIRST_LOOK])
    if link is not None and len(link.url) > _FIRST_LOOK - 64:
        # A long address: read it to its end (it is passed over once, so this stays linear).
        link = linkify.match_at_start(state.src[start : start + MAX_ADDRESS])
    if link is None:
        return False
    url = link.url.rstrip("*")  # a "*" after an address is emphasis, as markdown-it has it
    href = state.md.normalizeLink(url)
    if not state.md.validateLink(href):
        return False
    if not silent:
        state.pending = state.pending[: -len(scheme.group(1))]
        opening = state.push("link_open", "a", 1)
        opening.attrs = {"href": href}
        opening.markup, opening.info = "linkify", "auto"
        state.push("text", "", 0).content = state.md.normalizeLinkText(url)
        closing = state.push("link_close", "a", -1)
        closing.markup, closing.info = "linkify", "auto"
    state.pos = start + len(url)
    return True
