"""A message's formatting tree (chatroom/formatting.py): the Markdown subset of docs/protocol.md."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatroom import formatting
from chatroom.formatting import (
    MAX_BLOCK_DEPTH,
    MAX_SPAN_DEPTH,
    TAGS,
    format_text,
    may_format,
    plain_blocks,
    plain_text,
)

HOSTILE = json.loads((Path(__file__).parent / "data" / "hostile_text.json").read_text(encoding="utf-8"))


def tree(text: str) -> Any:
    """The tree as a frame carries it (JSON arrays and objects)."""
    return orjson.loads(orjson.dumps(format_text(text)))


def p(*children: Any) -> list[Any]:
    return ["p", *children]


def link(href: str, *children: Any) -> list[Any]:
    return ["a", {"href": href}, *children]


def elements(nodes: Any) -> list[list[Any]]:
    """Every element of a tree, outermost first."""
    found: list[list[Any]] = []
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            found.append(node)
            pending.extend(child for child in node[1:] if not isinstance(child, dict))
    return found


def depth(nodes: Any) -> int:
    return max((1 + depth(n[1:]) for n in nodes if isinstance(n, list)), default=0)


def shown(nodes: Any) -> str:
    """What a tree shows, without its elements."""
    return "".join(n if isinstance(n, str) else shown(n[1:]) for n in nodes if not isinstance(n, dict))


FEATURES = [
    ("**bold** and __bold__", [p(["strong", "bold"], " and ", ["strong", "bold"])]),
    ("*italic* and _italic_", [p(["em", "italic"], " and ", ["em", "italic"])]),
    ("***both***", [p(["em", ["strong", "both"]])]),
    ("~~gone~~", [p(["del", "gone"])]),
    ("run `ls *.py` now", [p("run ", ["code", "ls *.py"], " now")]),
    ("``a `tick` inside``", [p(["code", "a `tick` inside"])]),
    ("```python\nx = 1\n**not bold** <b>\n```", [["pre", "x = 1\n**not bold** <b>"]]),
    ("~~~\n~~~", [["pre", ""]]),
    (
        "> quoted\n> **strong** too\n\nafter",
        [["blockquote", p("quoted\n", ["strong", "strong"], " too")], p("after")],
    ),
    ("- one\n- two\n  - inner", [["ul", ["li", p("one")], ["li", p("two"), ["ul", ["li", p("inner")]]]]]),
    ("* a\n+ b", [["ul", ["li", p("a")]], ["ul", ["li", p("b")]]]),
    ("1. one\n2. two", [["ol", ["li", p("one")], ["li", p("two")]]]),
    ("3) three\n4) four", [["ol", {"start": 3}, ["li", p("three")], ["li", p("four")]]]),
    (
        "[the docs](https://example.com/docs?a=1&b=2)",
        [p(link("https://example.com/docs?a=1&b=2", "the docs"))],
    ),
    ("[**bold** words](http://x.org/)", [p(link("http://x.org/", ["strong", "bold"], " words"))]),
    ("[write](mailto:ann@example.org)", [p(link("mailto:ann@example.org", "write"))]),
    (
        "see https://x.org/a_(b)). and www.y.org",
        [
            p(
                "see ",
                link("https://x.org/a_(b)", "https://x.org/a_(b)"),
                "). and ",
                link("http://www.y.org", "www.y.org"),
            )
        ],
    ),
    ("**https://x.org/x**", [p(["strong", link("https://x.org/x", "https://x.org/x")])]),
    ("mailto:ann@example.org", [p(link("mailto:ann@example.org", "mailto:ann@example.org"))]),
    ("\\*not italic\\*", [p("*not italic*")]),
    ("first\n\nsecond *para*", [p("first"), p("second ", ["em", "para"])]),
]


@pytest.mark.parametrize(("text", "expected"), FEATURES)
def test_each_feature_of_the_subset(text: str, expected: list[Any]) -> None:
    """Bold, italic, strike, code, code blocks, quotes, lists, links and bare addresses make elements."""
    assert tree(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "hello there",
        "line one\nline two\n\nand a paragraph",
        "@ann are you there? ann@example.org",
        "prices: 3 * 4 = 12, a_b_c, 1.5 kg, #hash, <b>, &amp;",
        "in 2024. we met, 1.5 km away",
        "app.py, README.md and node.js are names, not addresses",
        "*** lone stars *** stay",
    ],
)
def test_plain_text_has_no_tree(text: str) -> None:
    """A text that formats nothing has no tree, so its frame carries none: the page shows it as written."""
    assert format_text(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "# heading",
        "heading\n===",
        "---",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "    indented four",
        "[ref]: https://x.org/",
        "<https://x.org/>",
        "&amp; &#60; &copy;",
    ],
)
def test_what_is_outside_the_subset_shows_as_typed(text: str) -> None:
    """Headings, rules, tables, indented code, references, autolink brackets and entities are text."""
    result = tree(text)
    kept = text.replace("    ", "") if text.startswith(" ") else text
    if result is not None:
        assert {e[0] for e in elements(result)} <= {"p", "a"}
        assert shown(result).replace("\n", "") == kept.replace("\n", "")


def test_an_image_is_its_link() -> None:
    """An image's mark stays text; its words link to the address, nothing is loaded."""
    assert tree("![cat](https://x.org/cat.png)") == [p("!", link("https://x.org/cat.png", "cat"))]


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox(1))",
        "[x](VBScript:msgbox(1))",
        "[x](/relative/path)",
        "[x](relative)",
        "[x](//evil.example/x)",
        "[x](file:///etc/passwd)",
        "[x](ftp://x.org/)",
        "[x](http:no-host)",
        "[x](https://[::1/)",
        "ftp://x.org/file",
        "javascript:alert(1)",
        "http://\u202eevil.example",
    ],
)
def test_links_to_other_schemes_are_text(text: str) -> None:
    """javascript:, data:, vbscript:, relative and any other address, in any case, stays as typed."""
    result = tree(text)
    assert result is None or not [e for e in elements(result) if e[0] == "a"], result


