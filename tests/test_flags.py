"""Flags generated from dataclass fields: a field with a `Flag` is a working flag, nothing else edited."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import pytest

from mock_server import flags
from mock_server.flag_values import count, instant, instant_text
from mock_server.flags import Flag

LEVELS = {"low": 1, "high": 9}


@dataclass(frozen=True)
class Knobs:
    """A small settings class, as a new setting would be written in mock_server/settings.py."""

    volume: Annotated[int, Flag("--volume", "how loud, `0` silent", count, metavar="N")] = 3
    mode: Annotated[Literal["calm", "busy"], Flag("--mode", "`calm` or `busy`")] = "calm"
    level: Annotated[int, Flag("--level", "how much", choices=LEVELS)] = 9
    loud: Annotated[bool, Flag("--loud", "shout")] = False
    tags: Annotated[tuple[str, ...], Flag("--tag", "a label; repeatable", repeatable=True)] = ()
    names: Annotated[frozenset[str], Flag(
        "--name", "test-only", repeatable=True, in_readme=False)] = frozenset()
    since: Annotated[float | None, Flag("--since", "a start (RFC 3339)", instant, instant_text,
                                        shown="now")] = None
    file: Annotated[Path, Flag("--file", "where, see [the docs](#files)", Path)] = field(
        default_factory=lambda: Path("/etc/knobs.toml"))
    internal: int = 7  # no Flag: no flag sets it


class OneSentence(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)


def parser() -> argparse.ArgumentParser:
    made = OneSentence(prog="knobs")
    flags.add_flags(made, Knobs)
    return made


def knobs(*given: str) -> Knobs:
    return Knobs(**flags.values(Knobs, parser().parse_args(list(given))))


def test_left_out_every_flag_is_the_field_default() -> None:
    assert knobs() == Knobs()


def test_each_kind_of_flag_sets_its_field() -> None:
    chosen = knobs("--volume", "0", "--mode", "busy", "--level", "low", "--loud", "--tag", "a", "--tag",
                   "b", "--name", "x", "--name", "x", "--since", "2026-03-02T08:00:00Z", "--file", "k.toml")
    assert chosen == Knobs(volume=0, mode="busy", level=1, loud=True, tags=("a", "b"),
                           names=frozenset({"x"}), since=1772438400.0, file=Path("k.toml"))


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (["--volume", "-1"], "argument --volume: '-1' is not a whole number of 0 or more"),
        (["--mode", "wild"], "argument --mode: invalid choice: 'wild'"),
        (["--level", "9"], "argument --level: invalid choice: '9'"),
        (["--since", "yesterday"], "argument --since: 'yesterday' is not an ISO 8601 date-time"),
        (["--internal", "1"], "unrecognized arguments: --internal 1"),
    ],
)
def test_a_bad_value_is_the_parsers_one_sentence(given: list[str], says: str) -> None:
    with pytest.raises(ValueError, match="^" + says.replace("(", r"\(")):
        parser().parse_args(given)


def test_help_shows_the_meaning_in_plain_words_and_the_default() -> None:
    text = " ".join(parser().format_help().split())
    assert "--volume N how loud, 0 silent (default 3)" in text
    assert "--mode {calm,busy} calm or busy (default calm)" in text
    assert "--level {low,high} how much (default high)" in text
    assert "--since SINCE a start (RFC 3339) (default now)" in text
    assert "--file FILE where, see the docs (default knobs.toml)" in text
    assert "--loud shout" in text and "--loud shout (default" not in text


def test_the_readme_rows_come_from_the_same_definition() -> None:
    assert flags.table_rows(Knobs) == [
        "| `--volume` | `3` | how loud, `0` silent |",
        "| `--mode` | `calm` | `calm` or `busy` |",
        "| `--level` | `high` | how much |",
        "| `--loud` | off | shout |",
        "| `--tag` | none | a label; repeatable |",
        "| `--since` | now | a start (RFC 3339) |",
        "| `--file` | `knobs.toml` | where, see [the docs](#files) |",
    ]


def test_the_arguments_for_chosen_values_give_them_back() -> None:
    chosen = Knobs(volume=0, mode="busy", level=1, loud=True, tags=("a", "b"), since=1772438400.5)
    given = flags.arguments_for(Knobs, {name: getattr(chosen, name) for name in
                                        ("volume", "mode", "level", "loud", "tags", "since")})
    assert "--level" in given and given[given.index("--level") + 1] == "low"
    assert knobs(*given) == chosen
    assert flags.arguments_for(Knobs, {"loud": False, "since": None}) == []
    with pytest.raises(KeyError):
        flags.arguments_for(Knobs, {"internal": 1})


def test_only_picks_some_fields() -> None:
    made = OneSentence(prog="knobs")
    flags.add_flags(made, Knobs, only=("loud",))
    assert flags.values(Knobs, made.parse_args(["--loud"])) == {"loud": True}


def test_a_flag_needs_a_default_and_a_switch_is_off() -> None:
    @dataclass
    class NoDefault:
        size: Annotated[int, Flag("--size", "how big", count)]

    @dataclass
    class AlwaysOn:
        on: Annotated[bool, Flag("--on", "on")] = True

    with pytest.raises(TypeError, match="size needs a default"):
        flags.add_flags(argparse.ArgumentParser(), NoDefault)
    with pytest.raises(TypeError, match="--on must be off by default"):
        flags.add_flags(argparse.ArgumentParser(), AlwaysOn)


def test_a_repeatable_flag_of_choices_collects_values() -> None:
    @dataclass
    class Many:
        levels: Annotated[tuple[int, ...], Flag("--level", "how much", choices=LEVELS, repeatable=True)] = ()

    made = OneSentence(prog="many")
    flags.add_flags(made, Many)
    assert Many(**flags.values(Many, made.parse_args(["--level", "low", "--level", "high"]))).levels == (1, 9)
    assert flags.arguments_for(Many, {"levels": (9,)}) == ["--level", "high"]
