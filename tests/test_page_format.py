"""Message text on the page (static/js/message_format.js, mentions.js, mention_complete.js, emoji_picker.js).

Formatting (the server's tree, chatroom/formatting.py, built by the page), the
hostile corpus (tests/data/hostile_text.json) rendered by the page's own
message renderer, mentions and their completion in the message box, the
emoji picker, emoji glyphs, and screenshots of them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from chatroom.formatting import format_text
from tests import test_page
from tests.clients import join as join_socket
from tests.screens import screenshot
from tests.support import ServerProcess
from tests.test_account_pages import sign_in
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, expect_online, said_by, say
from tests.test_page_rooms import open_as
from tests.web_client import join, set_up

# The page tests' server with guests.
server = test_page.server

DATA = Path(__file__).parent / "data"
HOSTILE = json.loads((DATA / "hostile_text.json").read_text(encoding="utf-8"))
MENTION_CASES = json.loads((DATA / "mention_cases.json").read_text(encoding="utf-8"))
ALLOWED_TAGS = {"P", "STRONG", "EM", "DEL", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL", "LI", "A", "SPAN"}
# A link's tabindex is the page's own (message_focus.js: a message's links are reached through it).
ALLOWED_ATTRIBUTES = {"A": {"href", "rel", "target", "tabindex"}, "SPAN": {"class"}, "OL": {"start"}}
REL = "noopener noreferrer nofollow"

# Flags set by anything a hostile text might run: the tests assert they stay unset.
TRAPS = """
window.__ran = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__ran.push(name + ":" + args.join(",")); };
}
for (const level of ["log", "info", "warn", "error", "debug"]) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    window.__ran.push("console." + level + ":" + args.join(","));
    original(...args);
  };
}
"""

# Renders ``texts`` with the page's own renderer (render.js, as a live message would be,
# with the tree the server sends) into the message list: for each, how long it took and
# what it became.
RENDER = """
async (texts) => {
  const {messageItem} = await import("/static/js/render.js");
  const list = document.querySelector("#messages");
  return texts.map(([message, fmt], index) => {
    const started = performance.now();
    const frame = {type: "user", id: 900000 + index, nick: "mallory", ts: Date.now(), message};
    if (fmt !== null) frame.fmt = fmt;
    const item = messageItem(frame, false);
    list.append(item);
    return {ms: performance.now() - started, text: item.querySelector(".text").textContent};
  });
}
"""

# Every element inside message texts that is not allowed, or carries what it may not.
INTRUDERS = """
([allowed, attributes]) => {
  const found = [];
  for (const node of document.querySelectorAll("#messages .msg .text *")) {
    if (!allowed.includes(node.tagName)) found.push(node.tagName);
    for (const attribute of node.getAttributeNames()) {
      if (!(attributes[node.tagName] || []).includes(attribute)) found.push(node.tagName + "@" + attribute);
    }
    if (node.tagName === "A" && !/^(https?|mailto):/.test(node.getAttribute("href"))) found.push(node.href);
  }
  return found;
}
"""


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    return out


def inner_html(page: Page, index: int) -> str:
    """The markup the page built for the ``index``th message's text (read, never written), without the
    tabindex the page gives links for the keyboard (message_focus.js), which is not formatting."""
    html = str(page.locator("#messages .msg .text").nth(index).evaluate("e => e.innerHTML"))
    return re.sub(r' tabindex="-?[01]"', "", html)


def link(href: str, text: str) -> str:
    return f'<a href="{href}" rel="{REL}" target="_blank">{text}</a>'


# --- formatting ---------------------------------------------------------------------

FORMATTED = [
    (
        "**bold**, *italic*, _also_ and ~~gone~~",
        "<p><strong>bold</strong>, <em>italic</em>, <em>also</em> and <del>gone</del></p>",
    ),
    (
        "***both*** and **a *b* c**",
        "<p><em><strong>both</strong></em> and <strong>a <em>b</em> c</strong></p>",
    ),
    ("snake_case_name stays; 2 * 3 * 4 too", "<p>snake_case_name stays; 2 * 3 * 4 too</p>"),
    ("run `ls *.py` now", "<p>run <code>ls *.py</code> now</p>"),
    ("``a `tick` inside``", "<p><code>a `tick` inside</code></p>"),
    (
        "```\nfor x in y:\n    **not bold** <b>\n```",
        "<pre><code>for x in y:\n    **not bold** &lt;b&gt;</code></pre>",
    ),
    (
        "> quoted\n> **strong** too\n\nafter",
        "<blockquote><p>quoted\n<strong>strong</strong> too</p></blockquote><p>after</p>",
    ),
    (
        "- one\n- two\n  - inner",
        "<ul><li><p>one</p></li><li><p>two</p><ul><li><p>inner</p></li></ul></li></ul>",
    ),
    ("3. three\n4. four", '<ol start="3"><li><p>three</p></li><li><p>four</p></li></ol>'),
    ("line one\nline two", "<p>line one\nline two</p>"),
    (
        "[the docs](https://example.com/docs?a=1&b=2)",
        "<p>" + link("https://example.com/docs?a=1&amp;b=2", "the docs") + "</p>",
    ),
    (
        "[Ada](https://en.wikipedia.org/wiki/Ada_(programming_language))",
        "<p>" + link("https://en.wikipedia.org/wiki/Ada_(programming_language)", "Ada") + "</p>",
    ),
    ("*** lone stars *** stay", "<p>*** lone stars *** stay</p>"),
    ("[write](mailto:ann@example.org)", "<p>" + link("mailto:ann@example.org", "write") + "</p>"),
    (
        "[no](javascript:alert(1)) [nor](data:text/html,x) [nor](ftp://x.org)",
        "<p>[no](javascript:alert(1)) [nor](data:text/html,x) [nor](ftp://x.org)</p>",
    ),
    (
        "see https://example.com/a_(b)). or (https://x.org/y), fine",
        "<p>see "
        + link("https://example.com/a_(b)", "https://example.com/a_(b)")
        + "). or ("
        + link("https://x.org/y", "https://x.org/y")
        + "), fine</p>",
    ),
    (
        "**https://example.com/x**",
        "<p><strong>" + link("https://example.com/x", "https://example.com/x") + "</strong></p>",
    ),
    ("\\*not italic\\* and # not a heading", "<p>*not italic* and # not a heading</p>"),
    (
        "see www.example.org, not app.py",
        "<p>see " + link("http://www.example.org/", "www.example.org") + ", not app.py</p>",
    ),
    (
        "<b>markup</b> &amp; entities stay text",
        "<p>&lt;b&gt;markup&lt;/b&gt; &amp;amp; entities stay text</p>",
    ),
]


def test_every_formatting_feature_renders(server: ServerProcess, pages: Pages) -> None:
    """Bold, italic, strike, code, code blocks, quotes, lists, links and bare addresses look as documented."""
    for index, (text, _) in enumerate(FORMATTED):
        said_by(server, "formatted", f"writer{index % 3}", text)
    page = pages.join(server.url, "formatted", "reader")
    expect(page.locator("#messages .msg")).to_have_count(len(FORMATTED))
    for index, (text, expected) in enumerate(FORMATTED):
        assert inner_html(page, index) == expected, text
    assert page.locator("#messages .msg .text a").evaluate_all(
        "links => links.every(a => a.target === '_blank')"
    )


def test_a_formatted_message_keeps_its_plain_text(server: ServerProcess, pages: Pages) -> None:
    """What was typed is what is stored and sent: another client reads the Markdown as written."""
    ann = pages.join(server.url, "plain", "ann")
    with join_socket(server, "plain", "bob") as ws:
        say(ann, "**hi** [x](https://example.com)")
        while (frame := json.loads(ws.recv())).get("type") != "user":
            pass
        assert frame["message"] == "**hi** [x](https://example.com)"
        assert frame["fmt"] == [["p", ["strong", "hi"], " ", ["a", {"href": "https://example.com"}, "x"]]]
    expect(ann.locator("#messages .msg .text strong")).to_have_text("hi")


# --- hostile text ---------------------------------------------------------------------


def hostile_texts() -> list[str]:
    repeated = [(pattern * (4000 // len(pattern) + 1))[:4000] for pattern in HOSTILE["repeated_to_4000"]]
    return [*HOSTILE["owasp"], *HOSTILE["markdown"], *repeated]


def with_trees(texts: list[str]) -> list[tuple[str, Any]]:
    """Each text with the tree the server's frames carry for it (None for plain text)."""
    return [(text, format_text(text)) for text in texts]


