"""The store's records: avatar colours people can read, and when a link still works."""

from __future__ import annotations

from chatroom.store.records import AVATAR_COLORS, JOIN, RESET, SETUP, Link, avatar_color


def contrast_with_white(color: str) -> float:
    """WCAG 2 contrast ratio of white text on ``color``."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_every_avatar_colour_keeps_white_initials_readable() -> None:
    """Each colour of the palette has a contrast of at least 5:1 with white (WCAG AA asks 4.5)."""
    assert len(set(AVATAR_COLORS)) == len(AVATAR_COLORS) >= 10
    for color in AVATAR_COLORS:
        assert contrast_with_white(color) >= 5, color


def test_a_name_always_gets_the_same_colour_and_names_spread() -> None:
    """The colour comes from the name's key: the same each time, and many names use the whole palette."""
    assert avatar_color("alice") == avatar_color("alice")
    assert {avatar_color(f"user{n}") for n in range(200)} == set(AVATAR_COLORS)


def test_a_link_is_usable_until_expired_revoked_or_used_once() -> None:
    """One-time links stop at their first use; a join link goes on until it expires or is revoked."""
    setup = Link(b"s", SETUP, None, created_at=0, expires_at=100)
    assert setup.usable(99) and not setup.usable(100)
    assert not Link(b"r", RESET, 1, created_at=0, used_at=5).usable(10)
    assert Link(b"j", JOIN, None, created_at=0, used_at=5).usable(10**12)
    assert not Link(b"j", JOIN, None, created_at=0, revoked_at=5).usable(10)
