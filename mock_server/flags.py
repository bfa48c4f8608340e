"""Command-line flags generated from dataclass fields: a field annotated with a `Flag` is a flag.

`Settings` (and `serve`'s own `Listener`) declare each flag once, beside the field it sets, as
`Annotated[type, Flag(…)]`. From that one definition come the argparse arguments (`add_flags`),
the field values of parsed arguments (`values`), the arguments that give chosen values back
(`arguments_for`: a test starting a server), the defaults `--help` shows and the README's flags
table (`table_rows`). A field without a `Flag` is internal: no flag sets it.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True, slots=True)
class Flag:
    """How a field is set on the command line.

    `doc` is the flag's meaning as the README's table says it (Markdown: `code`, [links](#…));
    `--help` shows it as plain text. `parse` reads the text given into the field's value, raising
    `argparse.ArgumentTypeError` with one sentence; `text` writes a value back as that text.
    `choices`: the words allowed (a mapping: each word's value); a `Literal` field's are its values.
    A `bool` field is a switch (no value); a `repeatable` one collects every use into its default's
    type (a tuple, a frozenset). `shown` is the default as people read it, when its value does not
    say it (Markdown, e.g. "now"); `in_readme=False` keeps a test-only flag out of the README.
    """

    name: str
    doc: str
    parse: Callable[[str], Any] = str
    text: Callable[[Any], str] = str
    choices: Mapping[str, Any] | Sequence[str] | None = None
    repeatable: bool = False
    metavar: str | None = None
    shown: str | None = None
    in_readme: bool = True


@dataclass(frozen=True, slots=True)
class FlagField:
    """A flag and the field it sets."""

    field: str
    flag: Flag
    default: Any  # the field's default value
    choices: Mapping[str, Any] | None  # word → value

    @property
    def switch(self) -> bool:
        return isinstance(self.default, bool)

    def word(self, value: Any) -> Any:
        """The word that chooses `value`, for a flag of choices; else the value."""
        if self.choices is None:
            return value
        return next(word for word, chosen in self.choices.items() if chosen == value)

    def value(self, word: Any) -> Any:
        """The value a word of a flag of choices stands for; else what was parsed."""
        return word if self.choices is None or word is None else self.choices[word]

    def default_shown(self) -> str:
        """The default as the README writes it: a value in `code`, or a word (none, off)."""
        if self.flag.shown is not None:
            return self.flag.shown
        if self.flag.repeatable:
            return ", ".join(f"`{self.word(item)}`" for item in self.default) or "none"
        value = self.word(self.default)
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, float):
            return f"`{value:g}`"
        if isinstance(value, Path):
            return f"`{value.name}`"
        return f"`{value}`"


def flag_fields(cls: type[Any]) -> Iterator[FlagField]:
    """The flags of a dataclass, in the order of its fields."""
    hints = get_type_hints(cls, include_extras=True)
    for item in dataclasses.fields(cls):
        hint = hints[item.name]
        if get_origin(hint) is not Annotated:
            continue
        kind, *extras = get_args(hint)
        for flag in extras:
            if isinstance(flag, Flag):
                default = _default(item)
                if default is True:
                    raise TypeError(f"the switch {flag.name} must be off by default: nothing turns it off")
                yield FlagField(item.name, flag, default, _choices(flag, kind))


def _default(item: dataclasses.Field[Any]) -> Any:
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    raise TypeError(f"the flag of {item.name} needs a default: a flag may always be left out")


def _choices(flag: Flag, kind: Any) -> Mapping[str, Any] | None:
    if isinstance(flag.choices, Mapping):
        return flag.choices
    if flag.choices is not None:
        return {word: word for word in flag.choices}
    if get_origin(kind) is Literal:
        return {str(word): word for word in get_args(kind)}
    return None


def plain(markdown: str) -> str:
    """A README cell as --help shows it: no backticks, a link's text without its target."""
    return _LINK.sub(r"\1", markdown).replace("`", "")


def add_flags(parser: argparse.ArgumentParser, cls: type[Any], only: Sequence[str] | None = None) -> None:
    """An argument for each flag of `cls` (of its fields named in `only`), its default the field's."""
    for each in flag_fields(cls):
        if only is not None and each.field not in only:
            continue
        flag, help_text = each.flag, plain(each.flag.doc)
        if not each.switch:
            help_text += f" (default {plain(each.default_shown())})"
        options: dict[str, Any] = {"dest": each.field, "help": help_text.replace("%", "%%")}
        if each.switch:
            parser.add_argument(flag.name, action="store_true", **options)
            continue
        options["metavar"] = flag.metavar or flag.name.lstrip("-").upper().replace("-", "_")
        if each.choices is not None:
            options["choices"] = list(each.choices)
            options.pop("metavar")  # argparse shows the choices
        else:
            options["type"] = flag.parse
        if flag.repeatable:
            parser.add_argument(flag.name, action="append", default=None, **options)
        else:
            parser.add_argument(flag.name, default=each.word(each.default), **options)


def values(cls: type[Any], args: argparse.Namespace) -> dict[str, Any]:
    """The field values parsed arguments give `cls` (keywords for its constructor)."""
    found: dict[str, Any] = {}
    for each in flag_fields(cls):
        if not hasattr(args, each.field):
            continue
        value = getattr(args, each.field)
        if each.flag.repeatable:
            value = type(each.default)(each.value(word) for word in value or ())
        else:
            value = each.value(value)
        found[each.field] = value
    return found


def arguments_for(cls: type[Any], chosen: Mapping[str, Any]) -> list[str]:
    """The command-line arguments that give `cls`'s fields the `chosen` values (a KeyError names a
    field that no flag sets)."""
    flags = {each.field: each for each in flag_fields(cls)}
    arguments: list[str] = []
    for name, value in chosen.items():
        each, flag = flags[name], flags[name].flag
        if each.switch:
            arguments += [flag.name] if value else []
        elif flag.repeatable:
            arguments += [text for item in value for text in (flag.name, flag.text(each.word(item)))]
        elif each.choices is not None:
            arguments += [flag.name, each.word(value)]
        elif value is not None:
            arguments += [flag.name, flag.text(value)]
    return arguments


def table_rows(*classes: type[Any]) -> list[str]:
    """The README's flags table (after its header), one row a flag, in the order of the fields."""
    return [
        f"| `{each.flag.name}` | {each.default_shown()} | {each.flag.doc} |"
        for cls in classes
        for each in flag_fields(cls)
        if each.flag.in_readme
    ]
