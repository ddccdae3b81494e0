"""Accounts over HTTP: signing in and out (the session cookie), and one's own account (``/api/me``)."""

from __future__ import annotations

import logging
import math
from typing import Any

import orjson

from . import protocol
from .access import Access
from .api import ApiError, JsonHandler
from .api_groups import tell_groups_of
from .backend import Backend, tell_processes
from .config import Settings
from .events import PASSWORD_CHANGED, RENAMED, SIGNED_OUT, SIGNED_OUT_EVERYWHERE, AccountNotice
from .identity import COOKIE_MAX_AGE_DAYS, SESSION, SESSION_COOKIE, Authenticator, Identity
from .limits import SignInLimit, address_key
from .links import SetupState
from .names import BadNameError, nick_key, normalize_nick
from .passwords import PasswordRuleError, Passwords, check_new
from .store.accounts_base import NameTakenError
from .store.records import PERSON, Account

log = logging.getLogger("chatroom.accounts")


def account_json(account: Account) -> dict[str, Any]:
    """An account as the API shows it: never its password hash."""
    return {
        "id": account.id,
        "name": account.name,
        "color": account.color,
        "is_admin": account.is_admin and account.active,
        "kind": account.kind,
        "external": account.external,
    }


async def tell_nodes(
    backend: Backend, account_id: int, change: str, session_hash: bytes | None = None
) -> None:
    """Tell every node's open sockets of the account what changed (signed out: closed 4401, renamed).

    The change is stored already: when the other nodes cannot be told, it
    still holds (a signed-out session opens nothing), their sockets are just
    not closed at once, so this is logged rather than refused.
    """
    notice = AccountNotice(account_id, change, session_hash)
    await tell_processes(backend, notice, about=f"account {account_id} being {change}", log=log)


