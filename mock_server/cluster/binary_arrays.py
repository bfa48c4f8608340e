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
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Self

import psycopg
from psycopg import postgres
from psycopg.adapt import AdaptersMap, Dumper
from psycopg.pq import Format

_HEADER = struct.Struct(">iiiii")
_EMPTY = struct.Struct(">iii")
_NULL = b"\xff\xff\xff\xff"
_FLOAT = struct.Struct(">d")
_INT8 = struct.Struct(">iq")  # an element's length (8) and value
_INT4 = struct.Struct(">ii")
_BOOL = {True: b"\x00\x00\x00\x01\x01", False: b"\x00\x00\x00\x01\x00"}


class BinaryArray(bytes):
    """An array already in the binary format; its class says its type (`oid`)."""

    element = ""  # the element type's name in PostgreSQL

    @classmethod
    def of(cls, elements: Iterable[bytes], count: int, nulls: bool) -> Self:
        """`elements`: each element's length and bytes, already joined."""
        oid = postgres.types[cls.element].oid
        if not count:
            return cls(_EMPTY.pack(0, 0, oid))
        return cls(b"".join(chain((_HEADER.pack(1, int(nulls), oid, count, 1),), elements)))


def _kind(element: str) -> type[BinaryArray]:
    """A class of its own per element type: psycopg picks a dumper by the value's class."""
    return type(f"{element.title()}Array", (BinaryArray,), {"element": element})


KINDS = TEXT, BYTEA, INT8, INT4, FLOAT8, BOOL = tuple(
    _kind(element) for element in ("text", "bytea", "int8", "int4", "float8", "bool"))


def _sized(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def byteas(values: Sequence[bytes | None]) -> BinaryArray:
    nulls = None in values
    elements = (_NULL if value is None else _sized(value) for value in values)
    return BYTEA.of(elements, len(values), nulls)


def texts(values: Sequence[str | None]) -> BinaryArray:
    nulls = None in values
    elements = (_NULL if value is None else _sized(value.encode()) for value in values)
    return TEXT.of(elements, len(values), nulls)


def int8s(values: Sequence[int | None]) -> BinaryArray:
    nulls = None in values
    elements = (_NULL if value is None else _INT8.pack(8, value) for value in values)
    return INT8.of(elements, len(values), nulls)


def int4s(values: Sequence[int | None]) -> BinaryArray:
    nulls = None in values
    elements = (_NULL if value is None else _INT4.pack(4, value) for value in values)
    return INT4.of(elements, len(values), nulls)


def float8s(values: Sequence[float | None]) -> BinaryArray:
    """Whole numbers (a clock read at a whole second is an int) are sent as floats."""
    nulls = None in values
    elements = (_NULL if value is None else b"\x00\x00\x00\x08" + _FLOAT.pack(value) for value in values)
    return FLOAT8.of(elements, len(values), nulls)


def bools(values: Sequence[bool]) -> BinaryArray:
    return BOOL.of((_BOOL[bool(value)] for value in values), len(values), False)


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
