"""A document damaged where its structure is (a schema, a content map, a parameter list replaced by
a number, a list, a dangling $ref…) is compared, replayed against, or refused in one sentence: never
an exception of the kit. Seeded: the same 40 damaged documents every run."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.errors import KitError
from contracts.evolution.compare import compare
from contracts.evolution.document import Limits, Spec
from contracts.evolution.operations import operations
from contracts.evolution.source import to_uri
from contracts.evolution.validation import Answer, Judge, request_of

ROOT = Path(__file__).resolve().parents[3]
STRUCTURE = {
    "schema",
    "properties",
    "type",
    "required",
    "items",
    "responses",
    "content",
    "parameters",
    "requestBody",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "enum",
    "security",
    "headers",
    "schemas",
    "securitySchemes",
    "name",
    "in",
    "style",
    "explode",
    "maxLength",
    "minimum",
    "default",
    "additionalProperties",
    "get",
    "post",
    "patch",
    "servers",
    "const",
    "format",
    "pattern",
    "application/json",
    "200",
    "201",
    "422",
}
DAMAGE: list[Any] = [
    None,
    1,
    2.5,
    "x",
    True,
    [],
    {},
    [1, "a"],
    {"type": 5},
    {"$ref": "#/nope"},
    {"$ref": 3},
    {"properties": []},
    {"required": "a"},
    {"items": 5},
    {"enum": 5},
    {"type": ["string", 7]},
    {"allOf": {}},
    {"oneOf": [5]},
]


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path and (path[-1] in STRUCTURE or isinstance(path[-1], int)):
        yield path
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        yield from places(child, (*path, key))


def damaged(base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    document = json.loads(json.dumps(base))
    targets = list(places(document))
    for _ in range(rng.randint(1, 3)):
        *parents, last = rng.choice(targets)
        holder = document
        try:
            for key in parents:
                holder = holder[key]
            holder[last] = json.loads(json.dumps(rng.choice(DAMAGE)))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier damage removed the place
    return document


def exercise(old: Spec, new: Spec) -> None:
    compare(old, new)
    compare(new, old)
    judge = Judge(new)
    for operation in operations(new).values():
        url = "http://x/api/public/v1" + operation.template + "?limit=5&status=draft"
        request = request_of(
            operation.method, url, {"content-type": "application/json"}, b'{"name": "n"}', None
        )
        judge.request_problem(operation, ["id1", "id2"], request, explain=True)
        answer = Answer(200, {"x-request-id": "req_1"}, "application/json", b'{"data": {}, "meta": {}}')
        judge.response_problem(operation, answer, explain=True)


@pytest.mark.parametrize("name", ["openapi.json", "openapi.zudu.json"])
def test_damaged_documents_never_crash_the_kit(name: str, tmp_path: Path) -> None:
    base = json.loads((ROOT / name).read_text())
    rng = random.Random(24)
    outcomes = {"compared": 0, "refused": 0}
    for index in range(10):
        path = tmp_path / f"{index}.json"
        path.write_text(json.dumps(damaged(base, rng)), encoding="utf-8")
        try:
            old = Spec(to_uri(str(ROOT / name)), name, Limits())
            exercise(old, Spec(to_uri(str(path)), path.name, Limits()))
            outcomes["compared"] += 1
        except KitError as error:
            assert "\n" not in str(error)
            outcomes["refused"] += 1
    assert outcomes["compared"] > 0 and outcomes["refused"] > 0, outcomes


@pytest.mark.parametrize(
    "pointer",
    [
        "/paths/~1agents/get/responses/200/headers",
        "/paths/~1batch-calls/post/requestBody",
        "/paths/~1batch-calls/post/requestBody/required",
        "/components/schemas/Agent/allOf",
        "/paths/~1batch-calls/get/parameters/0",
        "/components/schemas/BatchCallCreateRequest/required",
    ],
)
def test_a_damaged_place_is_compared_or_refused(pointer: str, tmp_path: Path) -> None:
    for index, value in enumerate([1, True, "x", [], {}]):
        document = json.loads((ROOT / "openapi.json").read_text())
        *parents, last = [t.replace("~1", "/") for t in pointer.split("/")[1:]]
        holder = document
        for key in parents:
            holder = holder[int(key)] if isinstance(holder, list) else holder[key]
        holder[int(last) if isinstance(holder, list) else last] = value
        path = tmp_path / f"{index}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        old = Spec(to_uri(str(ROOT / "openapi.json")), "openapi.json", Limits())
        try:
            exercise(old, Spec(to_uri(str(path)), path.name, Limits()))
        except KitError as error:
            assert "\n" not in str(error)
