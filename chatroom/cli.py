"""The command line: argv to Settings to a server, and the export and import commands.

The one place that reads sys.argv, prints to the terminal or exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, NoReturn

from .backend import StartupError
from .export import ExportFileError, ImportRefusedError, export_database, import_database
from .flags import parse_settings, parse_transfer
from .server import serve
from .store import sqlite_path
from .store.base import StoreError
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


def say(message: str) -> None:
    """Print one line to stderr (standard output may be carrying an export)."""
    print(f"chatroom: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m chatroom [export|import] [flags]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        COMMANDS[args[0]](args[1:])
    else:
        run_server(args)


def run_server(argv: Sequence[str]) -> None:
    """``python -m chatroom [flags]``: serve until a stop signal."""
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


def run_export(argv: Sequence[str]) -> None:
    """``python -m chatroom export``: the database's history as JSON Lines."""
    options = parse_transfer("export", argv)
    configure_logging("warning")
    path = sqlite_path(options.settings.database)
    if path is not None and not Path(path).exists():
        fail(f"there is no database at {path}", 1)
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
    say(f"exported {summary.messages} messages in {summary.rooms} rooms")


def run_import(argv: Sequence[str]) -> None:
    """``python -m chatroom import``: store an export's messages into a database."""
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
    say(f"imported {summary.messages} messages in {summary.rooms} rooms, with {epoch}")


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[bytes]]:
    """Standard output, or a file that appears only once written whole (mode 0600: it holds chats)."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
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
    if path is not None:
        with open(path, "rb") as source:
            yield source
        return
    stdin = sys.stdin.buffer
    if stdin.seekable():
        yield stdin
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(stdin, spool)
        spool.seek(0)
        yield spool


COMMANDS: dict[str, Callable[[Sequence[str]], None]] = {"export": run_export, "import": run_import}

__all__ = ["main", "parse_settings"]
