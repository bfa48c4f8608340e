"""cluster/binary_arrays.py: each kind of array, built by hand in PostgreSQL's binary format, reads
back on a real PostgreSQL as the values it was built from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import pytest

from mock_server.cluster import binary_arrays as arrays

CASES: list[tuple[Callable[[Any], bytes], str, Sequence[Any]]] = [
    (arrays.texts, "text", ["ws_1", "", "héllo ☎", None, "x" * 70_000]),
    (arrays.byteas, "bytea", [b"", b"\x00\xff" * 3, None, bytes(range(256))]),
    (arrays.int8s, "bigint", [0, -1, 2**63 - 1, -(2**63), None]),
    (arrays.int4s, "integer", [0, 1, -(2**31), 2**31 - 1, None]),
    (arrays.float8s, "float8", [1_700_000_000, 1_700_000_000.25, -0.5, None, 1e300]),
    (arrays.bools, "boolean", [True, False, True]),
]


@pytest.mark.parametrize(("build", "kind", "values"), CASES, ids=[kind for _, kind, _ in CASES])
def test_an_array_reads_back_as_built(database: str, build: Callable[[Any], bytes], kind: str,
                                      values: Sequence[Any]) -> None:
    with psycopg.connect(database, autocommit=True) as db:
        for given in (list(values), [], [values[0]]):
            found = db.execute(f"SELECT %b::{kind}[], cardinality(%b::{kind}[])",
                               (build(given), build(given))).fetchone()
            assert found is not None
            expected = [float(value) if kind == "float8" and value is not None else value for value in given]
            assert found == (expected, len(given))


def test_arrays_unnest_side_by_side_in_their_order(database: str) -> None:
    """As the group commit reads them: one row per position, the columns aligned."""
    with psycopg.connect(database, autocommit=True) as db:
        rows = db.execute(
            "SELECT * FROM unnest(%b::text[], %b::bigint[], %b::float8[], %b::bytea[])",
            (arrays.texts(["a", "b", None]), arrays.int8s([1, None, 3]), arrays.float8s([None, 2, 2.5]),
             arrays.byteas([b"x", None, b""])),
        ).fetchall()
    assert rows == [("a", 1, None, b"x"), ("b", None, 2.0, None), (None, 3, 2.5, b"")]