def test_a_scheme_in_capitals_links_in_lower_case() -> None:
    """HTTPS:// is an http link all the same, its scheme written as browsers compare it."""
    assert tree("[x](HTTPS://Example.org/A)") == [p(link("https://Example.org/A", "x"))]


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "**<b>bold</b>**",
        "[<i>x</i>](https://x.org/)",
        "- <iframe src=javascript:alert(1)>",
    ],
)
def test_raw_html_is_text(text: str) -> None:
    """Markup in a message is shown as the characters typed, never as an element."""
    result = tree(text)
    if result is not None:
        assert {e[0] for e in elements(result)} <= TAGS
        assert "<" in shown(result)


def test_every_hostile_text_makes_only_allowed_elements() -> None:
    """The OWASP vectors and the hardening corpus make only the subset's tags and http(s) or mailto links."""
    for text in HOSTILE["owasp"] + HOSTILE["markdown"]:
        for element in elements(tree(text) or []):
            assert element[0] in TAGS, text
            attributes = element[1] if len(element) > 1 and isinstance(element[1], dict) else {}
            assert set(attributes) <= {"href", "start"}, text
            if element[0] == "a":
                assert attributes["href"].startswith(("http://", "https://", "mailto:")), text


def test_quotes_and_lists_nest_only_so_deep() -> None:
    """Past the bound, a deeper quote shows its line as typed, inside the quotes that are shown."""
    result = tree(">" * 50 + " deep")
    assert depth(result) == MAX_BLOCK_DEPTH + 1
    assert shown(result) == ">" * 50 + " deep"
    lists = tree("\n".join("  " * level + "- item" for level in range(20)))
    assert depth(lists) <= 2 * MAX_BLOCK_DEPTH + 1
    assert shown(lists).count("item") == 20


