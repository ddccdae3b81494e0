"""Links over HTTP: setup (the first administrator), joining with a join link, a password reset,
and the administrators' join links and reset links.

A link that does not work (never made, used, revoked, expired) is refused
with 403 ``invalid_link`` before anything else is looked at, and nothing
is created.
"""

from __future__ import annotations

import logging

from . import protocol
from .api import ApiError
from .api_accounts import AccountHandler, account_json, deactivated, tell_nodes
from .events import PASSWORD_CHANGED
from .links import issue_join_link, issue_reset_link, join_links, usable_link
from .moderation import when
from .names import BadNameError, normalize_nick
from .store.accounts_base import NameTakenError
from .store.records import JOIN, PERSON, RESET, SETUP, Account, Link
from .tokens import token_hash

log = logging.getLogger("chatroom.accounts")

INVALID_LINK_MESSAGE = "this link does not work: it was used already, revoked, or it never existed"


class LinkHandler(AccountHandler):
    """Base of the link forms: anyone may post them, with the page's _xsrf token."""

    public_methods = frozenset({"POST"})
    sign_in_form = True

    def base_url(self) -> str:
        """This server's address as the request reached it, for the links it makes."""
        return f"{self.request.protocol}://{self.request.host}"

    async def link_named(self, kind: str, token: str) -> Link:
        """The usable link of that kind the token names, or 403 ``invalid_link``."""
        link = await self.unavailable_if_failing(usable_link(self.backend.accounts, kind, token))
        if link is None:
            raise ApiError(403, protocol.INVALID_LINK, INVALID_LINK_MESSAGE)
        return link

    async def use_link(self, kind: str, token: str) -> Link:
        """Use the link (a one-time link once, across every node), or 403 ``invalid_link``."""
        link = await self.unavailable_if_failing(self.backend.accounts.consume_link(token_hash(token), kind))
        if link is None:
            raise ApiError(403, protocol.INVALID_LINK, INVALID_LINK_MESSAGE)
        return link

    async def free_name(self, raw: str) -> str:
        """The name, normalised, when no account holds it or a look-alike; else 400 or 409."""
        try:
            name = normalize_nick(raw)
        except BadNameError as error:
            raise ApiError(400, protocol.BAD_NAME, str(error)) from None
        holder = await self.unavailable_if_failing(self.backend.accounts.account_by_name(name))
        if holder is not None:
            raise ApiError(409, protocol.NAME_TAKEN, str(NameTakenError(name, holder.name)))
        return name

    async def create_person(self, name: str, password_hash: str, *, is_admin: bool) -> Account:
        try:
            return await self.unavailable_if_failing(
                self.backend.accounts.create_account(
                    name, PERSON, is_admin=is_admin, password_hash=password_hash
                )
            )
        except NameTakenError as error:
            raise ApiError(409, protocol.NAME_TAKEN, str(error)) from None


class SetupHandler(LinkHandler):
    """``POST /api/setup {token, name, password, password_again}``: the first administrator, signed in.

    Answers 201 with the account and the join link to hand to everyone else.
    """

    async def post(self) -> None:
        # Asked under --jwt-secret too, where the API needs no setup: an administrator is still useful.
        if await self.unavailable_if_failing(self.setup.done()):
            raise ApiError(409, protocol.SETUP_DONE, "this server has its administrator already: sign in")
        body = self.json_body("token", "name", "password", optional=("password_again",))
        await self.link_named(SETUP, body["token"])
        name = await self.free_name(body["name"])
        password_hash = await self.new_password_hash(body["password"], body.get("password_again"))
        await self.use_link(SETUP, body["token"])
        account = await self.create_person(name, password_hash, is_admin=True)
        self.setup.mark_done()
        log.info("setup done: %s is the administrator", account.name)
        await self.sign_in(account)
        join = await self.unavailable_if_failing(issue_join_link(self.backend.accounts, self.base_url()))
        self.send_json({"account": account_json(account), "join_link": join.url}, 201)


