"""Making someone an administrator and taking it back, on a real server with SQLite and with PostgreSQL:
every page told at once, the person's connections back with their new rights, every refusal."""

from __future__ import annotations

from tests.clients import close_code, join, next_of, receive, welcomed
from tests.support import call_api, unique, wait_until
from tests.test_api_admin import Site, site, token

__all__ = ["site"]  # the fixture, for pytest


def role(site: Site, method: str, account_id: int) -> tuple[int, dict[str, object]]:
    return site.call(method, f"/api/admin/accounts/{account_id}/admin")


def acts_about(site: Site, name: str) -> list[tuple[str, str]]:
    """The moderation history's (actor, act) about ``name``, newest first."""
    acts = site.call("GET", "/api/admin/moderation?limit=500")[1]["acts"]
    return [(act["actor"], act["act"]) for act in acts if act["subject"] == name]


def may_administer(site: Site, name: str) -> int:
    """The status of the administrators' account list, asked as ``name``."""
    return call_api(site.server, "GET", "/api/admin/accounts?limit=1", None, f"Bearer {token(name)}")[0]


def test_a_person_made_an_administrator_is_marked_on_every_page_and_comes_back_with_the_rights(
    site: Site,
) -> None:
    """root makes bob an administrator: cid's connection is told (an admin frame), bob's is told and closed
    1012 to come back as one, a guest hears nothing; bob may administer; then root takes it back. Each
    change is one act of the history and one chatroom.moderation line."""
    bob, cid = unique("bob"), unique("cid")
    bob_id, _ = site.person(bob), site.person(cid)
    room = site.open_room(unique("hall"))
    with (
        welcomed(site.server, room=room, token=token(cid))[0] as watching,
        welcomed(site.server, room=room, token=token(bob))[0] as bobs,
        join(site.server, room, unique("visitor")) as guest,
    ):
        status, answer = role(site, "PUT", bob_id)
        assert (status, answer["account"]["admin"]) == (200, True)  # type: ignore[index]
        told = {"type": "admin", "name": bob, "admin": True}
        assert next_of(watching, "admin", timeout=5) == told
        assert next_of(bobs, "admin", timeout=5) == told
        assert close_code(bobs, timeout=5) == 1012
        assert may_administer(site, bob) == 200
        again, _, _ = welcomed(site.server, room=room, token=token(bob))
        with again:
            status, answer = role(site, "DELETE", bob_id)
            assert (status, answer["account"]["admin"]) == (200, False)  # type: ignore[index]
            assert next_of(watching, "admin", timeout=5) == {**told, "admin": False}
            assert close_code(again, timeout=5) == 1012
        assert may_administer(site, bob) == 403
        heard = []
        while True:
            try:
                heard.append(receive(guest, timeout=0.5)["type"])
            except TimeoutError:
                break
        assert "admin" not in heard
    assert acts_about(site, bob) == [("root", "remove_admin"), ("root", "make_admin")]
    for done in ("made", "took the administration from"):
        line = f"INFO chatroom.moderation: 'root' {done} {bob!r}"
        wait_until(lambda line=line: line in site.server.log())


def test_asking_for_what_already_is_changes_nothing(site: Site) -> None:
    """Making a person who is not one an administrator no longer, or an administrator one again: 200 as
    it is, no act, nobody told."""
    ann = unique("ann")
    ann_id = site.person(ann)
    with welcomed(site.server, room=site.open_room(unique("quiet")), token=token(ann))[0] as hers:
        status, answer = role(site, "DELETE", ann_id)
        assert (status, answer["account"]["admin"]) == (200, False)  # type: ignore[index]
        assert role(site, "PUT", ann_id)[0] == 200
        assert next_of(hers, "admin", timeout=5)["admin"] is True
        assert close_code(hers, timeout=5) == 1012
    assert role(site, "PUT", ann_id)[0] == 200
    assert acts_about(site, ann) == [("root", "make_admin")]


def test_every_refusal_changes_nothing(site: Site) -> None:
    """No such account: 404; a bot: 400; a deactivated person: 409 account_deactivated; one's own: 400;
    a person who is no administrator: 403; nobody: 401. None is kept in the history."""
    dora, pat = unique("dora"), unique("pat")
    dora_id, pat_id = site.person(dora), site.person(pat)
    bot = site.call("POST", "/api/admin/bots", {"name": unique("ci")})[1]["bot"]
    root_id = next(
        a["id"]
        for a in site.call("GET", "/api/admin/accounts?limit=500")[1]["accounts"]
        if a["name"] == "root"
    )
    assert site.call("POST", f"/api/admin/accounts/{dora_id}/deactivate")[0] == 200
    refusals = [
        (role(site, "PUT", 987654321), 404, "not_found"),
        (role(site, "PUT", bot["id"]), 400, "bad_request"),
        (role(site, "PUT", dora_id), 409, "account_deactivated"),
        (role(site, "DELETE", root_id), 400, "bad_request"),
    ]
    for (status, answer), expected_status, code in refusals:
        assert (status, answer["error"]) == (expected_status, code), answer
    as_pat = f"Bearer {token(pat)}"
    path = f"/api/admin/accounts/{pat_id}/admin"
    assert call_api(site.server, "PUT", path, None, as_pat)[1]["error"] == "forbidden"
    status, answer = call_api(site.server, "PUT", path, None, None)
    assert (status, answer["error"]) == (401, "unauthorized")
    assert may_administer(site, pat) == 403
    assert acts_about(site, dora) == [("root", "deactivate")] and acts_about(site, pat) == []
