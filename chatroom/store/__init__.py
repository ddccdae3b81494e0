"""The Store seam: base.py is the contract; sqlite.py and postgres.py keep it.

``--database`` names the store: ``postgresql://…`` (or ``postgres://…``) for
PostgreSQL; ``sqlite:///path``, a bare path or ``:memory:`` for SQLite.
"""

from __future__ import annotations

import urllib.parse

from .base import Store, StoreStartupError

POSTGRES_SCHEMES = ("postgresql", "postgres")


def sqlite_path(database: str) -> str | None:
    """The SQLite file (or ``:memory:``) that ``database`` names; None for PostgreSQL.

    Raises ValueError for a URL of another kind.
    """
    if database == ":memory:":
        return database
    scheme = urllib.parse.urlsplit(database).scheme
    if scheme in POSTGRES_SCHEMES:
        return None
    if scheme == "sqlite":
        path = database.removeprefix("sqlite://")
        # sqlite:///relative/or/absolute: the third slash starts the path;
        # sqlite:////abs and sqlite:///:memory: work as usual.
        path = path.removeprefix("/")
        if not path:
            raise ValueError(f"{database!r} names no file: use sqlite:///path/to/chatroom.db")
        return path
    if len(scheme) > 1 and "://" in database:
        raise ValueError(f"{database!r}: only sqlite:/// and postgresql:// databases are supported")
    return database


def is_private_database(database: str) -> bool:
    """Whether no other process can share the database (an in-memory SQLite)."""
    try:
        return sqlite_path(database) == ":memory:"
    except ValueError:
        return False


def open_store(
    database: str, *, sqlite_synchronous: str = "full", files_dir: str | None = None, shared: bool = False
) -> Store:
    """The store ``database`` names, unstarted; StoreStartupError when it cannot be made.

    ``files_dir``: where uploaded files live (store/blobs.py); None: beside a
    SQLite file (``<file>.files``, a temporary directory for ``:memory:``), in
    a PostgreSQL database itself. ``shared``: other processes may write to a
    SQLite file too (store/sqlite_lock.py).
    """
    try:
        path = sqlite_path(database)
    except ValueError as error:
        raise StoreStartupError(str(error)) from None
    if path is not None:
        from .sqlite import SQLiteStore

        return SQLiteStore(path, sqlite_synchronous, files_dir=files_dir, shared=shared)
    try:
        from .postgres import PostgresStore
    except ImportError:
        raise StoreStartupError(
            "a postgresql:// database needs the PostgreSQL driver: pip install 'chatroom[postgres]'"
        ) from None
    return PostgresStore(database, files_dir=files_dir)


__all__ = ["Store", "StoreStartupError", "is_private_database", "open_store", "sqlite_path"]