class JoinHandler(LinkHandler):
    """``POST /api/join {token, name, password, password_again}``: a new account, signed in."""

    async def post(self) -> None:
        if await self.setup_required():
            raise ApiError(503, protocol.SETUP_REQUIRED, "this server has no administrator yet")
        body = self.json_body("token", "name", "password", optional=("password_again",))
        await self.link_named(JOIN, body["token"])
        await self.refuse_barred_address()
        name = await self.free_name(body["name"])
        password_hash = await self.new_password_hash(body["password"], body.get("password_again"))
        await self.use_link(JOIN, body["token"])
        account = await self.create_person(name, password_hash, is_admin=False)
        await self.sign_in(account)
        self.send_json({"account": account_json(account)}, 201)

    async def refuse_barred_address(self) -> None:
        """403 from an address an administrator barred from guest access (a guest removed): a join link
        is handed around, and the guest it kept out would otherwise be back at once with an account."""
        accounts = self.backend.accounts
        until = await self.unavailable_if_failing(accounts.guest_barred_until(self.request.remote_ip or ""))
        if until is not None:
            raise ApiError(
                403,
                protocol.FORBIDDEN,
                f"an administrator removed you: nobody from your address may join before {when(until)}",
            )


class ResetHandler(LinkHandler):
    """``POST /api/reset {token, password, password_again}``: a new password, every other session ended."""

    async def post(self) -> None:
        body = self.json_body("token", "password", optional=("password_again",))
        # A deactivated account's link is refused before it is used: reactivated within its day, it works.
        await self.account_of(await self.link_named(RESET, body["token"]))
        password_hash = await self.new_password_hash(body["password"], body.get("password_again"))
        account = await self.account_of(await self.use_link(RESET, body["token"]))
        accounts = self.backend.accounts
        await self.unavailable_if_failing(accounts.set_password_hash(account.id, password_hash))
        await self.unavailable_if_failing(accounts.revoke_sessions_of(account.id))
        await tell_nodes(self.backend, account.id, PASSWORD_CHANGED)
        await self.sign_in(account)
        self.send_json({"account": account_json(account)})

    async def account_of(self, link: Link) -> Account:
        """The person the link is for; 403 ``account_deactivated`` while deactivated (the link proves
        who holds it, as a right password does), 403 ``invalid_link`` for a bot or an account gone."""
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_id(link.account_id or 0))
        if account is None or account.is_bot:
            raise ApiError(403, protocol.INVALID_LINK, INVALID_LINK_MESSAGE)
        if not account.active:
            raise deactivated()
        return account


class AdminHandler(AccountHandler):
    """Base of the administrators' endpoints: anyone else gets 403 ``forbidden``."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.who is None or not self.who.is_admin:
            raise ApiError(403, protocol.FORBIDDEN, "only an administrator may do this")

    def base_url(self) -> str:
        return f"{self.request.protocol}://{self.request.host}"


class JoinLinksHandler(AdminHandler):
    """``/api/admin/join-links``: GET the join links in force, POST a new one (the others stop
    working), DELETE every one (nobody new can join until the next)."""

    async def get(self) -> None:
        found = await self.unavailable_if_failing(join_links(self.backend.accounts, self.base_url()))
        self.send_json({"join_links": [{"url": j.url, "created_at": j.link.created_at} for j in found]})

    async def post(self) -> None:
        join = await self.unavailable_if_failing(issue_join_link(self.backend.accounts, self.base_url()))
        self.send_json({"url": join.url, "created_at": join.link.created_at}, 201)

    async def delete(self) -> None:
        revoked = await self.unavailable_if_failing(self.backend.accounts.revoke_links(JOIN))
        self.send_json({"revoked": revoked})


class ResetLinkHandler(AdminHandler):
    """``POST /api/admin/accounts/{id}/reset-link``: a one-time link (for a day) to a new password."""

    async def post(self, raw_id: str) -> None:
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 19):
            raise ApiError(404, protocol.NOT_FOUND, "there is no such account")
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_id(int(raw_id)))
        if account is None:
            raise ApiError(404, protocol.NOT_FOUND, "there is no such account")
        if account.is_bot:
            raise ApiError(409, protocol.BAD_REQUEST, "a bot has API keys, not a password")
        if not account.active:
            # Its link would only say so: the person needs the account back before a password.
            raise ApiError(
                409, protocol.ACCOUNT_DEACTIVATED, f"{account.name!r} is deactivated: reactivate it first"
            )
        url, expires_at = await self.unavailable_if_failing(
            issue_reset_link(self.backend.accounts, account, self.base_url())
        )
        self.send_json({"url": url, "expires_at": expires_at, "account": account_json(account)}, 201)