def test_marks_nest_only_so_deep() -> None:
    """At most MAX_SPAN_DEPTH marks are open inside each other; deeper ones show as typed."""
    marks = ["**", "_", "~~", "*", "__"] * 4
    text = "".join(mark + "a" for mark in marks) + "".join(reversed(marks))
    result = tree(text)
    assert depth(result) <= 1 + MAX_SPAN_DEPTH
    assert shown(result).count("a") == len(marks)


def test_a_tree_says_more_than_the_plain_paragraphs() -> None:
    """plain_blocks is what the page shows without a tree: paragraphs between blank lines."""
    assert orjson.loads(orjson.dumps(plain_blocks("a\nb\n \t\nc"))) == [p("a\nb"), p("c")]


@pytest.mark.parametrize(
    "pattern",
    ["*", "**a", "[a](", "http://a.b/(", "_a ", "> ", "- ", "`", "~~a", "*_~`[", "[x](https://a.example/"],
)
def test_a_100_kb_pathological_text_finishes(pattern: str) -> None:
    """Even 100 KB of delimiters or addresses (25 times the longest message) is read in bounded time."""
    text = (pattern * (100_000 // len(pattern) + 1))[:100_000]
    started = time.monotonic()
    format_text(text)
    assert time.monotonic() - started < 20


def squeezed(blocks: Any) -> Any:
    """Paragraphs without the spaces around their lines (markdown-it drops them; the page shows them)."""
    return [[b[0], *("\n".join(line.strip(" \t") for line in c.split("\n")) for c in b[1:])] for b in blocks]


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab1 \n\t*_`~[]()\\:/.>-+)wWhHtTpPsSmailo@!#&<", max_size=40))
def test_a_text_passed_over_as_plain_has_nothing_to_format(text: str) -> None:
    """The check that spares plain texts the parser never passes over a text the parser would format."""
    text = text.strip()  # as every message's text is
    if text and not may_format(text):
        tree = formatting.read_tree(text)[0]
        assert tree is None or squeezed(tree) == squeezed(plain_blocks(text)), text


def test_recent_trees_are_kept_within_their_bounds() -> None:
    """A text read again is not parsed again while it is recent; the oldest go first, and
    no more nodes are kept than the bound."""
    cache = formatting.TreeCache(texts=2, nodes=50)
    first = cache.tree("**one**")
    assert cache.tree("**one**") is first
    cache.tree("*two*")
    cache.tree("**one**")  # now the most recent: "*two*" goes first
    cache.tree("~~three~~")
    assert cache.tree("**one**") is first
    cache.tree("*two*")
    cache.tree("`four`")
    assert cache.tree("**one**") is not first
    big = "- " + "\n- ".join("item" for _ in range(30))  # 91 nodes: never kept
    assert cache.tree(big) is not cache.tree(big)
    assert cache.tree(big) == cache.tree(big)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("hello **world**", "hello world"),
        ("see [the notes](https://example.com/rc-3) first", "see the notes first"),
        ("`make test` and *then* ~~ship~~", "make test and then ship"),
        ("**bold**after", "boldafter"),
        ("> they said\n\nand I agree", "they said and I agree"),
        ("- one\n- two\n\n1. three", "one two three"),
        ("```\nx = 1\ny = 2\n```", "x = 1 y = 2"),
        ("first line\nsecond line\n\n  third  ", "first line second line third"),
        ("\\*typed\\* as is", "*typed* as is"),
        ("app.py_old and 2 * 3", "app.py_old and 2 * 3"),
    ],
)
def test_plain_text_is_what_a_reader_sees_on_one_line(text: str, shown: str) -> None:
    """A quote's and a notification's text: the words the page shows, without the marks, one line."""
    assert plain_text(text) == shown


@given(st.text(alphabet="ab *_`~[]()>-1.\n\\", max_size=60))
@settings(max_examples=300, deadline=None)
def test_plain_text_never_adds_a_word(text: str) -> None:
    """Whatever the marks, the plain text holds only characters of the text, in one line."""
    shown = plain_text(text)
    assert "\n" not in shown and shown == shown.strip()
    assert set(shown) <= set(text) | {" "}