def test_hostile_corpus_runs_nothing_and_keeps_the_layout(server: ServerProcess, pages: Pages) -> None:
    """OWASP vectors, javascript:, data: and vbscript: links, 4000 characters of delimiters: fast, as text."""
    page = pages.open(f"{server.url}/?room=hostile-corpus")
    page.context.add_init_script(TRAPS)
    page.reload()
    test_page.choose_nick(page, "reader")
    test_page.expect_online(page)
    texts = hostile_texts()
    rendered = page.evaluate(RENDER, with_trees(texts))
    slow = [(text[:30], round(r["ms"])) for text, r in zip(texts, rendered, strict=True) if r["ms"] > 1000]
    assert not slow, f"slow to render: {slow}"
    assert (
        page.evaluate(
            INTRUDERS, [sorted(ALLOWED_TAGS), {k: sorted(v) for k, v in ALLOWED_ATTRIBUTES.items()}]
        )
        == []
    )
    page.wait_for_timeout(300)  # an onerror of an image that failed to load would have run by now
    assert page.evaluate("window.__ran") == []
    # No markup got through as markup: what shows is what was typed, less only the formatting.
    for text, r in zip(texts[: len(HOSTILE["owasp"])], rendered, strict=False):
        assert "<" not in text or "<" in r["text"], text
    depth = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('#messages .msg .text *')].map(n => {"
        " let d = 0; for (let p = n; !p.classList.contains('text'); p = p.parentNode) d += 1;"
        " return d; }))"
    )
    assert depth <= 16
    widths = page.evaluate(
        "() => ({list: document.querySelector('#messages').getBoundingClientRect().right,"
        " page: document.documentElement.scrollWidth, view: innerWidth,"
        " items: [...document.querySelectorAll('#messages .msg')].map(m => m.getBoundingClientRect().right),"
        " texts: [...document.querySelectorAll('#messages .msg .text')]"
        ".map(t => t.getBoundingClientRect().right)})"
    )
    assert widths["page"] <= widths["view"]
    assert max(widths["items"]) <= widths["list"] + 0.5
    assert max(widths["texts"]) <= widths["list"] + 0.5


# Trees no server of ours makes: the page still builds only its own tags and safe links.
FORGED_TREES = [
    [["script", "alert(1)"], ["p", ["img", {"src": "x", "onerror": "alert(2)"}, "picture"]]],
    [["p", ["a", {"href": "javascript:alert(3)"}, "js"], " ", ["a", {"href": "JaVaScRiPt:alert(4)"}, "js2"]]],
    [
        [
            "p",
            ["a", {"href": "data:text/html,<script>alert(5)</script>"}, "data"],
            ["a", {"href": "/relative"}, "rel"],
        ]
    ],
    [["p", {"onclick": "alert(6)", "style": "position:fixed"}, ["em", {"class": "x"}, "attrs dropped"]]],
    [
        ["ol", {"start": "1;alert(7)"}, ["li", "item"]],
        ["pre", ["b", "code"]],
        ["iframe", {"src": "https://x.org"}],
    ],
    [["p", *["x"] * 3, 42, None, {"a": 1}, ["strong", ["strong", "deep" * 3]]]],
    [["p", ["strong"], [], [7, "seven"]]],
]


def deep_tree(levels: int) -> list[Any]:
    node: list[Any] = ["em", "bottom"]
    for _ in range(levels):
        node = ["strong", node]
    return [["p", node]]


def test_a_forged_tree_builds_only_allowed_elements(server: ServerProcess, pages: Pages) -> None:
    """Unknown tags show as their text, other schemes' links as text, odd attributes and values go."""
    page = pages.open(f"{server.url}/?room=forged-trees")
    page.context.add_init_script(TRAPS)
    page.reload()
    test_page.choose_nick(page, "reader")
    test_page.expect_online(page)
    trees = [*FORGED_TREES, deep_tree(100)]
    rendered = page.evaluate(RENDER, [("text as typed", tree) for tree in trees])
    assert (
        page.evaluate(
            INTRUDERS, [sorted(ALLOWED_TAGS), {k: sorted(v) for k, v in ALLOWED_ATTRIBUTES.items()}]
        )
        == []
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") == []
    texts = [r["text"] for r in rendered]
    assert texts[0] == "alert(1)picture" and texts[1] == "js js2" and texts[2] == "datarel"
    assert texts[-1] == "bottom"
    assert page.locator("#messages .msg .text ol").evaluate_all("lists => lists.map(l => l.start)") == [1]
    depth = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('#messages .msg .text *')].map(n => {"
        " let d = 0; for (let p = n; !p.classList.contains('text'); p = p.parentNode) d += 1;"
        " return d; }))"
    )
    assert depth <= 16


# How long the page's renderer takes over ``texts`` and their trees, the best of three (milliseconds).
TIME_RENDERING = """
async (texts) => {
  const {renderMessageText} = await import("/static/js/message_format.js");
  const context = {names: ["a", "Ada"], me: "a"};
  let best = Infinity;
  for (let round = 0; round < 3; round += 1) {
    const started = performance.now();
    for (const [text, fmt] of texts) renderMessageText(text, fmt, context);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}
"""


def test_rendering_time_grows_linearly(server: ServerProcess, pages: Pages) -> None:
    """Four times the adversarial text takes about four times as long to render, not sixteen."""
    page = pages.join(server.url, "linear", "reader")
    patterns = HOSTILE["repeated_to_4000"]
    short, long = (
        page.evaluate(TIME_RENDERING, with_trees([(p * (size // len(p) + 1))[:size] for p in patterns]))
        for size in (1000, 4000)
    )
    assert long < max(8 * short, 100), (short, long)


def test_hostile_links_arrive_as_text_from_the_server(server: ServerProcess, pages: Pages) -> None:
    """Sent for real, links to other schemes are text and only the http one is a link, on every page."""
    sent = [text for text in HOSTILE["markdown"] if "\u0000" not in text][:20]
    ann = pages.join(server.url, "hostile-links", "ann")
    for index, text in enumerate(sent):
        said_by(server, "hostile-links", f"m{index % 4}", text)
    expect(ann.locator("#messages .msg")).to_have_count(len(sent))
    hrefs = ann.locator("#messages .msg .text a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert hrefs and all(href.startswith(("https://", "mailto:")) for href in hrefs), hrefs
    assert (
        ann.evaluate(INTRUDERS, [sorted(ALLOWED_TAGS), {k: sorted(v) for k, v in ALLOWED_ATTRIBUTES.items()}])
        == []
    )


# --- mentions ----------------------------------------------------------------------------


def test_the_page_reads_mentions_by_the_shared_rule(server: ServerProcess, pages: Pages) -> None:
    """static/js/mentions.js finds the same mentions as chatroom/mentions.py in every shared case."""
    page = pages.join(server.url, "mention-rule", "reader")
    found = page.evaluate(
        "async ([names, cases]) => { const {mentions} = await import('/static/js/mentions.js');"
        " return cases.map(([text]) => mentions(text, names).map(m => m.name)); }",
        [MENTION_CASES["names"], MENTION_CASES["cases"]],
    )
    assert found == [expected for _, expected in MENTION_CASES["cases"]]


def test_a_mention_of_you_is_highlighted(server: ServerProcess, pages: Pages) -> None:
    """bob's "@ann" stands out on ann's page (and her message is marked), not on bob's own page."""
    ann = pages.join(server.url, "mentions", "ann")
    bob = pages.join(server.url, "mentions", "bob")
    say(bob, "@ann have a look, and @bob too; mail ann@example.org")
    message = ann.locator("#messages .msg").last
    expect(message).to_have_class("msg mentions-me")
    expect(message.locator(".mention.me")).to_have_text("@ann")
    expect(message.locator(".mention:not(.me)")).to_have_text("@bob")
    own = bob.locator("#messages .msg").last
    expect(own.locator(".mention")).to_have_text(["@ann", "@bob"])
    expect(own).not_to_have_class("mentions-me")
    expect(own.locator(".mention.me")).to_have_text("@bob")
    background = message.evaluate("m => getComputedStyle(m.querySelector('.mention.me')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")


HIGHLIGHT = """
(item) => {
  const style = getComputedStyle(item);
  return {tint: style.backgroundColor, left: [style.borderTopLeftRadius, style.borderBottomLeftRadius],
          page: getComputedStyle(document.body).backgroundColor};
}
"""


def test_a_mention_of_you_under_its_authors_first_message_is_a_straight_tinted_row(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """bob's second message in a row mentions ann and cat: on their pages (a desktop, a phone) it is tinted
    with a straight left bar, light and dark, not a stray "(" at the edge of a short rounded row."""
    ann = pages.join(server.url, "grouped-mention", "ann")
    cat = pages.join(server.url, "grouped-mention", "cat", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    bob = pages.join(server.url, "grouped-mention", "bob")
    say(bob, "retro on Friday")
    say(bob, "@ann @cat could you update the changelog?")
    for page, where in ((ann, "desktop"), (cat, "phone")):
        item = page.locator("#messages .msg").last
        expect(item).to_have_class(re.compile(r"\bcont\b"))  # sharing the first one's name and avatar
        expect(item).to_have_class(re.compile(r"\bmentions-me\b"))
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            seen = item.evaluate(HIGHLIGHT)
            assert seen["tint"] not in ("rgba(0, 0, 0, 0)", "transparent", seen["page"]), (where, scheme)
            assert seen["left"] == ["0px", "0px"], (where, scheme)
            screenshot(page, shots(tmp_path) / f"format-grouped-mention-{where}-{scheme}.png")


def test_a_name_learned_later_is_highlighted_then(server: ServerProcess, pages: Pages) -> None:
    """ "@dora" is plain text until dora is known in the room; when she arrives, it becomes her mention."""
    ann = pages.join(server.url, "late-names", "ann")
    said_by(server, "late-names", "bob", "has @dora seen this?")
    message = ann.locator("#messages .msg .text").last
    expect(message).to_have_text("has @dora seen this?")
    expect(message.locator(".mention")).to_have_count(0)
    with join_socket(server, "late-names", "dora"):
        expect(message.locator(".mention")).to_have_text("@dora")
        expect(message).to_have_text("has @dora seen this?")


@pytest.fixture
def room_with_people(server: ServerProcess) -> Iterator[str]:
    """A room where bea, bob and "Ada Lovelace" are online (connected over WebSockets)."""
    room = "completing"
    with (
        join_socket(server, room, "bea"),
        join_socket(server, room, "bob"),
        join_socket(server, room, "Ada Lovelace"),
    ):
        yield room


def options(page: Page) -> Any:
    return page.locator("#completion-list [role=option]")


def test_completion_with_the_keyboard(server: ServerProcess, pages: Pages, room_with_people: str) -> None:
    """@ offers the people here, then the room and who is online; arrows move, Enter and Tab put a name
    in, Escape closes; nothing is sent."""
    page = pages.join(server.url, room_with_people, "ann")
    box = page.locator("#text")
    box.press_sequentially("hi @")
    offered = [
        "Ada Lovelace",
        "bea",
        "bob",
        "@room notify everyone in this room",
        "@here notify who is online",
    ]
    expect(options(page)).to_have_text(offered)  # not oneself
    expect(box).to_have_attribute("aria-activedescendant", "completion-option-0")
    box.press("ArrowDown")
    expect(options(page).nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "completion-option-1")
    box.press("ArrowUp")
    box.press("ArrowUp")  # round to the last
    expect(options(page).nth(4)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    box.press("ArrowUp")
    expect(options(page).nth(2)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("hi @bob ")
    expect(page.locator("#completion-list")).to_be_hidden()
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    box.press_sequentially("and @lov")
    expect(options(page)).to_have_text(["Ada Lovelace"])  # a later word of the name
    box.press("Tab")
    expect(box).to_have_value("hi @bob and @Ada Lovelace ")
    box.press_sequentially("@b")
    expect(options(page)).to_have_text(["bea", "bob"])
    box.press("Escape")
    expect(page.locator("#completion-list")).to_be_hidden()
    box.press("Backspace")
    box.press("Backspace")
    assert page.locator("#messages .msg").count() == 0  # Enter chose; it did not send
    box.press("Enter")
    sent = page.locator("#messages .msg").last
    expect(sent.locator(".mention")).to_have_text(["@bob", "@Ada Lovelace"])


def test_completion_with_the_mouse(server: ServerProcess, pages: Pages, room_with_people: str) -> None:
    """A click on a name puts it in at the caret, keeping what follows, and the box keeps the focus."""
    page = pages.join(server.url, room_with_people, "ann")
    box = page.locator("#text")
    box.fill("ping  please")
    box.evaluate("b => b.setSelectionRange(5, 5)")
    box.press_sequentially("@a")
    options(page).filter(has_text="Ada Lovelace").click()
    expect(box).to_have_value("ping @Ada Lovelace please")
    assert box.evaluate("b => [document.activeElement === b, b.selectionStart]") == [True, 19]


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens: rooms have members."""
    db = tmp_path_factory.mktemp("format-accounts") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


CREATE_ROOM = """
async (room) => {
  const {apiCall} = await import("/static/js/api.js");
  return (await apiCall("POST", "/api/rooms", {room, kind: "closed", members: ["dora"]})).status;
}
"""


def test_members_away_are_offered_and_their_mentions_highlighted(
    accounts_server: ServerProcess, pages: Pages
) -> None:
    """In a closed room, a member who is away and never wrote is offered after @; her mention stands out."""
    open_as(pages, accounts_server, "dora").context.close()
    assert open_as(pages, accounts_server, "ann").evaluate(CREATE_ROOM, "plans") == 201
    ann = open_as(pages, accounts_server, "ann", room="plans")
    box = ann.locator("#text")
    box.press_sequentially("@d")
    expect(options(ann)).to_have_text(["dora"])
    box.press("Enter")
    box.press_sequentially("your turn")
    box.press("Enter")
    expect(ann.locator("#messages .msg .mention")).to_have_text(["@dora"])


def test_members_that_come_after_the_at_was_typed_are_offered(
    accounts_server: ServerProcess, pages: Pages
) -> None:
    """The room's members come late (slow answers) after "@d" was typed: the list shows dora when they do."""
    open_as(pages, accounts_server, "dora").context.close()
    ann = open_as(pages, accounts_server, "ann")
    assert ann.evaluate(CREATE_ROOM, "errands") == 201
    held: list[Route] = []
    letting_go = False

    def hold(route: Route) -> None:
        if letting_go:
            route.continue_()
        else:
            held.append(route)

    # The members, and the accounts whose name starts with "" or "d", which name her too.
    ann.route(re.compile(r"/api/(rooms/errands/members$|accounts\?prefix=d?&)"), hold)
    ann.goto(f"{accounts_server.url}/?room=errands&token={test_page.token_for('ann')}")
    test_page.expect_online(ann)
    box = ann.locator("#text")
    box.press_sequentially("@d")
    expect(box).to_have_value("@d")
    ann.wait_for_timeout(300)
    assert held, "the page asked for the room's members"
    expect(options(ann)).to_have_count(0)
    letting_go = True
    for route in held:
        route.continue_()
    expect(options(ann)).to_have_text(["dora"], timeout=5000)


RENAME = """
async (name) => {
  const {apiCall} = await import("/static/js/api.js");
  return (await apiCall("PATCH", "/api/me", {name})).status;
}
"""


def test_a_renamed_persons_old_name_is_not_offered(tmp_path: Path, pages: Pages) -> None:
    """Ben wrote, then became Benjamin: on Chloé's page "@Be" offers Benjamin alone, chosen first, not the
    old name a mention of which would reach nobody."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        _, join_link = set_up(server)
        for name in ("Ben", "Chloé"):
            join(server, join_link, name)
        ben = pages.open(f"{server.url}/signin")
        sign_in(ben, "Ben")
        expect_online(ben)
        chloe = pages.open(f"{server.url}/signin", SCREENSHOT_PHONE, color_scheme="dark")
        sign_in(chloe, "Chloé")
        expect_online(chloe)
        say(ben, "morning all")
        assert ben.evaluate(RENAME, "Benjamin") == 200
        expect(chloe.locator("#users")).to_contain_text("Benjamin")
        expect(chloe.locator("#messages .msg .nick").first).to_have_text("Ben")  # what he wrote stays his
        box = chloe.locator("#text")
        box.press_sequentially("@Be")
        expect(options(chloe)).to_have_text(["Benjamin"])
        expect(options(chloe).first).to_have_attribute("aria-selected", "true")
        screenshot(chloe, shots(tmp_path) / "format-mention-after-rename-phone-dark.png")
        box.press("Enter")
        expect(box).to_have_value("@Benjamin ")


# --- emoji --------------------------------------------------------------------------------


def require_emoji_font() -> None:
    listed = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    if "Noto Color Emoji" not in listed:
        if os.environ.get("CI") == "true":
            pytest.fail("fonts-noto-color-emoji is not installed")
        pytest.skip("fonts-noto-color-emoji is not installed")


SEQUENCES = ["😀", "👨\u200d👩\u200d👧\u200d👦", "🇫🇷", "👍🏽", "🏳️\u200d🌈", "❤️", "🧑🏿\u200d💻"]

# The width of each text node's glyphs as laid out.
WIDTHS = """
(selector) => [...document.querySelectorAll(selector)].map((node) => {
  const range = document.createRange();
  range.selectNodeContents(node);
  return range.getBoundingClientRect().width;
})
"""


def test_emoji_sequences_are_one_glyph(server: ServerProcess, pages: Pages) -> None:
    """A family joined with U+200D, a flag, a skin tone and a rainbow flag each take one emoji's width."""
    require_emoji_font()
    for emoji in SEQUENCES:
        said_by(server, "emoji", "ann", emoji)
    page = pages.join(server.url, "emoji", "reader")
    expect(page.locator("#messages .msg")).to_have_count(len(SEQUENCES))
    widths = page.evaluate(WIDTHS, "#messages .msg .text p")
    one = widths[0]
    assert one > 10
    assert all(abs(width - one) < one * 0.2 for width in widths), dict(zip(SEQUENCES, widths, strict=True))


def test_every_emoji_in_the_picker_is_one_glyph(server: ServerProcess, pages: Pages) -> None:
    """The picker's list holds only emoji that this font draws as one glyph each."""
    require_emoji_font()
    page = pages.join(server.url, "emoji-list", "reader")
    page.locator("#emoji-open").click()
    buttons = page.locator(".emoji-picker .emoji")
    expect(buttons.first).to_be_visible()
    widths = page.evaluate(WIDTHS, ".emoji-picker .emoji")
    assert len(widths) > 800
    too_wide = [w for w in widths if w > widths[0] * 1.3 or w < widths[0] * 0.6]
    assert not too_wide, too_wide[:10]


def test_the_picker_inserts_at_the_caret(server: ServerProcess, pages: Pages) -> None:
    """Search by name, arrow down, Enter: the emoji goes where the caret was, and the box has the focus."""
    page = pages.join(server.url, "picking", "ann")
    box = page.locator("#text")
    box.fill("good job")
    box.evaluate("b => b.setSelectionRange(4, 4)")
    page.locator("#emoji-open").click()
    picker = page.locator(".emoji-picker[role=dialog]")
    expect(picker).to_be_visible()
    expect(page.locator("#emoji-open")).to_have_attribute("aria-expanded", "true")
    search = picker.locator(".emoji-search")
    expect(search).to_be_focused()
    search.press_sequentially("thumbs up")
    expect(picker.locator(".emoji")).to_have_text(["👍"])
    search.press("ArrowDown")
    expect(picker.locator(".emoji").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(picker).to_have_count(0)
    expect(box).to_have_value("good👍 job")
    expect(box).to_be_focused()
    # A click picks too; Escape and a click elsewhere close without picking.
    page.locator("#emoji-open").click()
    picker.locator(".emoji-tab[aria-label='Food & drink']").click()
    expect(picker.locator(".emoji[aria-label='tomato']")).to_be_focused()  # the group's first
    picker.locator(".emoji[aria-label='hot beverage']").click()
    expect(box).to_have_value("good👍☕️ job")
    page.locator("#emoji-open").click()
    page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    expect(page.locator("#emoji-open")).to_be_focused()
    page.locator("#emoji-open").click()
    page.locator("#scroller").click(position={"x": 20, "y": 20})
    expect(picker).to_have_count(0)
    expect(box).to_have_value("good👍☕️ job")


def test_the_picker_is_a_sheet_on_a_phone(server: ServerProcess, pages: Pages) -> None:
    """On a phone the picker is a sheet along the bottom, its cells big enough to tap; a tap picks."""
    page = pages.join(server.url, "picking-phone", "ann", viewport=SCREENSHOT_PHONE)
    page.locator("#emoji-open").click()
    picker = page.locator(".emoji-picker")
    expect(picker).to_be_focused()  # not the search box: no keyboard over the emoji
    box = picker.bounding_box()
    assert box is not None
    assert box["x"] == 0 and box["width"] == SCREENSHOT_PHONE["width"]
    assert abs(box["y"] + box["height"] - SCREENSHOT_PHONE["height"]) < 1
    cell = picker.locator(".emoji").first.bounding_box()
    assert cell is not None and cell["width"] >= 40 and cell["height"] >= 40
    picker.locator(".emoji").first.click()
    expect(page.locator("#text")).to_have_value("😀")


def test_the_picker_finds_short_names_from_other_chats(server: ServerProcess, pages: Pages) -> None:
    """ ":tada:" and "+1" find their emoji first, before names that hold the letters; every short
    name's emoji is one of the picker's."""
    page = pages.join(server.url, "short-names", "ann")
    page.locator("#emoji-open").click()
    search = page.locator(".emoji-picker .emoji-search")
    search.fill(":tada:")
    expect(page.locator(".emoji-picker .emoji")).to_have_text(["🎉"])
    search.fill("+1")
    expect(page.locator(".emoji-picker .emoji").first).to_have_text("👍")
    search.fill("heart")
    expect(page.locator(".emoji-picker .emoji").first).to_have_text("❤️")
    assert page.locator(".emoji-picker .emoji").count() > 5  # the named hearts follow
    missing = page.evaluate(
        """async () => {
            const {SHORTCODES} = await import("/static/js/emoji_shortcodes.js");
            const {EMOJI_GROUPS} = await import("/static/js/emoji_data.js");
            const all = new Set(EMOJI_GROUPS.flatMap((group) => group.emoji.map(([emoji]) => emoji)));
            return Object.entries(SHORTCODES).filter(([, emoji]) => !all.has(emoji));
        }"""
    )
    assert missing == []


# --- screenshots ------------------------------------------------------------------------------

SHOWCASE = [
    (
        "ann",
        "Release **2.4** is out 🎉 — notes at https://example.com/releases/2.4, and the *short* version:",
    ),
    ("ann", "- faster reconnects\n- ~~flaky~~ steady uploads\n- `--processes 4` works with Redis"),
    ("bob", "> the reconnect banner shows twice on Safari\n\nFixed in this one? @ann @carol"),
    ("ann", "Yes. To check:\n```\nbash bin/serve --port 8888\n```\nthen close the lid 👨‍👩‍👧‍👦 🇫🇷 👍🏽"),
]


def test_screenshots_of_formatted_messages(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """Formatted messages, the mention list and the emoji picker, desktop and phone, light and dark (PNGs)."""
    out = shots(tmp_path)
    for nick, text in SHOWCASE:
        said_by(server, "showcase", nick, text)
    with join_socket(server, "showcase", "bea"), join_socket(server, "showcase", "bert"):
        desktop = pages.join(server.url, "showcase", "ann")
        phone = pages.join(server.url, "showcase", "carol", viewport=SCREENSHOT_PHONE, color_scheme="dark")
        for page, name in ((desktop, "desktop"), (phone, "phone")):
            expect(page.locator("#messages .msg")).to_have_count(len(SHOWCASE))
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
                screenshot(page, out / f"screenshot-format-{name}-{scheme}.png")
            page.locator("#text").press_sequentially("thanks @b")
            expect(options(page)).to_have_text(["bea", "bert", "bob"])  # online, and who wrote
            screenshot(page, out / f"screenshot-format-mentions-{name}.png")
            page.locator("#text").press("Escape")
            page.locator("#emoji-open").click()
            expect(page.locator(".emoji-picker")).to_be_visible()
            screenshot(page, out / f"screenshot-format-picker-{name}.png")
            page.keyboard.press("Escape")
