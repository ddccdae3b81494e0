"""Flags and CHATROOM_* variables: how the command line and the environment become Settings.

This module is the only one that reads the environment.
"""

from __future__ import annotations

import argparse
import os
import re
import urllib.parse
from collections.abc import Callable, Collection, Sequence
from typing import Any, NoReturn

from . import __version__, auth
from .arguments import ArgumentParser
from .config import Settings
from .preview_flags import add_preview_flags
from .store import is_private_database, sqlite_path
from .store.sqlite import SYNCHRONOUS_MODES

LOG_LEVELS = ("debug", "info", "warning", "error")


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: use a number {bounds}")
        return value

    return convert


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of at least 0")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def non_empty(text: str) -> str:
    """An argparse type: any text but the empty string."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def removed_api_key(text: str) -> NoReturn:
    """An argparse type that refuses: --api-key gave way to bot accounts."""
    raise argparse.ArgumentTypeError(
        "removed: bots post with their own key now; create one with"
        " 'python -m chatroom admin create-bot NAME --room ROOM'"
    )


def jwt_secret(text: str) -> str:
    """An argparse type: an HS256 secret of at least 32 bytes (RFC 7518)."""
    if auth.secret_too_short(text):
        raise argparse.ArgumentTypeError(
            f"must be at least {auth.MIN_SECRET_BYTES} bytes; make one with:"
            " python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return text


def database_url(text: str) -> str:
    """An argparse type: a SQLite path, sqlite:///path, :memory: or postgresql:// URL."""
    try:
        sqlite_path(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return non_empty(text)


def redis_url(text: str) -> str:
    """An argparse type: a redis://, rediss:// or unix:// URL."""
    if urllib.parse.urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a redis://, rediss:// or unix:// URL")
    return text


def origin(text: str) -> str:
    """An argparse type: scheme://host[:port], as browsers send Origin."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise argparse.ArgumentTypeError(f"{text!r} is not an origin like https://chat.example.com")
    return text.rstrip("/")


def push_contact(text: str) -> str:
    """An argparse type: a mailto: address or an https: URL, as VAPID's ``sub`` must be (RFC 8292)."""
    if re.fullmatch(r"mailto:[^@\s]+@[^@\s]+|https://[^\s/]+(/\S*)?", text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a mailto: address or an https:// URL")
    return text


def boolean(text: str) -> bool:
    """An argparse type for CHATROOM_* switches: 1/0, true/false, yes/no, on/off."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def add_database(parser: ArgumentParser) -> None:
    """--database (or --db): the server's, the export's and the import's."""
    parser.add_argument(
        "--database",
        "--db",
        dest="database",
        type=database_url,
        default=Settings().database,
        help="where history is kept: a SQLite file (path or sqlite:///path), :memory: (kept nowhere),"
        " or postgresql://user@host/dbname",
    )


def add_file_flags(parser: ArgumentParser) -> None:
    """--files-dir and the limits on uploads."""
    add = parser.add_argument
    d = Settings()
    add(
        "--files-dir",
        type=non_empty,
        default=d.files_dir,
        help="where uploaded files are kept (default: beside the SQLite file, <database>.files;"
        " with PostgreSQL, in the database); several nodes must share it",
    )
    add(
        "--max-upload-bytes",
        type=bounded_int(1, 2**40),
        default=d.max_upload_bytes,
        help="the largest file one may upload, in bytes (default 25 MiB); larger get HTTP 413",
    )
    add(
        "--uploads-per-minute",
        type=bounded_int(0),
        default=d.uploads_per_minute,
        help="uploads one account may make a minute, in bursts of as many; more get HTTP 429 (0: no limit)",
    )
    add(
        "--files-quota-bytes",
        type=bounded_int(0),
        default=d.files_quota_bytes,
        help="bytes all stored files may take together, thumbnails included; an upload past it gets"
        " HTTP 507 (0: no limit)",
    )


def build_parser() -> ArgumentParser:
    """Every flag of PROTOCOL.md's command-line table, and a few of our own."""
    parser = ArgumentParser(
        prog="chatroom",
        description="A real-time, multi-room web chat server. Every flag can also "
        "come from CHATROOM_<FLAG> (upper case, '-' as '_').",
        epilog="Commands: 'chatroom export' writes a database's history as JSON Lines (a backup);"
        " 'chatroom import' stores such a file into a database; 'chatroom admin' creates accounts"
        " and bots and issues password reset links. Each has --help.",
    )
    add = parser.add_argument
    d = Settings()
    add("--port", type=bounded_int(0, 65535), default=d.port, help="TCP port (0: any free port)")
    add("--address", type=non_empty, default=d.address, help="address to bind (0.0.0.0 for all)")
    add_database(parser)
    add(
        "--redis-url",
        type=redis_url,
        default=None,
        help="Redis for delivery and presence across processes and nodes (history stays in --database)",
    )
    add(
        "--redis-presence-ttl",
        type=positive_float,
        default=d.redis_presence_ttl,
        help="seconds before the members of a node that died are shown leaving; nodes refresh every third",
    )
    add(
        "--processes",
        type=bounded_int(1, 512),
        default=d.processes,
        help="worker processes sharing the port (needs --redis-url above 1)",
    )
    add(
        "--spread-rooms",
        action="store_true",
        help="with --processes: serve each connection in the worker that accepted it, spreading a room's"
        " members over the workers, instead of gathering every room's members in one worker",
    )
    add(
        "--origin",
        type=origin,
        action="append",
        default=None,
        help="an extra allowed browser origin; may be repeated",
    )
    add(
        "--guests",
        action="store_true",
        default=d.guests,
        help="let people join open rooms with just a nick, without an account (v1 clients too),"
        " whatever an administrator's setting says; without it, administrators turn guests on and off",
    )
    # Removed: kept only to say what replaced it, in one line (also for CHATROOM_API_KEY).
    add("--api-key", type=removed_api_key, default=None, help=argparse.SUPPRESS)
    add(
        "--webhook-allow-private",
        action="store_true",
        default=d.webhook_allow_private,
        help="let bots' webhooks reach loopback, private and link-local addresses and this machine's own",
    )
    add(
        "--webhook-timeout",
        type=positive_float,
        default=d.webhook_timeout,
        help="seconds a bot's webhook call may take, connecting included (default 5)",
    )
    add(
        "--push-contact",
        type=push_contact,
        default=d.push_contact,
        help="a mailto: or https: address push services may contact about this server's Web Push"
        " (default: the first https --origin)",
    )
    add(
        "--push-allow-private",
        action="store_true",
        default=d.push_allow_private,
        help="let Web Push reach loopback and private addresses over http too (a test receiver)",
    )
    add(
        "--jwt-secret",
        type=jwt_secret,
        default=None,
        help="accept HS256 tokens (JWT) for accounts, on /ws and the API",
    )
    add("--history", type=bounded_int(0, 1000), default=d.history, help="messages sent on join")
    add(
        "--max-message-length",
        type=bounded_int(1, 1_000_000),
        default=d.max_message_length,
        help="characters",
    )
    add(
        "--max-frame-bytes",
        type=bounded_int(128, 64 * 1024 * 1024),
        default=d.max_frame_bytes,
        help="larger frames close 1009",
    )
    add("--rate", type=positive_float, default=d.rate, help="messages a second per connection")
    add("--burst", type=bounded_int(1), default=d.burst, help="messages a connection may send at once")
    add(
        "--bot-messages-per-minute",
        type=bounded_int(0),
        default=d.bot_messages_per_minute,
        help="messages and changes one bot may make a minute through the HTTP API, in bursts of as many;"
        " more get HTTP 429 (0: no limit)",
    )
    add(
        "--ping-interval",
        type=non_negative_float,
        default=d.ping_interval,
        help="seconds between pings (0: none)",
    )
    add(
        "--ping-timeout",
        type=non_negative_float,
        default=d.ping_timeout,
        help="seconds to wait for a pong; at most the interval",
    )
    add(
        "--max-backlog-bytes",
        type=bounded_int(1024),
        default=d.max_backlog_bytes,
        help="unsent bytes before a slow client is cut off (1013)",
    )
    add(
        "--max-connections-per-ip",
        type=bounded_int(0),
        default=d.max_connections_per_ip,
        help="concurrent connections per address, HTTP and WebSocket (0: no limit)",
    )
    add(
        "--new-rooms-per-minute",
        type=bounded_int(0),
        default=d.new_rooms_per_minute,
        help="rooms an address may create a minute by joining them, and an account through the API;"
        " more get HTTP 429 (0: no limit)",
    )
    add(
        "--join-rate",
        type=non_negative_float,
        default=d.join_rate,
        help="joins an address may make a second (a room: 10 times as many); more get HTTP 429 (0: no limit)",
    )
    add(
        "--join-burst",
        type=bounded_int(0),
        default=d.join_burst,
        help="joins an address may make at once (0: no limit)",
    )
    add_file_flags(parser)
    add_preview_flags(parser)
    add(
        "--xheaders",
        action="store_true",
        default=d.xheaders,
        help="trust X-Forwarded-For / X-Real-IP from a reverse proxy",
    )
    add("--log-level", choices=LOG_LEVELS, default=d.log_level, help="default info")
    add(
        "--sqlite-synchronous",
        choices=SYNCHRONOUS_MODES,
        default=d.sqlite_synchronous,
        help="full: acked messages survive power loss; normal: survive a crash of the process",
    )
    add("--version", action="version", version=f"chatroom {__version__}")
    return parser


def environment_defaults(
    parser: ArgumentParser, environ: dict[str, str], only: Collection[str] | None = None
) -> dict[str, Any]:
    """Defaults taken from CHATROOM_* variables, checked like the flags (``only``: of these dests)."""
    defaults: dict[str, Any] = {}
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "version"):
            continue
        if only is not None and action.dest not in only:
            continue
        for flag in action.option_strings:
            variable = "CHATROOM_" + flag.lstrip("-").upper().replace("-", "_")
            if variable in environ:
                defaults[action.dest] = _convert_environment(
                    parser, action, flag, variable, environ[variable]
                )
                break
    return defaults


def _convert_environment(
    parser: ArgumentParser, action: argparse.Action, flag: str, variable: str, text: str
) -> Any:
    convert: Callable[[str], Any] = boolean if action.nargs == 0 else (action.type or str)  # type: ignore[assignment]
    try:
        value = convert(text)
    except argparse.ArgumentTypeError as error:
        parser.error(f"{variable} (argument {flag}): {error}")
    if action.choices is not None and value not in action.choices:
        parser.error(
            f"{variable} (argument {flag}): {text!r} is not one of {', '.join(map(str, action.choices))}"
        )
    return [value] if isinstance(action, argparse._AppendAction) else value


def environment() -> dict[str, str]:
    """The process's environment variables (read here and nowhere else)."""
    return dict(os.environ)


def parse_settings(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the command line over CHATROOM_* variables over defaults."""
    parser = build_parser()
    parser.set_defaults(**environment_defaults(parser, environment() if environ is None else environ))
    args = parser.parse_args(argv)
    if args.ping_interval and args.ping_timeout > args.ping_interval:
        parser.error("argument --ping-timeout: may not exceed --ping-interval")
    if args.processes > 1 and not args.redis_url:
        parser.error("argument --processes: more than 1 process needs --redis-url")
    if args.redis_url and is_private_database(args.database):
        parser.error(
            "argument --database: :memory: is private to one process; with --redis-url use a SQLite file"
            " or postgresql://"
        )
    options = vars(args)
    options["origins"] = tuple(options.pop("origin") or ())
    del options["api_key"]
    return Settings(**options)
