"""The server's flags for link previews: whether pages linked in messages are read, and where."""

from __future__ import annotations

import argparse

from .arguments import ArgumentParser
from .config import Settings


def on_off(text: str) -> bool:
    """An argparse type for a switch given as on or off (also 1/0, true/false, yes/no)."""
    lowered = text.strip().lower()
    if lowered in ("on", "1", "true", "yes"):
        return True
    if lowered in ("off", "0", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not on or off")


def add_preview_flags(parser: ArgumentParser) -> None:
    """--link-previews and --preview-allow-private."""
    d = Settings()
    parser.add_argument(
        "--link-previews",
        type=on_off,
        metavar="on|off",
        default=d.link_previews,
        help="read the pages linked in messages and show a card under them (default on)",
    )
    parser.add_argument(
        "--preview-allow-private",
        action="store_true",
        default=d.preview_allow_private,
        help="let link previews read loopback, private and link-local addresses and this machine's own",
    )
