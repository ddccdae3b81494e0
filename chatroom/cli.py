"""The command line: argv to Settings to a server; the one place that prints to the terminal or exits."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from .backend import StartupError
from .flags import parse_settings
from .server import serve
from .workers import WorkerPool


def configure_logging(level: str) -> None:
    """Log lines to stderr, one event a line."""
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def fail(message: str, status: int) -> NoReturn:
    """Print one line to stderr and exit."""
    print(f"chatroom: error: {message}", file=sys.stderr)
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m chatroom``."""
    settings = parse_settings(argv)
    configure_logging(settings.log_level)
    if settings.processes > 1:
        sys.exit(WorkerPool(settings).run())
    try:
        asyncio.run(serve(settings))
    except StartupError as error:
        fail(str(error), 1)
    except KeyboardInterrupt:
        pass


__all__ = ["main", "parse_settings"]
