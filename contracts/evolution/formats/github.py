"""GitHub Actions workflow commands: one annotation per change, on NEW's line where it is a file.

Changes that fail the gate are errors, other potentially breaking ones warnings, compatible ones
notices (GitHub shows the first 10 of each kind per step, all of them in the run's log).
"""

from __future__ import annotations

from collections.abc import Callable

from contracts.evolution.result import DiffResult


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: DiffResult, new_file: str | None, line_of: Callable[[str], int | None]) -> str:
    """`new_file`: NEW's path as the repository names it (None for a URL); `line_of`: a pointer's line."""
    out = []
    for change in result.ordered():
        kind = "error" if change.level >= result.fail_on else "warning" if change.level else "notice"
        place = ""
        if new_file is not None:
            place = f"file={_property(new_file)},"
            line = line_of(change.new[1:]) if change.new and change.new.startswith("#") else None
            if line is not None:
                place += f"line={line},"
        title = _property(f"{change.rule} ({change.level.words})")
        out.append(f"::{kind} {place}title={title}::{_data(change.operation + ': ' + change.message)}")
    for impact in result.traffic:
        kind = "error" if impact.breaking else "notice"
        out.append(f"::{kind} title={_property('traffic: ' + impact.source)}::{_data(impact.headline())}")
    out.append(result.summary())
    return "\n".join(out) + "\n"
