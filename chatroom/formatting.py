"""A message's formatting: its text read as the Markdown subset of docs/protocol.md, as a tree.

Pure: no I/O. markdown-it-py reads the text with raw HTML off and only the
subset's rules on (chatroom/markdown_subset.py); :func:`format_text` turns its
tokens into the compact tree that user and edit frames carry as ``fmt``:

    [["p", "see ", ["strong", "this"], " at ", ["a", {"href": "https://x.org/"}, "x.org"]]]

A list of blocks; an element is ``[tag, attrs?, child...]`` with a tag of
:data:`TAGS`, an attributes object only on ``a`` (``href``) and on an ``ol``
that does not start at 1 (``start``), and children that are strings or
elements. A text with nothing that could format, or whose tree says no more
than its paragraphs, has no tree (None): the page shows it as plain text.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from markdown_it.token import Token

from .markdown_subset import SubsetMarkdown

# What the page builds, and nothing else.
TAGS = frozenset({"p", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"})
# Those that stand apart from the text around them: a plain text separates them by a space.
_BLOCK_TAGS = frozenset({"p", "pre", "blockquote", "ul", "ol", "li"})

# Quotes and lists inside each other; a deeper one shows its lines as typed.
MAX_BLOCK_DEPTH = 4
# Bold, italic, strikethrough and links open inside each other; deeper marks show as typed.
MAX_SPAN_DEPTH = 6

# The trees kept (TreeCache): history shows the same recent messages to everyone who
# joins. A tree's memory grows with its nodes, about 85 bytes each: a 4000-character
# text of list marks makes 3000 of them, so the nodes are bounded too (some 20 MB).
CACHED_TEXTS = 1024
# A text the parser reads spends one more of its sender's rate tokens per this many characters
# (rate_cost): a 4,000-character text costs 11, so the default burst of 20 still lets it through.
FORMAT_CHARS_PER_TOKEN = 400
CACHED_NODES = 200_000

# The starts of quotes and lists: on the first line, and after a line break.
_FIRST_LINE_BLOCK = re.compile(r"[ \t]*(?:>|[-+](?:[ \t\n]|$)|\d{1,9}[.)](?:[ \t\n]|$))")
_LATER_LINE_BLOCK = re.compile(r"\n[ \t]*(?:>|[-+](?:[ \t\n]|$)|\d{1,9}[.)](?:[ \t\n]|$))")
# Paragraphs of a plain text: what the page shows of a text without a tree.
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
# A bare address is a link only when written with its scheme or "www.": not "app.py".
_BARE_ADDRESS = re.compile(r"(?:https?://|mailto:|www\.)", re.IGNORECASE)

Node = str | list[Any]
# Trees are kept (TreeCache) and shared by the frames that carry them: never changed.
Tree = list[Node]


_MARKDOWN = SubsetMarkdown()


def format_text(text: str) -> Tree | None:
    """The tree of ``text`` (the module's docstring), or None for a text that shows as plain."""
    return _TREES.tree(text) if may_format(text) else None


def plain_text(text: str) -> str:
    """``text`` as a reader sees it, on one line: its tree's words without the marks that
    format them (a link shows its text), blocks and lines joined by single spaces. What a
    reply's quote and a notification show."""
    tree = format_text(text)
    words: list[str] = []
    if tree is None:
        words.append(text)
    else:
        _gather_text(tree, words)
    return " ".join("".join(words).split())


def cut(text: str, limit: int) -> str:
    """The text, or its first ``limit - 1`` characters and an ellipsis: a quote's or a notification's."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _gather_text(nodes: Sequence[Node], words: list[str]) -> None:
    # A block ends in a space; a span's text runs on into what follows it, as
    # on the page ("**a**b" reads "ab", two paragraphs "a" and "b" read "a b").
    for node in nodes:
        if isinstance(node, str):
            words.append(node)
            continue
        children = node[2:] if len(node) > 1 and isinstance(node[1], dict) else node[1:]
        _gather_text(children, words)
        if node[0] in _BLOCK_TAGS:
            words.append(" ")


def may_format(text: str) -> bool:
    """Whether ``text`` holds any of the subset's marks: emphasis, code, a link, an escape, an
    address, a quote's or a list's start. A text without any is not parsed at all. Substring
    tests first: each costs a fraction of one regex's look at every character."""
    if "*" in text or "_" in text or "`" in text or "~~" in text or "](" in text or "\\" in text:
        return True
    if "://" in text or "www." in (lowered := text.lower()) or "mailto:" in lowered:
        return True
    return _FIRST_LINE_BLOCK.match(text) is not None or _LATER_LINE_BLOCK.search(text) is not None


def rate_cost(text: str) -> float:
    """What posting ``text`` spends of its sender's rate limit: one token for a plain text, and
    one more for every FORMAT_CHARS_PER_TOKEN characters of a text the parser must read.

    Reading costs the server about 8 µs a character at worst (a 4,000-character list, 33 ms:
    docs/benchmarks/formatting.md), where a plain text costs nothing: without this, a sender within the
    default rate could keep a third of a core parsing."""
    return 1.0 + len(text) / FORMAT_CHARS_PER_TOKEN if may_format(text) else 1.0


def plain_blocks(text: str) -> Tree:
    """What the page shows of a text without a tree: its paragraphs, split at blank lines."""
    return [["p", block] for block in _BLANK_LINES.split(text) if block.strip(" \t\n")]


def read_tree(text: str) -> tuple[Tree | None, int]:
    """The tree of ``text`` read by the parser (None when it says no more than the plain
    paragraphs), and how many nodes it has."""
    builder = _Builder(text)
    tree = builder.build(_MARKDOWN.parse(text))
    return (None, 1) if tree == plain_blocks(text) else (tree, builder.nodes)


class TreeCache:
    """The trees of recently read texts, the least recently used dropped first, bounded by
    their number and by their nodes in all."""

    def __init__(self, texts: int, nodes: int) -> None:
        self.texts = texts
        self.nodes = nodes
        self._kept: OrderedDict[str, tuple[Tree | None, int]] = OrderedDict()
        self._held = 0  # nodes

    def tree(self, text: str) -> Tree | None:
        """``text``'s tree, read once while it stays among the recent ones."""
        kept = self._kept.get(text)
        if kept is not None:
            self._kept.move_to_end(text)
            return kept[0]
        tree, nodes = read_tree(text)
        if nodes <= self.nodes:
            self._kept[text] = (tree, nodes)
            self._held += nodes
            while len(self._kept) > self.texts or self._held > self.nodes:
                self._held -= self._kept.popitem(last=False)[1][1]
        return tree

    def clear(self) -> None:
        self._kept.clear()
        self._held = 0


_TREES = TreeCache(CACHED_TEXTS, CACHED_NODES)


class _Builder:
    """Walks markdown-it's tokens once, with a stack of open elements (no recursion)."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.root: list[Node] = []
        self.open: list[list[Any]] = []  # the elements being built, innermost last
        self.blocks = 0  # quotes and lists open
        self.spans: list[str | None] = []  # per open inline mark: its tag, or None when shown as typed
        self.shown_spans = 0  # those of them with a tag
        self.nodes = 0  # elements and strings made

    def build(self, tokens: Sequence[Token]) -> Tree:
        at = 0
        while at < len(tokens):
            at = self._block(tokens, at)
        return self.root

    # --- blocks ----------------------------------------------------------------------

    def _block(self, tokens: Sequence[Token], at: int) -> int:
        token = tokens[at]
        kind = token.type
        if kind in ("blockquote_open", "bullet_list_open", "ordered_list_open"):
            if self.blocks == MAX_BLOCK_DEPTH:
                return self._as_typed(tokens, at)
            self.blocks += 1
            self._open("blockquote" if kind == "blockquote_open" else token.tag, _list_start(token))
        elif kind in ("blockquote_close", "bullet_list_close", "ordered_list_close"):
            self.blocks -= 1
            self._close()
        elif kind in ("list_item_open", "paragraph_open"):
            self._open("li" if kind == "list_item_open" else "p")
        elif kind in ("list_item_close", "paragraph_close"):
            self._close()
        elif kind == "fence":
            self._append(["pre", token.content.removesuffix("\n")])
        elif kind == "inline":
            self._inline(token.children or ())
        return at + 1

    def _as_typed(self, tokens: Sequence[Token], at: int) -> int:
        """A block past the depth bound: its lines as a paragraph of text, then what follows it."""
        first, end = tokens[at].map or (0, 0)
        lines = "\n".join(line.strip() for line in self.lines[first:end])
        if lines:
            self._append(["p", lines])
        level = tokens[at].level
        at += 1
        while at < len(tokens) and not (tokens[at].level == level and tokens[at].nesting == -1):
            at += 1
        return at + 1

    # --- inline ----------------------------------------------------------------------

    def _inline(self, children: Sequence[Token]) -> None:
        skip_to = -1
        for index, token in enumerate(children):
            if index <= skip_to:
                continue
            kind = token.type
            if kind in ("text", "text_special"):
                self._text(token.content)
            elif kind in ("softbreak", "hardbreak"):
                self._text("\n")
            elif kind == "code_inline":
                self._append(["code", token.content])
            elif kind == "link_open" and _bare_without_scheme(token, children, index):
                self._text(children[index + 1].content)
                skip_to = index + 2
            elif token.nesting == 1:
                self._open_span(token)
            elif token.nesting == -1:
                self._close_span(token)

    def _open_span(self, token: Token) -> None:
        tag = {"strong": "strong", "em": "em", "s": "del", "a": "a"}.get(token.tag)
        if tag is None or self.shown_spans == MAX_SPAN_DEPTH:
            self.spans.append(None)
            self._text("[" if token.tag == "a" and token.markup != "linkify" else _typed_mark(token))
            return
        self.spans.append(tag)
        self.shown_spans += 1
        href = token.attrs.get("href") if tag == "a" else None
        self._open(tag, {"href": _lower_scheme(str(href))} if href is not None else None)

    def _close_span(self, token: Token) -> None:
        if self.spans.pop() is not None:
            self.shown_spans -= 1
            self._close()
        elif token.tag == "a" and token.markup != "linkify":
            self._text(f"]({token.attrs.get('href', '')})")
        else:
            self._text(_typed_mark(token))

    # --- the tree ----------------------------------------------------------------------

    def _open(self, tag: str, attrs: dict[str, Any] | None = None) -> None:
        self.open.append([tag, attrs] if attrs else [tag])

    def _close(self) -> None:
        self._append(self.open.pop())

    def _append(self, node: Node) -> None:
        self.nodes += 1
        (self.open[-1] if self.open else self.root).append(node)

    def _text(self, text: str) -> None:
        if not text:
            return
        into = self.open[-1] if self.open else self.root
        if into and isinstance(into[-1], str) and len(into) > 1:
            into[-1] += text
        else:
            self._append(text)


def _list_start(token: Token) -> dict[str, Any] | None:
    start = token.attrs.get("start")
    return {"start": int(start)} if token.type == "ordered_list_open" and start not in (None, 1) else None


def _bare_without_scheme(token: Token, children: Sequence[Token], index: int) -> bool:
    """A bare address found without a scheme or "www." (a file name, say): it stays text."""
    if token.markup != "linkify" or index + 2 >= len(children):
        return False
    return not _BARE_ADDRESS.match(children[index + 1].content)


def _typed_mark(token: Token) -> str:
    return token.markup if token.markup != "linkify" else ""


def _lower_scheme(href: str) -> str:
    scheme, _, rest = href.partition(":")
    return f"{scheme.lower()}:{rest}"
