"""Who is asking: an account signed in with a session cookie, a JWT or a bot key; or nobody (a guest).

Every path (the chat socket, the JSON API, the pages) asks an Authenticator
the same question with what the request carries, in this order:

1. ``Authorization: Bearer <credentials>``: a JWT under --jwt-secret (three
   dot-separated parts), otherwise a bot's API key;
2. a ``token`` query argument (a JWT, as version 1 sends it on /ws);
3. the session cookie, signed with a secret every node shares (kept in the
   store), whose value is a session id the store knows by its hash.

Credentials that were sent and do not hold (a bad key, an expired token, a
JWT naming a bot) are refused with IdentityError: the request never falls
back to being a guest. A cookie that no longer holds (signed out, expired,
deactivated) is simply no identity: the browser is sent to sign in again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from dataclasses import dataclass

import tornado.web

from . import auth, protocol
from .config import Settings
from .protocol import ProtocolError
from .store.accounts_base import AccountStore, NameTakenError
from .store.records import PERSON, Account
from .tokens import new_token, token_hash

SESSION_COOKIE = "chatroom_session"
# The store's name for the secret that signs session cookies.
COOKIE_SECRET = "cookie_secret"
# Signed cookies older than this are refused whatever the store says; the
# store ends idle sessions sooner (records.SESSION_IDLE_MS).
COOKIE_MAX_AGE_DAYS = 400

# A token whose sub looks like an account's name without being it (docs/security.md, "Tokens").
_LOOK_ALIKE_SUB = "the token's sub is too like another account's name"

# How an identity was established.
SESSION = "session"
JWT = "jwt"
BOT_KEY = "bot_key"
# A signed file link (file_links.py): one file, for a while, as its account.
FILE_LINK = "file_link"


class IdentityError(Exception):
    """Credentials were sent and do not let their bearer in; ``str()`` says why, without the secret."""


@dataclass(frozen=True, slots=True)
class Identity:
    """An account and how it proved itself (for a session: which one, so it can be ended).

    The account is held without its password hash: a connection may last
    for days, and needs neither the hash nor the memory it takes.
    """

    account: Account
    via: str
    session_hash: bytes | None = None

    def __post_init__(self) -> None:
        if self.account.password_hash is not None:
            object.__setattr__(self, "account", dataclasses.replace(self.account, password_hash=None))

    @property
    def account_id(self) -> int:
        return self.account.id

    @property
    def name(self) -> str:
        """The account's name: its nick in every frame."""
        return self.account.name

    @property
    def is_admin(self) -> bool:
        return self.account.is_admin and self.account.active

    @property
    def is_bot(self) -> bool:
        return self.account.is_bot


def looks_like_jwt(credentials: str) -> bool:
    """Whether bearer credentials have a JWT's shape (a bot key is one URL-safe base64 word)."""
    return credentials.count(".") == 2


class Authenticator:
    """Finds the identity behind a request's credentials; starts and ends sessions."""

    def __init__(self, settings: Settings, accounts: AccountStore) -> None:
        self.settings = settings
        self.accounts = accounts
        self._secret: str | None = None
        self._secret_lock = asyncio.Lock()

    async def cookie_secret(self) -> str:
        """The secret that signs session cookies: made at first run, the same on every node."""
        if self._secret is None:
            async with self._secret_lock:
                if self._secret is None:
                    self._secret = await self.accounts.get_or_create_secret(
                        COOKIE_SECRET, lambda: secrets.token_urlsafe(48)
                    )
        return self._secret

    async def identify(
        self, authorization: str | None, query_token: str | None, cookie: str | None
    ) -> Identity | None:
        """The identity the credentials prove; None when none were sent (or the cookie lapsed)."""
        bearer = auth.bearer_credentials(authorization)
        if bearer is not None:
            return await self._from_bearer(bearer)
        if query_token:
            return await self._from_jwt(query_token)
        if cookie:
            return await self._from_cookie(cookie)
        return None

    async def _from_bearer(self, credentials: str) -> Identity:
        if self.settings.jwt_secret is not None and looks_like_jwt(credentials):
            return await self._from_jwt(credentials)
        if not credentials:
            raise IdentityError("the Authorization header carries no credentials")
        bot = await self.accounts.bot_key_account(token_hash(credentials))
        if bot is None:
            raise IdentityError("the key is not valid (unknown, revoked, or its bot is deactivated)")
        return Identity(bot, BOT_KEY)

    async def _from_jwt(self, token: str) -> Identity:
        secret = self.settings.jwt_secret
        if secret is None:
            raise IdentityError("this server does not take tokens")
        try:
            subject = protocol.normalize_nick(auth.verify_token(token, secret))
        except auth.AuthError as error:
            raise IdentityError(f"the token is not valid: {error}") from None
        except ProtocolError as error:
            raise IdentityError(f"the token's sub is not a valid name: {error.message}") from None
        account = await self._external_account(subject)
        if account.is_bot:
            raise IdentityError("a token cannot speak for a bot: bots use their API key")
        if not account.active:
            raise IdentityError("the account is deactivated")
        return Identity(account, JWT)

    async def _external_account(self, name: str) -> Account:
        """The account a token's ``sub`` names, created (marked external) on first sight.

        Only the account of exactly that name: names clash when they look
        alike (``ALICE``, ``a1ice``, ``аlice`` with a Cyrillic а are all
        ``alice``'s), but an application that signs tokens may hold those as
        different people, and a look-alike must not open another's rooms.
        """
        account = await self.accounts.account_by_name(name)
        if account is not None:
            if account.name != name:
                raise IdentityError(_LOOK_ALIKE_SUB)
            return account
        try:
            return await self.accounts.create_account(name, PERSON, external=True)
        except NameTakenError:
            # Another request (or node) created it a moment ago: the same person.
            account = await self.accounts.account_by_name(name)
            if account is None or account.name != name:
                raise IdentityError(_LOOK_ALIKE_SUB) from None
            return account

    async def _from_cookie(self, cookie: str) -> Identity | None:
        session_id = tornado.web.decode_signed_value(
            await self.cookie_secret(), SESSION_COOKIE, cookie, max_age_days=COOKIE_MAX_AGE_DAYS
        )
        if session_id is None:
            return None
        id_hash = token_hash(session_id.decode("ascii", errors="replace"))
        account = await self.accounts.session_account(id_hash)
        if account is None:
            return None
        return Identity(account, SESSION, id_hash)

    async def start_session(self, account: Account, agent: str | None = None) -> str:
        """A new session of the account (a new id at every sign-in), begun by a browser sending ``agent``
        as its User-Agent: the signed cookie value to set."""
        session_id = new_token()
        await self.accounts.create_session(account.id, token_hash(session_id), agent)
        signed = tornado.web.create_signed_value(await self.cookie_secret(), SESSION_COOKIE, session_id)
        return signed.decode("ascii")
