"""Bytes → a JSON value (JSON first, then YAML), bounded in depth and in values.

YAML is read with the safe loader, in three steps, so that nothing is built before it is measured:
the event stream bounds the nesting, the composed node graph bounds the values an alias expands to
(counted each time it is used: a "billion laughs" is refused before it is built), and only then are
the Python values constructed, copied into a plain tree with string keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import yaml

from contracts.evolution.errors import DocumentError

MAX_DEPTH = 256  # nesting of objects and arrays; real documents stay under 40


class _Loader(yaml.CSafeLoader):
    """The safe loader, with timestamps kept as the text they were written as (JSON has no dates)."""


def _timestamp(loader: _Loader, node: yaml.Node) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def parse_document(data: bytes, name: str, max_values: int) -> Any:
    """The document's value; JSON or YAML, a single document, at most MAX_DEPTH deep."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{name} is not UTF-8 text (byte {exc.start})") from None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc):
            raise DocumentError(f"{name} is nested deeper than {MAX_DEPTH} levels") from None
        json_problem = str(exc)
    else:
        _check_depth(value, name)
        return value
    return _parse_yaml(text, name, max_values, json_problem)


def _check_depth(value: Any, name: str) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(f"{name} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def _parse_yaml(text: str, name: str, max_values: int, json_problem: str) -> Any:
    try:
        _check_events(yaml.parse(text, Loader=yaml.CSafeLoader), name)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise DocumentError(f"{name} is empty")
            expanded = _count(node, {}, 1, name)
            if expanded > max_values:
                raise DocumentError(
                    f"{name} expands to more than {max_values:,} values (YAML aliases count each time "
                    "they are used)"
                )
            value = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise DocumentError(
            f"{name} is neither JSON ({json_problem}) nor YAML ({_yaml_problem(exc)})"
        ) from None
    return _plain(value, name)


def _check_events(events: Iterator[yaml.Event], name: str) -> None:
    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise DocumentError(f"{name} is nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _count(node: yaml.Node, counted: dict[int, int], depth: int, name: str) -> int:
    """How many values the node stands for once every alias is expanded (memoised: linear time)."""
    known = counted.get(id(node))
    if known is not None:
        return known
    if depth > MAX_DEPTH:  # only an alias can nest deeper than the text: one that contains itself
        raise DocumentError(f"{name} has a YAML alias that contains itself or nests deeper than {MAX_DEPTH}")
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_count(item, counted, depth + 1, name) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        for key, item in node.value:
            total += _count(key, counted, depth + 1, name) + _count(item, counted, depth + 1, name)
    counted[id(node)] = total
    return total


def _plain(value: Any, name: str) -> Any:
    """A copy with string keys and JSON values only (YAML reads `200:` as an integer key)."""
    if isinstance(value, dict):
        return {_key(key): _plain(item, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, name) for item in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise DocumentError(f"{name} holds a YAML value that JSON cannot ({type(value).__name__})")


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} at line {mark.line + 1}" if mark is not None else str(problem)
