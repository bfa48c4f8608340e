"""Fixtures: ids of resources that exist on the target, by the names the profiles' rules use.

Each profile declares the fixtures its rules need (`KitDialect.fixtures`, `FixtureField`s): a name,
its place in the fixtures file, and the sandbox's id as the default. A file names ids per section
(the shape the sandbox prints for a new workspace); keys left out keep the sandbox's ids, keys set
to null switch the rules that need them off.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from contracts.dialects import DIALECTS, FixtureField, KitDialect
from contracts.errors import FixturesError

IGNORED_SECTIONS = frozenset({"phone_numbers"})  # printed by the sandbox; no rule needs them


def known_fields(extra: Iterable[FixtureField] = ()) -> dict[str, FixtureField]:
    """name -> field, for every built-in profile's fixtures and `extra`."""
    profiles = sorted(DIALECTS, key=lambda d: d.name)
    return {f.name: f for f in (*(f for d in profiles for f in d.fixtures), *extra)}


class Fixtures:
    """The fixtures of a run: what a file gave, else the sandbox's ids (each field's default)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None, **given: Any) -> None:
        defaults = {name: f.default for name, f in known_fields().items()}
        object.__setattr__(self, "_values", {**defaults, **(values or {}), **given})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no fixture named {name!r}") from None

    def get(self, name: str) -> Any:
        """The fixture's value; None when the target has none (or no profile declares it)."""
        return self._values.get(name)

    def for_profile(self, dialect: KitDialect) -> Fixtures:
        """These fixtures, with the defaults of the profile's own fields that are not set yet."""
        return Fixtures({**{f.name: f.default for f in dialect.fixtures}, **self._values})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixtures) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))

    def __repr__(self) -> str:
        return f"Fixtures({self._values!r})"


def example(fields: Iterable[FixtureField]) -> str:
    """A fixtures file naming every field, each with what it is."""
    lines: list[str] = []
    for section, entries in _by_section(fields):
        lines.append(f"{section}:")
        lines += [f"  {f.key}: {'[...]' if f.numbers else '...'}   # {f.note}" for f in entries]
    return "\n".join(lines) + "\n"


def _by_section(fields: Iterable[FixtureField]) -> Iterator[tuple[str, list[FixtureField]]]:
    sections: dict[str, list[FixtureField]] = {}
    for f in fields:
        sections.setdefault(f.section, []).append(f)
    yield from sections.items()


def load_fixtures(path: Path, extra: Iterable[FixtureField] = ()) -> Fixtures:
    """Read a fixtures file against the fields of every built-in profile and `extra`."""
    fields = known_fields(extra)
    expected = example(fields.values())
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixturesError(f"cannot read the fixtures file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FixturesError(f"the fixtures file {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise FixturesError(f"the fixtures file {path} must be a mapping like:\n{expected}")
    places = {(f.section, key): f for f in fields.values() for key in (f.key, *f.aliases)}
    sections = {f.section for f in fields.values()}
    values: dict[str, Any] = {}
    for section, entries in raw.items():
        if section in IGNORED_SECTIONS:
            continue
        if section not in sections or not isinstance(entries, dict):
            raise FixturesError(f"{path}: unknown section '{section}'; expected:\n{expected}")
        for key, value in entries.items():
            found = places.get((section, key))
            if found is None:
                raise FixturesError(f"{path}: unknown key '{section}.{key}'; expected:\n{expected}")
            values[found.name] = _value(path, found, value)
    return Fixtures(values)


def _value(path: Path, field: FixtureField, value: Any) -> Any:
    where = f"{field.section}.{field.key}"
    if field.numbers:
        if not (
            isinstance(value, list)
            and len(value) >= field.numbers
            and all(isinstance(v, str) and v for v in value)
        ):
            raise FixturesError(f"{path}: '{where}' must list at least {_count(field.numbers)} E.164 numbers")
        return tuple(value)
    if value is not None and (not isinstance(value, str) or not value):
        raise FixturesError(f"{path}: '{where}' must be an id (a non-empty string) or null")
    return value


def _count(number: int) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    return words.get(number, str(number))