class AccountHandler(JsonHandler):
    """Base of the handlers that sign people in or change accounts: bodies, cookies, passwords."""

    def initialize(
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        setup: SetupState | None = None,
        passwords: Passwords | None = None,
        sign_ins: SignInLimit | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        self.passwords = passwords or Passwords()
        self.sign_ins = sign_ins or SignInLimit(backend)

    def json_body(self, *fields: str, optional: tuple[str, ...] = ()) -> dict[str, str]:
        """The body's string fields: each of ``fields`` required, ``optional`` ones if sent; else 400."""
        try:
            body = orjson.loads(self.request.body or b"null")
        except orjson.JSONDecodeError:
            raise ApiError(400, protocol.BAD_JSON, "the body must be a JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, protocol.BAD_JSON, "the body must be a JSON object")
        unknown = set(body) - set(fields) - set(optional)
        if unknown:
            raise ApiError(400, protocol.BAD_REQUEST, f"unknown field {sorted(unknown)[0]!r}")
        for name in fields:
            if name not in body:
                raise ApiError(400, protocol.BAD_REQUEST, f"the field {name!r} is missing")
        for name, value in body.items():
            if not isinstance(value, str):
                raise ApiError(400, protocol.BAD_REQUEST, f"the field {name!r} must be a string")
        return body

    async def sign_in(self, account: Account) -> None:
        """Start a new session of the account and give this browser its cookie."""
        agent = self.request.headers.get("User-Agent")
        value = await self.unavailable_if_failing(self.authenticator.start_session(account, agent))
        self.set_cookie(
            SESSION_COOKIE,
            value,
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",
            expires_days=COOKIE_MAX_AGE_DAYS,
        )

    def forget_session_cookie(self) -> None:
        self.clear_cookie(SESSION_COOKIE, samesite="Lax", secure=self.request.protocol == "https")

    async def new_password_hash(self, password: str, again: str | None) -> str:
        """The hash of a new password, or 400 (the rules refuse it, or the two typings differ)."""
        try:
            check_new(password)
        except PasswordRuleError as error:
            raise ApiError(400, protocol.BAD_PASSWORD, str(error)) from None
        if again is not None and again != password:
            raise ApiError(400, protocol.PASSWORDS_DIFFER, "the two passwords differ")
        return await self.passwords.hash(password)

    def signed_in(self) -> Identity:
        """Who asks, or 401 (a guest)."""
        if self.who is None:
            raise ApiError(401, protocol.UNAUTHORIZED, "sign in first")
        return self.who

    def own_session(self) -> Identity:
        """Who asks with a session cookie, or 400 (a token or a key has no session to end)."""
        who = self.signed_in()
        if who.via != SESSION or who.session_hash is None:
            raise ApiError(400, protocol.BAD_REQUEST, "this request is not signed in with a session")
        return who


def deactivated() -> ApiError:
    """403 ``account_deactivated``: said to whoever proves to be the account (its password, its reset
    link), and to nobody else."""
    return ApiError(
        403,
        protocol.ACCOUNT_DEACTIVATED,
        "your account has been deactivated: ask an administrator to reactivate it",
    )


class SessionHandler(AccountHandler):
    """``POST /api/session`` signs in (name, password: the session cookie); ``DELETE`` signs out.

    Failed sign-ins are limited per account name and per address
    (limits.SignInLimit); the answer is the same whether or not the name
    belongs to an account, and so is the time it takes (Passwords.verify).
    """

    public_methods = frozenset({"POST"})
    sign_in_form = True

    async def post(self) -> None:
        if await self.setup_required():
            raise ApiError(
                503, protocol.SETUP_REQUIRED, "this server has no administrator yet: see the server's log"
            )
        body = self.json_body("name", "password")
        name_key, address = self._limit_keys(body["name"])
        await self._refuse_if_limited(name_key, address)
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_name(body["name"]))
        stored_hash = account.password_hash if account is not None and not account.is_bot else None
        if account is None or not await self.passwords.verify(stored_hash, body["password"]):
            await self.unavailable_if_failing(self.sign_ins.failed(name_key, address))
            raise ApiError(401, protocol.BAD_CREDENTIALS, "the name or the password is wrong")
        await self.unavailable_if_failing(self.sign_ins.succeeded(name_key))
        if not account.active:
            # Said only to whoever gave the right password: a wrong one was answered above as for anyone.
            raise deactivated()
        await self._upgrade_hash(account, body["password"])
        await self.sign_in(account)
        self.send_json({"account": account_json(account)})

    async def delete(self) -> None:
        who = self.own_session()
        assert who.session_hash is not None
        await self.unavailable_if_failing(self.backend.accounts.revoke_session(who.session_hash))
        await self.unavailable_if_failing(
            tell_nodes(self.backend, who.account_id, SIGNED_OUT, who.session_hash)
        )
        self.forget_session_cookie()
        self.send_json({"signed_out": 1})

    def _limit_keys(self, raw_name: str) -> tuple[str, str]:
        """Whom the sign-in limits count: the name's key (look-alikes are one name) and the address."""
        try:
            name_key = nick_key(normalize_nick(raw_name))
        except BadNameError:
            name_key = raw_name[:64].casefold()
        return name_key, address_key(self.request.remote_ip or "")

    async def _refuse_if_limited(self, name_key: str, address: str) -> None:
        wait = await self.unavailable_if_failing(self.sign_ins.wait(name_key, address))
        if wait > 0:
            minutes = math.ceil(wait / 60)
            raise ApiError(
                429,
                protocol.RATE_LIMITED,
                f"too many failed sign-ins: try again in {minutes} minute{'s' if minutes > 1 else ''}",
                {"Retry-After": str(math.ceil(wait))},
            )

    async def _upgrade_hash(self, account: Account, password: str) -> None:
        """Hash the password again when its hash was made with older parameters."""
        if account.password_hash is None or not self.passwords.needs_rehash(account.password_hash):
            return
        try:
            new_hash = await self.passwords.hash(password)
        except PasswordRuleError:
            return  # a password from before today's rules: kept until its owner changes it
        await self.unavailable_if_failing(self.backend.accounts.set_password_hash(account.id, new_hash))


class SignOutEverywhereHandler(AccountHandler):
    """``POST /api/session/everywhere``: end every session of the account, this one included."""

    async def post(self) -> None:
        who = self.signed_in()
        ended = await self.unavailable_if_failing(self.backend.accounts.revoke_sessions_of(who.account_id))
        await tell_nodes(self.backend, who.account_id, SIGNED_OUT_EVERYWHERE)
        self.forget_session_cookie()
        self.send_json({"signed_out": ended})


class MeHandler(AccountHandler):
    """``GET /api/me``: one's account, and whether it has an avatar.

    ``PATCH``: a new name, a new password (with the current one).

    ``PATCH {"password", "current_password", "sign_out_others": "yes"}``
    also ends every other session (this browser gets a new one).
    """

    # Whether the other sessions were ended: their sockets are told once the answer is out, so
    # that this browser's own (of its session before) come back with the new cookie.
    others_signed_out = False

    async def get(self) -> None:
        who = self.signed_in()
        avatar = await self.unavailable_if_failing(self.backend.files.avatar(who.account_id))
        # Whether one has an avatar: the page offers to remove it (anyone's is at /avatars/{name}).
        self.send_json({"account": {**account_json(who.account), "avatar": avatar is not None}})

    async def patch(self) -> None:
        who = self.signed_in()
        if who.account.kind != PERSON or who.account.external:
            raise ApiError(
                403, protocol.FORBIDDEN, "only a person signed in with a password changes their account here"
            )
        body = self.json_body(
            optional=("name", "password", "password_again", "current_password", "sign_out_others")
        )
        account = who.account
        if "password" in body:
            account = await self._change_password(who, body)
        if "name" in body:
            account = await self._rename(account, body["name"])
        self.send_json({"account": account_json(account)})
        if self.others_signed_out:
            await tell_nodes(self.backend, who.account_id, PASSWORD_CHANGED, who.session_hash)

    async def _change_password(self, who: Identity, body: dict[str, str]) -> Account:
        name_key, address = who.account.name_key, address_key(self.request.remote_ip or "")
        wait = await self.unavailable_if_failing(self.sign_ins.wait(name_key, address))
        if wait > 0:
            raise ApiError(
                429,
                protocol.RATE_LIMITED,
                "too many wrong passwords: try again later",
                {"Retry-After": str(math.ceil(wait))},
            )
        # Who asks is held without the hash (identity.Identity): the store has it.
        stored = await self.unavailable_if_failing(self.backend.accounts.account_by_id(who.account_id))
        stored_hash = stored.password_hash if stored is not None else None
        if not await self.passwords.verify(stored_hash, body.get("current_password", "")):
            await self.unavailable_if_failing(self.sign_ins.failed(name_key, address))
            raise ApiError(403, protocol.BAD_CREDENTIALS, "the current password is wrong")
        new_hash = await self.new_password_hash(body["password"], body.get("password_again"))
        accounts = self.backend.accounts
        await self.unavailable_if_failing(accounts.set_password_hash(who.account_id, new_hash))
        if body.get("sign_out_others"):
            await self.unavailable_if_failing(accounts.revoke_sessions_of(who.account_id))
            await self.sign_in(who.account)
            self.others_signed_out = True
        return who.account

    async def _rename(self, account: Account, name: str) -> Account:
        try:
            renamed = await self.unavailable_if_failing(
                self.backend.accounts.rename_account(account.id, name)
            )
        except BadNameError as error:
            raise ApiError(400, protocol.BAD_NAME, str(error)) from None
        except NameTakenError as error:
            raise ApiError(409, protocol.NAME_TAKEN, str(error)) from None
        if renamed is None:
            raise ApiError(401, protocol.UNAUTHORIZED, "this account no longer exists")
        if renamed.name != account.name:
            await tell_nodes(self.backend, account.id, RENAMED)
            await tell_groups_of(self.backend, account.id)
        return renamed
