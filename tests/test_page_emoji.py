"""Custom emoji on the page (static/js/custom_emoji.js, emoji_add.js, the picker and completions) in Chromium.

People signed in with passwords add an emoji from the picker's "Add emoji…", use it in a message and as a
reaction, and see another's live; the picker's Custom section and completion offer it; removing it leaves
its name as text. Screenshots on a desktop and a phone, light and dark.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.support import ServerProcess, unique
from tests.test_page import SCREENSHOT_PHONE, Pages, say
from tests.test_page_changes import act, message, shoot
from tests.test_page_journey import signed_in
from tests.test_page_status import Site, open_menu
from tests.web_client import set_up


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = tmp_path_factory.mktemp("emoji-page") / "chat.db"
    with ServerProcess(db, guests=False) as running:
        admin, join_link = set_up(running, unique("admin"))
        yield Site(running, admin, join_link)


def square(colour: tuple[int, int, int]) -> bytes:
    """A 96x96 PNG of one colour with a white dot."""
    image = Image.new("RGB", (96, 96), colour)
    image.paste((255, 255, 255), (36, 36, 60, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def add_from_picker(page: Page, name: str, colour: tuple[int, int, int] = (230, 60, 40)) -> None:
    """Open the composer's emoji picker, press "Add emoji…", give the name and an image, add it."""
    page.locator("#emoji-open").click()
    picker = page.get_by_role("dialog", name="Emoji for your message")
    picker.get_by_role("button", name="Add emoji…").click()
    dialog = page.get_by_role("dialog", name="Add a custom emoji")
    expect(dialog).to_be_visible()
    page.locator("#emoji-add-file").set_input_files(
        files=[{"name": f"{name}.png", "mimeType": "image/png", "buffer": square(colour)}]
    )
    page.locator("#emoji-add-name").fill(name)
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog.get_by_role("list").get_by_text(f":{name}:")).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


def shown_image(page: Page, scope: str, name: str) -> None:
    """An image of ``:name:`` shows within ``scope``, loaded."""
    image = page.locator(f"{scope} img.custom-emoji[alt=':{name}:']").last
    expect(image).to_be_visible()
    expect(image).to_have_attribute("title", f":{name}:")
    page.wait_for_function(
        "(sel) => [...document.querySelectorAll(sel)].every((i) => i.complete && i.naturalWidth > 0)",
        arg=f"{scope} img.custom-emoji",
    )


