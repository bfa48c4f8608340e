"""One-dimensional arrays in PostgreSQL's binary format, built here and handed to psycopg as they are.

psycopg finds an array's element type by looking through the list, then dumps each element
through a Python call, at every execution: for an owner's group commit (21 arrays) that was 16 µs of
each create's CPU, and 3 µs of each read's for its journal entry. Built here, an array is one
`bytes.join`; psycopg sends it untouched, typed by its class (registered as this module is imported).

The format (PostgreSQL's `array_send`): the number of dimensions, whether any element is NULL, the
element type's OID, then for the one dimension its length and lower bound (1), then each element
as its length (-1 for NULL) and its bytes. An empty array has no dimension.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from functools import partial
from itertools import chain
from typing import Self, TypeVar

import psycopg
from psycopg import postgres
from psycopg.adapt import AdaptersMap, Dumper
from psycopg.pq import Format

T = TypeVar("T")
_HEADER = struct.Struct(">iiiii")
_EMPTY = struct.Struct(">iii")
_NULL = b"\xff\xff\xff\xff"
_FLOAT8 = struct.Struct(">id")  # an element's length (8) and value
_INT8 = struct.Struct(">iq")  # an element's length (8) and value
_INT4 = struct.Struct(">ii")
_BOOL = {True: b"\x00\x00\x00\x01\x01", False: b"\x00\x00\x00\x01\x00"}


class BinaryArray(bytes):
    """An array already in the binary format; its class says its type (`oid`)."""

    element = ""  # the element type's name in PostgreSQL

    @classmethod
    def of(cls, values: Sequence[T | None], element: Callable[[T], bytes]) -> Self:
        """`element`: a value's length and bytes (a NULL is written here)."""
        oid = postgres.types[cls.element].oid
        if not values:
            return cls(_EMPTY.pack(0, 0, oid))
        elements = (_NULL if value is None else element(value) for value in values)
        header = _HEADER.pack(1, int(None in values), oid, len(values), 1)
        return cls(b"".join(chain((header,), elements)))


def _kind(element: str) -> type[BinaryArray]:
    """A class of its own per element type: psycopg picks a dumper by the value's class."""
    return type(f"{element.title()}Array", (BinaryArray,), {"element": element})


KINDS = TEXT, BYTEA, INT8, INT4, FLOAT8, BOOL = tuple(
    _kind(element) for element in ("text", "bytea", "int8", "int4", "float8", "bool"))


def _sized(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def byteas(values: Sequence[bytes | None]) -> BinaryArray:
    return BYTEA.of(values, _sized)


def texts(values: Sequence[str | None]) -> BinaryArray:
    return TEXT.of(values, lambda value: _sized(value.encode()))


def int8s(values: Sequence[int | None]) -> BinaryArray:
    return INT8.of(values, partial(_INT8.pack, 8))


def int4s(values: Sequence[int | None]) -> BinaryArray:
    return INT4.of(values, partial(_INT4.pack, 4))


def float8s(values: Sequence[float | None]) -> BinaryArray:
    """Whole numbers (a clock read at a whole second is an int) are sent as floats."""
    return FLOAT8.of(values, partial(_FLOAT8.pack, 8))


def bools(values: Sequence[bool]) -> BinaryArray:
    return BOOL.of(values, _BOOL.__getitem__)


class _AsIs(Dumper):
    format = Format.BINARY

    def dump(self, obj: object) -> bytes:
        assert isinstance(obj, bytes)
        return obj


def _register(adapters: AdaptersMap) -> None:
    """psycopg sends each kind of array as it is, typed as its array type (every connection made
    after this module is imported)."""
    for kind in KINDS:
        oid = postgres.types[kind.element].array_oid
        adapters.register_dumper(kind, type(f"{kind.__name__}Dumper", (_AsIs,), {"oid": oid}))


_register(psycopg.adapters)
