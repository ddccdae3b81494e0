"""Administration on the database directly: create people and bots, issue reset links, deactivate and
reactivate accounts, sign people out everywhere, make administrators or take it back, list accounts.

What ``python -m chatroom admin`` does, without its terminal: cli.py reads
the password and prints. Works with or without a server running on the same
database: everything goes through the store and its rules (names unique up
to look-alikes, secrets stored hashed).

Deactivating, or signing out everywhere, ends the account's sessions in the
store, so a running server refuses them at their next request or connection.
Nothing here reaches a running server's processes: each reads the moderation
history every few seconds and acts on these acts as on the panel's
(acts_watch.py), closing a deactivated or signed-out account's open
connections and marking an administrator.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from . import bots
from .clock import now_ms
from .config import Settings
from .links import issue_reset_link
from .moderation import audit, keep_act, sessions_ended
from .passwords import Passwords
from .store import open_store
from .store.accounts_base import AccountStore
from .store.acts_base import DEACTIVATE, MAKE_ADMIN, REACTIVATE, REMOVE_ADMIN, SIGN_OUT, ModerationAct
from .store.base import Store
from .store.records import PERSON, Account

# Who did an act of the command line, in the log and the moderation history (it has no account).
COMMAND_LINE = "the command line"

LIST_PAGE = 500


class AdminError(Exception):
    """The database cannot do what was asked as it stands (no such account, say); ``str()`` says why."""


@contextlib.asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Store]:
    """The started store the settings name, closed afterwards (StoreError when it cannot be used)."""
    store = open_store(
        settings.database, sqlite_synchronous=settings.sqlite_synchronous, files_dir=settings.files_dir
    )
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def create_user(settings: Settings, name: str, password: str, *, admin: bool = False) -> Account:
    """A new person's account with that password.

    PasswordRuleError (before the database is opened), BadNameError, NameTakenError.
    """
    hasher = Passwords()
    try:
        password_hash = await hasher.hash(password)
    finally:
        hasher.close()
    async with opened(settings) as store:
        return await store.accounts.create_account(name, PERSON, is_admin=admin, password_hash=password_hash)


async def create_bot(settings: Settings, name: str, rooms: Sequence[str] = ()) -> tuple[Account, str]:
    """A new bot account, a member of ``rooms`` (open ones made if missing), and its API key.

    Only the key's hash is kept.
    """
    async with opened(settings) as store:
        return await bots.create_bot(store.accounts, name, rooms)


async def reset_link(settings: Settings, name: str, url: str) -> tuple[Account, str, int]:
    """A one-time link for the account to choose a new password, and when it expires (ms).

    The account's earlier reset links stop working. AdminError for a name
    without an account, a bot, or a deactivated account.
    """
    async with opened(settings) as store:
        account = await _person_named(store.accounts, name, "it has API keys, not a password")
        if not account.active:
            raise AdminError(f"{account.name!r} is deactivated: reactivate it first")
        link, expires_at = await issue_reset_link(store.accounts, account, url)
    return account, link, expires_at


async def set_active(settings: Settings, name: str, *, active: bool) -> tuple[Account, bool]:
    """Reactivate the named account, or deactivate it (its sessions end; a bot's keys stop working);
    the account as it is now, and whether this changed it. Logged to ``chatroom.moderation`` as the
    page's acts are.

    AdminError for a name without an account, or for deactivating the last active administrator
    (the server would be waiting for its setup again).
    """
    async with opened(settings) as store:
        accounts = store.accounts
        account = await accounts.account_by_name(name)
        if account is None:
            raise AdminError(f"there is no account named {name!r}")
        if account.active == active:
            return account, False
        if active:
            await accounts.reactivate_account(account.id)
        else:
            await _refuse_last_administrator(accounts, account)
            await accounts.deactivate_account(account.id)
        changed = await accounts.account_by_id(account.id)
        assert changed is not None
        act = ModerationAct(
            REACTIVATE if active else DEACTIVATE, now_ms(), COMMAND_LINE, changed.name, None, changed.id
        )
        await keep_act(accounts, act)
    done = "reactivated" if active else "deactivated"
    audit.info("%s %s the account %r (id %d)", COMMAND_LINE, done, changed.name, changed.id)
    return changed, True


async def sign_out(settings: Settings, name: str) -> tuple[Account, int]:
    """End every session of the named person (a lost device, a password someone else saw); the account
    and how many sessions ended. Logged and kept in the history as the panel's sign-out is.

    AdminError for a name without an account, or a bot (it has keys, not sessions).
    """
    async with opened(settings) as store:
        accounts = store.accounts
        account = await _person_named(accounts, name, "it has API keys, not sessions")
        ended = await accounts.revoke_sessions_of(account.id)
        detail = sessions_ended(ended)
        await keep_act(
            accounts,
            ModerationAct(SIGN_OUT, now_ms(), COMMAND_LINE, account.name, None, account.id, detail=detail),
        )
    audit.info(
        "%s signed the account %r (id %d) out everywhere: %s", COMMAND_LINE, account.name, account.id, detail
    )
    return account, ended


async def set_administrator(settings: Settings, name: str, *, admin: bool) -> tuple[Account, bool]:
    """Make the named person an administrator, or no longer one; the account as it is now, and whether
    this changed it. Logged to ``chatroom.moderation`` and kept in the history as the panel's acts are.

    AdminError for a name without an account, a bot (only people administer), a deactivated account
    made one, or the last active administrator unmade (the server would wait for its setup again).
    """
    async with opened(settings) as store:
        accounts = store.accounts
        account = await _person_named(accounts, name, "only people administer")
        if account.is_admin == admin:
            return account, False
        if admin and not account.active:
            raise AdminError(f"{account.name!r} is deactivated: reactivate it first")
        if not admin:
            await _refuse_last_administrator(accounts, account)
        await accounts.set_admin(account.id, admin)
        kind = MAKE_ADMIN if admin else REMOVE_ADMIN
        await keep_act(accounts, ModerationAct(kind, now_ms(), COMMAND_LINE, account.name, None, account.id))
        changed = await accounts.account_by_id(account.id)
        assert changed is not None
    done = "made %r an administrator" if admin else "took the administration from %r"
    audit.info("%s " + done + " (id %d)", COMMAND_LINE, changed.name, changed.id)
    return changed, True


async def _person_named(accounts: AccountStore, name: str, why_not_a_bot: str) -> Account:
    """The named person's account; AdminError for a name without one, or a bot's (``why_not_a_bot``)."""
    account = await accounts.account_by_name(name)
    if account is None:
        raise AdminError(f"there is no account named {name!r}")
    if account.is_bot:
        raise AdminError(f"{account.name!r} is a bot: {why_not_a_bot}")
    return account


async def _refuse_last_administrator(accounts: AccountStore, account: Account) -> None:
    if not account.is_admin or account.is_bot:
        return
    after = 0
    while page := await accounts.list_accounts(after_id=after, limit=LIST_PAGE):
        if any(
            other.is_admin and other.active and not other.is_bot and other.id != account.id for other in page
        ):
            return
        after = page[-1].id
    raise AdminError(
        f"{account.name!r} is the last active administrator: make another first"
        " (admin make-admin NAME, or admin create-user NAME --admin)"
    )


async def list_users(settings: Settings) -> list[Account]:
    """Every account, in id order."""
    accounts: list[Account] = []
    async with opened(settings) as store:
        while page := await store.accounts.list_accounts(
            after_id=accounts[-1].id if accounts else 0, limit=LIST_PAGE
        ):
            accounts += page
    return accounts
