"""The flags of the commands beside the server: export, import and admin.

Each takes ``--database`` (or CHATROOM_DATABASE) like the server; export and
import take ``--files-dir`` (or CHATROOM_FILES_DIR) too, so that a deployment
whose files are kept elsewhere than beside its database carries them; nothing
else comes from the environment.
"""

from __future__ import annotations

import argparse
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from .arguments import ArgumentParser
from .config import Settings
from .flags import add_database, environment, environment_defaults, non_empty
from .store import is_private_database

DEFAULT_URL = "http://127.0.0.1:8888"
ADMIN_ACTIONS = {
    "create-user": "create a person's account; the password is read from standard input"
    " (twice and hidden on a terminal, one line from a pipe)",
    "create-bot": "create a bot account and print its API key, this once; --room puts it in rooms",
    "reset-link": "print a link that lets an account choose a new password (once, within 24 hours)",
    "deactivate": "deactivate an account: its sessions end and it cannot sign in; its messages stay",
    "reactivate": "let a deactivated account sign in again",
    "sign-out": "end every session of a person (a lost device): each signs in again with the password",
    "make-admin": "make a person an administrator of the server",
    "remove-admin": "make an administrator a person like any other (not the last active one)",
    "list-users": "list the accounts",
}


@dataclass(frozen=True)
class TransferOptions:
    """An export or an import: its settings (the database), its file, and whether to keep the epoch."""

    settings: Settings
    # None: standard output for an export, standard input for an import.
    path: str | None
    keep_epoch: bool = False


def add_files_dir(parser: ArgumentParser) -> None:
    """--files-dir, as the server takes it: where the database's uploaded files are kept."""
    parser.add_argument(
        "--files-dir",
        type=non_empty,
        default=Settings().files_dir,
        help="where the database's uploaded files are kept, as given to the server (default: beside"
        " the SQLite file, <database>.files; with PostgreSQL, in the database)",
    )


def build_transfer_parser(command: str) -> ArgumentParser:
    """The flags of ``chatroom export`` or ``chatroom import``."""
    if command == "export":
        parser = ArgumentParser(
            prog="chatroom export",
            description="Write the database's accounts, rooms and messages as JSON Lines"
            " (docs/storage.md has the format). The file holds password hashes: keep it private.",
        )
        add_database(parser)
        add_files_dir(parser)
        parser.add_argument(
            "--output",
            "-o",
            type=non_empty,
            default=None,
            help="the file to write, whole or not at all (default: standard output)",
        )
        return parser
    parser = ArgumentParser(
        prog="chatroom import",
        description="Store an export's accounts, rooms and messages, with their ids and times,"
        " into a database that does not have them yet (a new one, say).",
    )
    add_database(parser)
    add_files_dir(parser)
    parser.add_argument(
        "--input", "-i", type=non_empty, default=None, help="the export to read (default: standard input)"
    )
    parser.add_argument(
        "--keep-epoch",
        action="store_true",
        help="take the export's epoch, so that clients keep their place (a move to another database);"
        " the database must hold no message",
    )
    return parser


def parse_transfer(
    command: str, argv: Sequence[str], environ: dict[str, str] | None = None
) -> TransferOptions:
    """An export's or import's options: flags over CHATROOM_DATABASE and CHATROOM_FILES_DIR over defaults."""
    parser = build_transfer_parser(command)
    environ = environment() if environ is None else environ
    parser.set_defaults(**environment_defaults(parser, environ, only=("database", "files_dir")))
    args = parser.parse_args(argv)
    if is_private_database(args.database):
        parser.error("argument --database: :memory: holds nothing: name a SQLite file or postgresql://")
    path = args.output if command == "export" else args.input
    return TransferOptions(
        Settings(database=args.database, files_dir=args.files_dir), path, getattr(args, "keep_epoch", False)
    )


@dataclass(frozen=True)
class AdminOptions:
    """An administration command: what to do, on which database, to whom."""

    action: str
    settings: Settings
    # The account's name (None for list-users).
    name: str | None = None
    admin: bool = False
    url: str = DEFAULT_URL
    # The rooms a new bot posts in.
    rooms: tuple[str, ...] = ()


def base_url(text: str) -> str:
    """An argparse type: the server's address as people open it, http(s)://host[:port][/path]."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL like https://chat.example.com")
    return text.rstrip("/")


def build_admin_parser() -> ArgumentParser:
    """The flags of ``chatroom admin ACTION``."""
    parser = ArgumentParser(
        prog="chatroom admin",
        description="Manage accounts on the database directly, with or without a server running.",
    )
    actions = parser.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=ArgumentParser
    )
    for action, summary in ADMIN_ACTIONS.items():
        command = actions.add_parser(action, help=summary, description=summary[0].upper() + summary[1:] + ".")
        if action != "list-users":
            command.add_argument("name", metavar="NAME", help="the account's name")
        add_database(command)
        if action == "create-user":
            command.add_argument("--admin", action="store_true", help="make the account an administrator")
        if action == "create-bot":
            command.add_argument(
                "--room",
                action="append",
                default=[],
                metavar="ROOM",
                help="a room the bot posts in (an open room is made if there is none); may be repeated",
            )
        if action == "reset-link":
            command.add_argument(
                "--url",
                type=base_url,
                default=DEFAULT_URL,
                help=f"the server's address as people open it (default {DEFAULT_URL})",
            )
    return parser


def parse_admin(argv: Sequence[str], environ: dict[str, str] | None = None) -> AdminOptions:
    """An administration command's options from its flags over CHATROOM_DATABASE over the default."""
    parser = build_admin_parser()
    environ = environment() if environ is None else environ
    actions = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in actions.choices.values():
        command.set_defaults(**environment_defaults(command, environ, only=("database", "files_dir")))
    args = parser.parse_args(argv)
    if is_private_database(args.database):
        actions.choices[args.action].error(
            "argument --database: :memory: holds nothing: name a SQLite file or postgresql://"
        )
    return AdminOptions(
        action=args.action,
        settings=Settings(database=args.database),
        name=getattr(args, "name", None),
        admin=getattr(args, "admin", False),
        url=getattr(args, "url", DEFAULT_URL),
        rooms=tuple(getattr(args, "room", ())),
    )
