"""The export's lines of accounts: an ``account``, its ``bot_key``s, ``former_name``s and ``webhook``, and
the ``setting``s an administrator stored; each written from its record and read back, checked on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .export_fields import record_line as _line
from .names import BadNameError, nick_key, normalize_nick
from .store.records import ACCOUNT_KINDS, Account, BotKey, BotWebhook, FormerName, ServerSetting

AccountRecord = Account | BotKey | BotWebhook | FormerName | ServerSetting


def account_line(account: Account) -> bytes:
    """The line of one account, its password hash included (the file is as secret as the database)."""
    return _line(
        {
            "type": "account",
            "id": account.id,
            "name": account.name,
            "kind": account.kind,
            "admin": account.is_admin,
            "external": account.external,
            "password_hash": account.password_hash,
            "color": account.color,
            "created_at": account.created_at,
            "deactivated_at": account.deactivated_at,
        }
    )


def bot_key_line(key: BotKey) -> bytes:
    """The line of one bot key: its SHA-256, in hex (the key itself is nowhere)."""
    return _line(
        {
            "type": "bot_key",
            "account": key.account_id,
            "key_hash": key.key_hash.hex(),
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
        }
    )


def webhook_line(webhook: BotWebhook) -> bytes:
    """The line of a bot's webhook address."""
    return _line({"type": "webhook", "account": webhook.account_id, "url": webhook.url})


def former_name_line(former: FormerName) -> bytes:
    """The line of a name an account was renamed from."""
    return _line({"type": "former_name", "account": former.account_id, "name": former.name})


def setting_line(setting: ServerSetting) -> bytes:
    """The line of a setting an administrator stored."""
    return _line({"type": "setting", "name": setting.name, "value": setting.value})


# --- reading ----------------------------------------------------------------------


def _normal_name(fields: _Fields) -> str:
    """The record's ``name``, refused unless it is a valid name in its normal form."""
    name = fields.text("name")
    try:
        normalized = normalize_nick(name)
    except BadNameError as error:
        raise fields.fail(f"'name' {name!r}: {error}") from None
    if normalized != name:
        raise fields.fail(f"'name' {name!r} is not in its normal form ({normalized!r})")
    return name


def _account(fields: _Fields) -> Account:
    name = _normal_name(fields)
    return Account(
        id=fields.whole("id", 1, MAX_ID),
        name=name,
        name_key=nick_key(name),
        kind=fields.choice("kind", ACCOUNT_KINDS),
        is_admin=fields.flag("admin"),
        external=fields.flag("external"),
        password_hash=fields.optional_text("password_hash"),
        color=fields.text("color"),
        created_at=fields.whole("created_at", 0, MAX_TS),
        deactivated_at=fields.time("deactivated_at"),
    )


def _former_name(fields: _Fields) -> FormerName:
    return FormerName(account_id=fields.whole("account", 1, MAX_ID), name=_normal_name(fields))


def _bot_key(fields: _Fields) -> BotKey:
    return BotKey(
        key_hash=fields.digest("key_hash"),
        account_id=fields.whole("account", 1, MAX_ID),
        created_at=fields.whole("created_at", 0, MAX_TS),
        revoked_at=fields.time("revoked_at"),
    )


def _webhook(fields: _Fields) -> BotWebhook:
    return BotWebhook(account_id=fields.whole("account", 1, MAX_ID), url=fields.text("url"))


def _setting(fields: _Fields) -> ServerSetting:
    return ServerSetting(name=fields.text("name"), value=fields.text("value"))


READERS: dict[str, Callable[[_Fields], AccountRecord]] = {
    "account": _account,
    "bot_key": _bot_key,
    "webhook": _webhook,
    "former_name": _former_name,
    "setting": _setting,
}
