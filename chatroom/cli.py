"""The command line: argv to Settings to a server, and the export, import and admin commands.

The one place that reads sys.argv, prints to the terminal or exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import getpass
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, NoReturn

from . import admin
from .bots import BotError
from .command_flags import AdminOptions, parse_admin, parse_transfer
from .flags import parse_settings
from .moderation import sessions_ended
from .names import BadNameError, normalize_nick
from .passwords import PasswordRuleError, check_new
from .store import sqlite_path
from .store.accounts_base import RefusedError
from .store.base import StoreError

# The server's modules and the export's are imported by the commands that run
# them: an admin command loads neither, nor a server the export's.


def configure_logging(level: str) -> None:
    """Log lines to stderr, one event a line."""
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if level != "debug":
        # The PostgreSQL pool warns at every reconnection attempt, libpq's message over two lines;
        # chatroom.store says once that the store cannot be written, and once that it can again.
        logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


def fail(message: str, status: int) -> NoReturn:
    """Print one line to stderr and exit."""
    print(f"chatroom: error: {message}", file=sys.stderr)
    sys.exit(status)


def say(message: str) -> None:
    """Print one line to stderr (standard output may be carrying an export)."""
    print(f"chatroom: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m chatroom [export|import|admin] [flags]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        COMMANDS[args[0]](args[1:])
    else:
        run_server(args)


def run_server(argv: Sequence[str]) -> None:
    """``python -m chatroom [flags]``: serve until a stop signal."""
    from .backend import StartupError
    from .server import serve
    from .workers import WorkerPool

    settings = parse_settings(argv)
    configure_logging(settings.log_level)
    try:
        if settings.processes > 1:
            sys.exit(WorkerPool(settings).run())
        asyncio.run(serve(settings))
    except StartupError as error:
        fail(str(error), 1)
    except KeyboardInterrupt:
        pass


def run_export(argv: Sequence[str]) -> None:
    """``python -m chatroom export``: the database's accounts, rooms and messages as JSON Lines."""
    from .export import export_database

    options = parse_transfer("export", argv)
    configure_logging("warning")
    _require_database(options.settings.database)
    try:
        with _output(options.path) as out:
            summary = asyncio.run(export_database(options.settings, out))
    except StoreError as error:
        fail(str(error), 1)
    except BrokenPipeError:
        # Whoever read standard output stopped early: the export is not whole.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        fail("the output was closed before the export was written whole", 1)
    except OSError as error:
        fail(f"cannot write {options.path or 'standard output'}: {error.strerror or error}", 1)
    except KeyboardInterrupt:
        fail("interrupted: the export is not whole", 130)
    say(f"exported {summary.messages} messages in {summary.rooms} rooms, and {summary.accounts} accounts")


def run_import(argv: Sequence[str]) -> None:
    """``python -m chatroom import``: store an export's accounts, rooms and messages into a database."""
    from .export import ExportFileError, ImportRefusedError, import_database

    options = parse_transfer("import", argv)
    configure_logging("warning")
    source_name = options.path or "standard input"
    try:
        with _input(options.path) as source:
            summary = asyncio.run(import_database(options.settings, source, keep_epoch=options.keep_epoch))
    except ExportFileError as error:
        fail(f"{source_name}, {error}", 2)
    except (StoreError, ImportRefusedError) as error:
        fail(str(error), 1)
    except OSError as error:
        fail(f"cannot read {source_name}: {error.strerror or error}", 1)
    except KeyboardInterrupt:
        fail("interrupted: the import is not whole", 130)
    epoch = "the export's epoch" if options.keep_epoch else "the database's own epoch"
    say(
        f"imported {summary.messages} messages in {summary.rooms} rooms, and {summary.accounts} accounts,"
        f" with {epoch}"
    )


def run_admin(argv: Sequence[str]) -> None:
    """``python -m chatroom admin ACTION``: accounts, bots and reset links, on the database directly."""
    options = parse_admin(argv)
    configure_logging("warning")
    # An act on someone's account leaves its line, as the page's acts do in the server's log.
    logging.getLogger("chatroom.moderation").setLevel(logging.INFO)
    try:
        ADMIN_ACTIONS[options.action](options)
    except (BadNameError, PasswordRuleError, RefusedError, admin.AdminError, BotError) as error:
        fail(str(error), 2)
    except StoreError as error:
        fail(str(error), 1)
    except KeyboardInterrupt:
        fail("interrupted", 130)


def _create_user(options: AdminOptions) -> None:
    assert options.name is not None
    name = normalize_nick(options.name)
    password = _new_password(name)
    account = asyncio.run(admin.create_user(options.settings, name, password, admin=options.admin))
    print(f"created {'administrator' if account.is_admin else 'account'} {account.name}")


def _new_password(name: str) -> str:
    """The new password: asked twice, hidden, on a terminal; else the first line of standard input."""
    if sys.stdin.isatty():
        password = check_new(getpass.getpass(f"Password for {name}: "))
        if getpass.getpass("The same password again: ") != password:
            fail("the two passwords differ", 2)
        return password
    line = sys.stdin.readline()
    if not line:
        fail("no password on standard input: pipe one line, or run on a terminal", 2)
    return check_new(line.removesuffix("\n").removesuffix("\r"))


