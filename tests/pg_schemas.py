"""Schemas as chatroom makes a new PostgreSQL database, lent to tests and emptied between them.

Bringing an empty schema up to date takes PostgreSQL about half a second (forty-odd steps
of DDL, each in a transaction of its own), and hundreds of tests each want a database of
their own. A schema lent here has had every step applied; given back, it is emptied as a
new one would be: every table's rows deleted, every sequence started over, the migration
steps' own rows put back, and no epoch, so the next store makes one of its own as on a
new database. A schema whose tables, columns, indexes, constraints or triggers a test
changed, or that cannot be emptied (a session still holds its rows), is never lent again.

A test that is about the steps themselves (an empty schema, an older one) asks the server
for ``new_schema()`` instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from chatroom.store import pg_schema

# The rows a new database has that belong to it alone (made by the store that opens it).
OWN_ROWS = {"meta": "key = 'epoch'"}

SHAPE = """
SELECT md5(string_agg(part, E'\\n' ORDER BY part)) FROM (
    SELECT concat_ws(' ', c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod),
                     a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) AS part
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE n.nspname = %(schema)s
    UNION ALL
    SELECT indexdef FROM pg_indexes WHERE schemaname = %(schema)s
    UNION ALL
    SELECT conname || ' ' || pg_get_constraintdef(co.oid)
    FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
    WHERE n.nspname = %(schema)s
    UNION ALL
    SELECT tgname || ' ' || pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND NOT t.tgisinternal
    UNION ALL
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = %(schema)s
) AS parts
"""


@dataclass
class Lendable:
    """A schema brought up to date, and what it holds when it is as new."""

    name: str
    url: str
    shape: str
    tables: list[str]
    sequences: list[str]
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]


@dataclass
class SchemaPool:
    """One PostgreSQL server's up-to-date schemas: lent, given back, emptied, lent again."""

    connect: Callable[[], psycopg.Connection[tuple[Any, ...]]]
    new_schema: Callable[[], str]
    # How long giving a schema back waits for a row a forgotten session still holds.
    lock_timeout: str = "2s"
    idle: list[Lendable] = field(default_factory=list)
    made: int = 0

    def lend(self) -> Lendable:
        """An up-to-date empty schema: an idle one when there is one."""
        return self.idle.pop() if self.idle else self._make()

    def take_back(self, schema: Lendable) -> None:
        """Empty the schema for the next test; forget it if it changed shape or cannot be emptied."""
        with contextlib.suppress(psycopg.Error), self.connect() as conn:
            if _shape(conn, schema.name) == schema.shape:
                _empty(conn, schema, self.lock_timeout)
                self.idle.append(schema)
                return
        logging.getLogger("tests.pg_schemas").info("schema %s changed: not lent again", schema.name)

    def _make(self) -> Lendable:
        url = self.new_schema()
        pg_schema.migrate(pg_schema.Target(url, timeout=10))
        self.made += 1
        name = url.rsplit("%3D", 1)[1]
        with self.connect() as conn:
            tables = _names(conn, "SELECT tablename FROM pg_tables WHERE schemaname = %s", name)
            for table, where in OWN_ROWS.items():
                conn.execute(sql.SQL("DELETE FROM {} WHERE " + where).format(sql.Identifier(name, table)))
            return Lendable(
                name=name,
                url=url,
                shape=_shape(conn, name),
                tables=tables,
                sequences=_names(conn, "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", name),
                rows={table: _rows(conn, name, table) for table in tables},
            )


def _names(conn: psycopg.Connection[tuple[Any, ...]], query: str, schema: str) -> list[str]:
    return sorted(str(row[0]) for row in conn.execute(query, (schema,)))


def _shape(conn: psycopg.Connection[tuple[Any, ...]], schema: str) -> str:
    row = conn.execute(SHAPE, {"schema": schema}).fetchone()
    return str(row[0]) if row else ""


def _rows(
    conn: psycopg.Connection[tuple[Any, ...]], schema: str, table: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table)))
    columns = [column.name for column in cursor.description or ()]
    return columns, cursor.fetchall()


def _empty(conn: psycopg.Connection[tuple[Any, ...]], schema: Lendable, lock_timeout: str) -> None:
    """Every row deleted, every sequence at its start, the steps' own rows back: in one transaction."""
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
        # Rows go table by table in any order: no foreign key is checked on the way.
        conn.execute("SET LOCAL session_replication_role = replica")
        for table in schema.tables:
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema.name, table)))
        for sequence in schema.sequences:
            conn.execute(sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.Identifier(schema.name, sequence)))
        for table, (columns, rows) in schema.rows.items():
            if rows:
                insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(schema.name, table),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                )
                conn.cursor().executemany(insert, rows)