def test_an_emoji_added_shows_in_messages_and_reactions_live_and_goes_back_to_text(
    site: Site, pages: Pages, tmp_path: Path
) -> None:
    """Ann adds :shipit: from the picker; her message with it shows the image for bob, live (alt and title
    :shipit:); bob reacts with it from the picker's Custom section and ann sees the chip's image; ann
    removes it from the account menu and both pages show ":shipit:" as text again."""
    (_, ann_client), (bob_name, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    ann, bob = site.page(pages, ann_client, room), site.page(pages, bob_client, room)
    name = unique("ship").lower().replace(".", "_")[:32]
    add_from_picker(ann, name)
    say(ann, f"ready :{name}: go")
    for page in (ann, bob):
        shown_image(page, "#messages .msg .text", name)
        expect(message(page, "ready").locator(".text")).to_have_text("ready  go")
    item = message(bob, "ready")
    act(bob, item, "React")
    item.get_by_role("button", name="More emoji").click()
    picker = bob.get_by_role("dialog", name="React with an emoji")
    custom = picker.get_by_role("group", name="Custom")
    expect(custom.get_by_role("button")).to_have_count(1)
    custom.get_by_role("button", name=f":{name}:").click()
    for page in (ann, bob):
        chip = message(page, "ready").locator(".reaction")
        expect(chip).to_have_attribute("title", bob_name)
        shown_image(page, "#messages .reaction", name)
    expect(message(ann, "ready").locator(".reaction")).to_have_attribute("aria-pressed", "false")
    open_menu(ann)
    ann.get_by_role("button", name="Add emoji…").click()
    dialog = ann.get_by_role("dialog", name="Add a custom emoji")
    dialog.get_by_role("button", name=f"Remove :{name}:").click()
    expect(dialog.locator("#emoji-list-none")).to_be_visible()
    for page in (ann, bob):
        expect(page.locator("#messages img.custom-emoji")).to_have_count(0)
        expect(message(page, "ready").locator(".text")).to_have_text(f"ready :{name}: go")
        expect(message(page, "ready").locator(".reaction")).to_contain_text(f":{name}:1")


def test_the_picker_search_and_completion_offer_custom_emoji(site: Site, pages: Pages) -> None:
    """Bob's picker, searched by part of the name, finds ann's emoji first; ":pa" in his box offers it,
    and Enter puts its :name: in the text, which shows as the image once sent."""
    (_, ann_client), (_, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    ann, bob = site.page(pages, ann_client, room), site.page(pages, bob_client, room)
    add_from_picker(ann, "partyparrot", (40, 160, 80))
    bob.locator("#emoji-open").click()
    picker = bob.get_by_role("dialog", name="Emoji for your message")
    expect(
        picker.get_by_role("group", name="Custom").get_by_role("button", name=":partyparrot:")
    ).to_be_visible()
    picker.get_by_role("searchbox").fill("parrot")
    expect(picker.locator(".emoji-body .emoji").first).to_have_attribute("aria-label", ":partyparrot:")
    bob.keyboard.press("Escape")
    box = bob.locator("#text")
    box.press_sequentially("yes :pa")
    options = bob.get_by_role("listbox", name="Emoji").get_by_role("option")
    expect(options.filter(has_text=":partyparrot:")).to_have_count(1)
    box.press_sequentially("rtyp")
    expect(options.first).to_have_text(":partyparrot:")
    box.press("Enter")
    expect(box).to_have_value("yes :partyparrot: ")
    box.press("Enter")
    shown_image(bob, "#messages .msg .text", "partyparrot")
    # A standard short name may not be taken: the dialog says why in the server's words.
    bob.locator("#emoji-open").click()
    bob.get_by_role("dialog", name="Emoji for your message").get_by_role("button", name="Add emoji…").click()
    bob.locator("#emoji-add-file").set_input_files(
        files=[{"name": "t.png", "mimeType": "image/png", "buffer": square((1, 2, 3))}]
    )
    bob.locator("#emoji-add-name").fill("tada")
    bob.get_by_role("button", name="Add", exact=True).click()
    expect(bob.locator("#emoji-add-error")).to_contain_text("standard emoji")


def test_a_guests_page_shows_an_emoji_added_meanwhile_in_a_message_shown_before(
    tmp_path: Path, pages: Pages
) -> None:
    """Where guests are let in, a guest's page shows ":wave_team:" as text until an administrator adds
    it, then its image in that same message, live; the guest's picker offers it, and no "Add emoji…"."""
    with ServerProcess(tmp_path / "chat.db", guests=True) as server:
        admin, _ = set_up(server, unique("admin"))
        guest = pages.join(server.url, "lobby", "visitor")
        adder = signed_in(pages, admin, f"{server.url}/?room=lobby")
        say(adder, "before :wave_team: it exists")
        expect(message(guest, "before").locator(".text")).to_have_text("before :wave_team: it exists")
        add_from_picker(adder, "wave_team")
        shown_image(guest, "#messages .msg .text", "wave_team")
        expect(message(guest, "before").locator(".text")).to_have_text("before  it exists")
        guest.locator("#emoji-open").click()
        picker = guest.get_by_role("dialog", name="Emoji for your message")
        custom = picker.get_by_role("group", name="Custom")
        expect(custom.get_by_role("button", name=":wave_team:")).to_be_visible()
        expect(picker.get_by_role("button", name="Add emoji…")).to_have_count(0)


def test_screenshots_of_the_custom_emoji(site: Site, pages: Pages, tmp_path: Path) -> None:
    """The add dialog, the picker's Custom section, a message and a reaction with one: desktop and phone."""
    (_, ann_client), (_, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    for page, where in (
        (site.page(pages, ann_client, room), "desktop"),
        (site.page(pages, bob_client, room, viewport=SCREENSHOT_PHONE), "phone"),
    ):
        colour = (230, 60, 40) if where == "desktop" else (40, 90, 220)
        name = f"logo_{where}"
        page.locator("#emoji-open").click()
        page.get_by_role("dialog", name="Emoji for your message").get_by_role(
            "button", name="Add emoji…"
        ).click()
        page.locator("#emoji-add-file").set_input_files(
            files=[{"name": f"{name}.png", "mimeType": "image/png", "buffer": square(colour)}]
        )
        page.locator("#emoji-add-name").fill(name)
        shoot(page, tmp_path, f"emoji-add-{where}")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator("#emoji-list").get_by_text(f":{name}:")).to_be_visible()
        page.get_by_role("dialog", name="Add a custom emoji").get_by_role("button", name="Cancel").click()
        say(page, f"our new logo :{name}: is in")
        shown_image(page, "#messages .msg .text", name)
        item = message(page, "our new logo")
        act(page, item, "React")
        item.get_by_role("button", name="More emoji").click()
        picker = page.get_by_role("dialog", name="React with an emoji")
        expect(picker.get_by_role("group", name="Custom")).to_be_visible()
        shoot(page, tmp_path, f"emoji-picker-{where}")
        picker.get_by_role("group", name="Custom").get_by_role("button", name=f":{name}:").click()
        shown_image(page, "#messages .reaction", name)
        shoot(page, tmp_path, f"emoji-message-{where}")
