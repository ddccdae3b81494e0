"""A batch's columns as PostgreSQL binary arrays, built here in one pass each.

The store call takes a batch as a column per field (chatroom/store/pg_batch.py).
psycopg's own list dumper works out every list's element type on every call,
element by element, then dumps each element through its own dumper: about
70 µs of the writer's CPU for a one-message batch and 210 µs for 24, a tenth
of what a commit costs chatroom (docs/benchmarks/deployments.md). A column's
element type is known here, so each is written straight in PostgreSQL's
binary array form (array_recv in its source: a header of dimensions, flags
and element type, then a length and the bytes of each element, -1 for NULL).

``register_columns`` teaches a connection the column types; a column passed
on any other connection is refused by psycopg ("cannot adapt").
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any, ClassVar

from psycopg import AsyncConnection
from psycopg.abc import AdaptContext
from psycopg.adapt import Buffer, Dumper
from psycopg.pq import Format

# Element and array type oids (pg_type.dat).
_TEXT, _TEXT_ARRAY = 25, 1009
_INT8, _INT8_ARRAY = 20, 1016
_BOOL, _BOOL_ARRAY = 16, 1000
_BYTEA, _BYTEA_ARRAY = 17, 1001

# One dimension: ndim, has-null flag, element oid, length, lower bound.
_ONE_DIMENSION = struct.Struct(">iiiii")
# No dimension (an empty array): ndim 0, flags 0, element oid.
_NO_DIMENSION = struct.Struct(">iii")
_LENGTH = struct.Struct(">i")
_INT8_ELEMENT = struct.Struct(">iq")
_NULL = _LENGTH.pack(-1)
_TRUE, _FALSE = b"\x00\x00\x00\x01\x01", b"\x00\x00\x00\x01\x00"


class Column:
    """One array parameter, already in PostgreSQL's binary form."""

    __slots__ = ("data",)
    # The array type's oid: each kind of column says its own.
    array_oid: ClassVar[int] = 0

    def __init__(self, data: bytes) -> None:
        self.data = data


class TextColumn(Column):
    """A ``text[]`` parameter."""

    __slots__ = ()
    array_oid = _TEXT_ARRAY


class BigintColumn(Column):
    """A ``bigint[]`` parameter."""

    __slots__ = ()
    array_oid = _INT8_ARRAY


class BooleanColumn(Column):
    """A ``boolean[]`` parameter."""

    __slots__ = ()
    array_oid = _BOOL_ARRAY


class ByteaColumn(Column):
    """A ``bytea[]`` parameter."""

    __slots__ = ()
    array_oid = _BYTEA_ARRAY


def _array(element_oid: int, count: int, elements: list[bytes], has_null: bool) -> bytes:
    if not count:
        return _NO_DIMENSION.pack(0, 0, element_oid)
    return _ONE_DIMENSION.pack(1, has_null, element_oid, count, 1) + b"".join(elements)


def _sized_column(element_oid: int, values: list[bytes | None]) -> bytes:
    """An array of values of variable length: each one's length, then its bytes."""
    elements: list[bytes] = []
    has_null = False
    for value in values:
        if value is None:
            elements.append(_NULL)
            has_null = True
        else:
            elements += (_LENGTH.pack(len(value)), value)
    return _array(element_oid, len(values), elements, has_null)


def text_column(values: Iterable[str | None]) -> TextColumn:
    """A text[] of the values (None for NULL); each must be UTF-8 encodable."""
    return TextColumn(_sized_column(_TEXT, [None if value is None else value.encode() for value in values]))


def bigint_column(values: Iterable[int | None]) -> BigintColumn:
    """A bigint[] of the values (None for NULL)."""
    elements = [_NULL if value is None else _INT8_ELEMENT.pack(8, value) for value in values]
    return BigintColumn(_array(_INT8, len(elements), elements, _NULL in elements))


def boolean_column(values: Iterable[bool]) -> BooleanColumn:
    """A boolean[] of the values."""
    elements = [_TRUE if value else _FALSE for value in values]
    return BooleanColumn(_array(_BOOL, len(elements), elements, False))


def bytea_column(values: Iterable[bytes | None]) -> ByteaColumn:
    """A bytea[] of the values (None for NULL)."""
    return ByteaColumn(_sized_column(_BYTEA, list(values)))


class _ColumnDumper(Dumper):
    format = Format.BINARY

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        assert issubclass(cls, Column)
        # Set on the instance, not the class: a class oid would also make the
        # dumper the connection's for every array of that type dumped by oid
        # (COPY's set_types), lists included.
        self.oid = cls.array_oid

    def dump(self, obj: Column) -> Buffer:
        return obj.data


def register_columns(conn: AsyncConnection[Any]) -> None:
    """Let ``conn`` take the column types as parameters."""
    for cls in (TextColumn, BigintColumn, BooleanColumn, ByteaColumn):
        conn.adapters.register_dumper(cls, _ColumnDumper)
