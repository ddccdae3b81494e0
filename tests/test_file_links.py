"""Signed file links (chatroom/file_links.py): one file's variant, one account, until they expire."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chatroom.file_links import (
    FULL_VARIANT,
    LINK_SECONDS,
    LINK_STEP_SECONDS,
    THUMB_VARIANT,
    LinkClaim,
    claim_of,
    expiry,
    link_key,
    link_path,
    signature,
)

KEY = link_key("the store's cookie secret " + "x" * 40)
NOW = 1_800_000_100.0
EXPIRES = expiry(NOW)


def claim(file_id: str = "f1", variant: str = FULL_VARIANT, account: int = 7) -> LinkClaim:
    """The claim of a link made with KEY."""
    return LinkClaim(account, EXPIRES, signature(KEY, file_id, variant, account, EXPIRES))


def test_a_link_holds_for_its_file_variant_and_account_until_it_expires() -> None:
    """The link made for a file opens it, and still does a second before it expires."""
    assert claim().holds(KEY, "f1", FULL_VARIANT, NOW)
    assert claim().holds(KEY, "f1", FULL_VARIANT, EXPIRES - 1)


def test_an_expired_link_does_not_hold() -> None:
    """At its expiry and after, the link opens nothing."""
    assert not claim().holds(KEY, "f1", FULL_VARIANT, EXPIRES)
    assert not claim().holds(KEY, "f1", FULL_VARIANT, EXPIRES + 3600)


def test_a_link_opens_no_other_file_nor_variant() -> None:
    """A thumbnail's link does not open the file, nor a file's link another file."""
    assert not claim(variant=THUMB_VARIANT).holds(KEY, "f1", FULL_VARIANT, NOW)
    assert not claim().holds(KEY, "f1", THUMB_VARIANT, NOW)
    assert not claim().holds(KEY, "f2", FULL_VARIANT, NOW)


def test_a_link_changed_in_any_part_is_refused() -> None:
    """Another account, a later expiry, a changed or foreign signature: none holds."""
    good = claim()
    assert not LinkClaim(8, good.expires, good.signature).holds(KEY, "f1", FULL_VARIANT, NOW)
    assert not LinkClaim(7, good.expires + 600, good.signature).holds(KEY, "f1", FULL_VARIANT, NOW)
    flipped = ("B" if good.signature[0] == "A" else "A") + good.signature[1:]
    assert not LinkClaim(7, good.expires, flipped).holds(KEY, "f1", FULL_VARIANT, NOW)
    assert not LinkClaim(7, good.expires, "").holds(KEY, "f1", FULL_VARIANT, NOW)
    other_key = link_key("another server's secret " + "y" * 40)
    assert not claim().holds(other_key, "f1", FULL_VARIANT, NOW)


def test_the_key_is_not_the_cookie_secret_itself() -> None:
    """The links' key is derived for links alone: it differs from the secret and from another secret's."""
    secret = "s" * 48
    assert link_key(secret) != secret.encode() and link_key(secret) != link_key(secret + "!")


def test_links_expire_an_hour_on_rounded_to_the_step() -> None:
    """Links asked for within the same step share an expiry (the same address), at least an hour on."""
    for now in (NOW, NOW + 1, NOW + LINK_STEP_SECONDS - 1, 1_800_000_000.0):
        assert now + LINK_SECONDS <= expiry(now) < now + LINK_SECONDS + LINK_STEP_SECONDS
        assert expiry(now) % LINK_STEP_SECONDS == 0
    assert expiry(NOW) == expiry(NOW + 1)


def test_a_link_s_address_carries_its_claim() -> None:
    """The address names the file (or /thumb) and its query is read back as the claim it was made with."""
    path = link_path(KEY, "f1", "the plan 1/2.pdf", FULL_VARIANT, 7, EXPIRES)
    parts = urlsplit(path)
    assert parts.path == "/files/f1/the%20plan%201%2F2.pdf"
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    read = claim_of(query.get("account"), query.get("exp"), query.get("link"))
    assert read is not None and read.holds(KEY, "f1", FULL_VARIANT, NOW)
    assert urlsplit(link_path(KEY, "f1", "x.png", THUMB_VARIANT, 7, EXPIRES)).path == "/files/f1/thumb"


def test_a_claim_missing_a_part_or_not_a_number_is_none() -> None:
    """Without all three arguments, or with a number that is not one, there is no claim."""
    assert claim_of(None, "1", "s") is None
    assert claim_of("7", None, "s") is None
    assert claim_of("7", "1", None) is None
    assert claim_of("-7", "1", "s") is None
    assert claim_of("7", "1e9", "s") is None
    assert claim_of("٧", "1", "s") is None
