"""Names: PRECIS enforcement, invisible and look-alike code points, TR39 collisions, linear cost."""

from __future__ import annotations

import time

import pytest

from chatroom import names, protocol
from chatroom.protocol import ProtocolError

# Code points that render as nothing (or as a blank) after a visible name.
INVISIBLE = ["\U000e0100", "\u034f", "\ufe0f", "\u180b", "\u17b4", "\u200b", "\u2060", "\u00ad", "\ufeff"]
BLANK_NAMES = ["\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\u3164\u3164", "a\u2800"]


@pytest.mark.parametrize("suffix", INVISIBLE)
def test_invisible_code_points_are_refused_in_nicks_and_rooms(suffix: str) -> None:
    """``alice`` followed by an invisible code point is not a name at all."""
    for normalize in (protocol.normalize_nick, protocol.normalize_room):
        with pytest.raises(ProtocolError) as refused:
            normalize("alice" + suffix)
        assert refused.value.code == protocol.BAD_NAME


@pytest.mark.parametrize("raw", BLANK_NAMES)
def test_blank_rendering_names_are_refused(raw: str) -> None:
    """Hangul fillers and the blank Braille pattern would give a blank author."""
    with pytest.raises(ProtocolError) as refused:
        protocol.normalize_nick(raw)
    assert refused.value.code == protocol.BAD_NAME


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("ｆｏｏ", "foo"),
        ("Ⅻ", "XII"),
        ("  ann  lee\t", "ann lee"),
        ("Zoe\u0308", "Zo\u00eb"),
        ("李雷", "李雷"),
    ],
)
def test_precis_maps_width_compatibility_and_spaces(raw: str, name: str) -> None:
    """NFKC and space mapping: the name a member gets may differ from what it asked for."""
    assert protocol.normalize_nick(raw) == name


@pytest.mark.parametrize("nick", ["Zoë", "नमस्ते", "ผู้ใช้", "李雷", "Ольга", "محمد", "ann-lee_2.0", "Ann Lee"])
def test_names_in_many_scripts_are_welcome(nick: str) -> None:
    """Letters and marks of any script stay allowed."""
    assert protocol.normalize_nick(nick) == nick


@pytest.mark.parametrize(
    "look_alike",
    ["ALICE", "аlice", "alіce", "a1ice", "ａｌｉｃｅ", "ΑLICE"],
)
def test_look_alike_nicks_share_a_key(look_alike: str) -> None:
    """Case, Cyrillic а/і, Greek Α, digit one and a bar all collide with ``alice``."""
    assert protocol.nick_key(protocol.normalize_nick(look_alike)) == protocol.nick_key("alice")


def test_digit_zero_collides_with_the_letter() -> None:
    """``b0b`` passes for ``bob``: the prototype of 0 is a capital O."""
    assert protocol.nick_key("b0b") == protocol.nick_key("bob") == protocol.nick_key("BOB")


@pytest.mark.parametrize("other", ["alicia", "alce", "bob", "alicé"])
def test_different_nicks_do_not_collide(other: str) -> None:
    """Skeletons do not merge names that look different."""
    assert protocol.nick_key(other) != protocol.nick_key("alice")


def test_rooms_stay_case_sensitive_but_look_alikes_collide() -> None:
    """``Lobby`` is another room; ``Iobby`` (capital i) and ``lоbby`` (Cyrillic о) are not."""
    assert protocol.room_key("Lobby") != protocol.room_key("lobby")
    assert protocol.room_key("Iobby") == protocol.room_key("lobby")
    assert protocol.room_key("lоbby") == protocol.room_key("lobby")


def test_skeleton_follows_tr39() -> None:
    """The skeleton is NFD, then prototypes, then NFD (UTS #39 section 4)."""
    assert names.skeleton("m") == names.skeleton("rn") == "rn"
    assert names.skeleton("paypal") == names.skeleton("рауран".replace("н", "l"))


@pytest.mark.parametrize("length", [10_000, 200_000])
@pytest.mark.parametrize("filler", ["a", "\u0301", " ", "ａ", "\U000e0100", "ﷺ"])
def test_long_names_cost_little(length: int, filler: str) -> None:
    """However long the raw query, refusing it takes milliseconds."""
    started = time.perf_counter()
    for normalize in (protocol.normalize_nick, protocol.normalize_room):
        with pytest.raises(ProtocolError):
            normalize("a" + filler * length)
    assert time.perf_counter() - started < 0.5


def test_skeleton_of_long_text_is_linear() -> None:
    """Key computation is linear: 200,000 characters take well under half a second."""
    started = time.perf_counter()
    names.skeleton("аl1ce\u0301ﷺ" * 30_000)
    assert time.perf_counter() - started < 0.5


def test_an_empty_name_is_said_to_be_empty() -> None:
    """A nick or room of nothing but white space is refused as empty, not as invisible characters."""
    for normalize, what in ((names.normalize_nick, "nick"), (names.normalize_room, "room name")):
        for raw in ("", "   ", "\t"):
            with pytest.raises(names.BadNameError, match=f"a {what} cannot be empty"):
                normalize(raw)