def _create_bot(options: AdminOptions) -> None:
    assert options.name is not None
    bot, key = asyncio.run(admin.create_bot(options.settings, options.name, options.rooms))
    rooms = f", a member of {', '.join(options.rooms)}" if options.rooms else ""
    say(f"created bot {bot.name}{rooms}; its API key follows, shown this once (only its hash is kept)")
    print(key)


def _reset_link(options: AdminOptions) -> None:
    assert options.name is not None
    _require_database(options.settings.database)
    account, link, expires_at = asyncio.run(admin.reset_link(options.settings, options.name, options.url))
    until = datetime.datetime.fromtimestamp(expires_at / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    say(f"a new password for {account.name}: the link works once, until {until}")
    print(link)


def _deactivate(options: AdminOptions) -> None:
    _set_active(options, active=False)


def _reactivate(options: AdminOptions) -> None:
    _set_active(options, active=True)


def _set_active(options: AdminOptions, *, active: bool) -> None:
    assert options.name is not None
    _require_database(options.settings.database)
    account, changed = asyncio.run(admin.set_active(options.settings, options.name, active=active))
    if not changed:
        print(f"{account.name} is {'active' if active else 'deactivated'} already")
    elif active:
        print(f"reactivated {account.name}: it may sign in again")
    else:
        print(f"deactivated {account.name}: signed out everywhere, it cannot sign in")


def _sign_out(options: AdminOptions) -> None:
    assert options.name is not None
    _require_database(options.settings.database)
    account, ended = asyncio.run(admin.sign_out(options.settings, options.name))
    print(f"signed {account.name} out everywhere: {sessions_ended(ended)}")


def _make_admin(options: AdminOptions) -> None:
    _set_administrator(options, make=True)


def _remove_admin(options: AdminOptions) -> None:
    _set_administrator(options, make=False)


def _set_administrator(options: AdminOptions, *, make: bool) -> None:
    assert options.name is not None
    _require_database(options.settings.database)
    account, changed = asyncio.run(admin.set_administrator(options.settings, options.name, admin=make))
    if not changed:
        print(f"{account.name} is {'an administrator' if make else 'no administrator'} already")
    elif make:
        print(f"made {account.name} an administrator")
    else:
        print(f"{account.name} is no longer an administrator")


def _list_users(options: AdminOptions) -> None:
    _require_database(options.settings.database)
    for account in asyncio.run(admin.list_users(options.settings)):
        marks = [account.kind]
        marks += ["administrator"] if account.is_admin else []
        marks += ["external"] if account.external else []
        marks += ["deactivated"] if not account.active else []
        print(f"{account.id:>6}  {account.name:<32}  {', '.join(marks)}")


def _require_database(database: str) -> None:
    """Exit 1 unless the SQLite file exists: reading a database must not create an empty one."""
    path = sqlite_path(database)
    if path is not None and not Path(path).exists():
        fail(f"there is no database at {path}", 1)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[bytes]]:
    """Standard output, or a file that appears only once written whole (mode 0600: it holds chats);
    a path that is not a regular file (a pipe, a device) is written into as it is."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if Path(path).exists() and not Path(path).is_file():
        # A pipe, a terminal, /dev/null: written into; renaming a file over it would take its place.
        with open(path, "wb") as stream:
            yield stream
        return
    target = Path(os.path.realpath(path))  # through a symbolic link, which stays one
    partial = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed or removed below
        dir=target.parent, prefix=f".{target.name}.", suffix=".partial", delete=False
    )
    try:
        with partial:
            yield partial
        os.replace(partial.name, target)
    except BaseException:
        Path(partial.name).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _input(path: str | None) -> Iterator[IO[bytes]]:
    """The file, or standard input; an import reads its input twice, so a pipe is kept in a temporary file."""
    if path is None:
        with _rereadable(sys.stdin.buffer) as source:
            yield source
        return
    with open(path, "rb") as opened, _rereadable(opened) as source:
        yield source


@contextlib.contextmanager
def _rereadable(stream: IO[bytes]) -> Iterator[IO[bytes]]:
    """The stream itself when it can be read again from its start; else a temporary copy (a pipe's)."""
    if stream.seekable():
        yield stream
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(stream, spool)
        spool.seek(0)
        yield spool


ADMIN_ACTIONS: dict[str, Callable[[AdminOptions], None]] = {
    "create-user": _create_user,
    "create-bot": _create_bot,
    "reset-link": _reset_link,
    "deactivate": _deactivate,
    "reactivate": _reactivate,
    "sign-out": _sign_out,
    "make-admin": _make_admin,
    "remove-admin": _remove_admin,
    "list-users": _list_users,
}
COMMANDS: dict[str, Callable[[Sequence[str]], None]] = {
    "export": run_export,
    "import": run_import,
    "admin": run_admin,
}

__all__ = ["main", "parse_settings"]
