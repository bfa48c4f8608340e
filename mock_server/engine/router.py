"""One Starlette route for every path of a spec, matched by segments instead of a regex per path.

Literal paths win over templated ones (`/contacts/folders` before `/contacts/{contact_id}`), as in
OpenAPI; a known path with another method is a 405 with `Allow`, as Starlette's own routes do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")
RECENT_PATHS = 4096  # templated paths remembered per table; past it the memory starts over
RECENT_PATH_LENGTH = 256  # longer paths are not remembered: the memory is bounded in bytes, before any
# authentication (a client's ids are short; a 64 KiB path costs its lookup each time, nothing kept)


@dataclass(frozen=True, slots=True)
class _Template(Generic[T]):
    literals: tuple[tuple[int, str], ...]  # (position, the text the segment must be)
    params: tuple[tuple[int, str], ...]  # (position, the parameter's name)
    value: T


class PathTable(Generic[T]):
    """Path templates (relative to a prefix) → values, looked up by segments, literal first."""

    def __init__(self, prefix: str, paths: Mapping[str, T]) -> None:
        self.prefix = prefix.rstrip("/")
        self._start = self.prefix + "/"
        self._literal: dict[tuple[str, ...], T] = {}
        # the templated paths last looked up, as found: a client polling a batch asks for the same
        # path again and again (splitting and matching it was a tenth of a GET by id)
        self._recent: dict[str, tuple[T, dict[str, str]]] = {}
        templated: list[tuple[int, str | None, _Template[T]]] = []
        for template, value in paths.items():
            parts = template.strip("/").split("/")
            if not any(p.startswith("{") for p in parts):
                self._literal[tuple(parts)] = value
                continue
            is_param = [p.startswith("{") and p.endswith("}") for p in parts]
            entry = _Template(
                tuple((i, p) for i, p in enumerate(parts) if not is_param[i]),
                tuple((i, p[1:-1]) for i, p in enumerate(parts) if is_param[i]),
                value,
            )
            templated.append((len(parts), None if is_param[0] else parts[0], entry))
        templated.sort(key=lambda t: len(t[2].params))  # fewest parameters first, stable
        # by segment count, then by first segment: the candidates in the order above, so a lookup
        # tries the one or two templates that can match instead of all of that length (a tenth of
        # a GET by id went to trying them all)
        self._templated: dict[int, dict[str | None, list[_Template[T]]]] = {}
        for count in {count for count, _, _ in templated}:
            firsts = {first for c, first, _ in templated if c == count}
            self._templated[count] = {
                key: [e for c, first, e in templated if c == count and first in (key, None)]
                for key in firsts | {None}
            }

    def lookup(self, path: str) -> tuple[T, dict[str, str]] | None:
        """The value of the template matching a full request path, and its parameters.

        `path` is the raw path (`request_path`): it is split at its slashes first and each segment
        decoded after, so an encoded slash (`%2F`) stays inside its segment, as a value.
        """
        if not path.startswith(self._start):
            return None
        recent = self._recent.get(path)
        if recent is not None:
            return recent[0], dict(recent[1])
        # no stripping: a trailing slash is another path (`DELETE /_mock/faults/` is not the list's)
        segments = path[len(self._start) :].split("/")
        parts = tuple(unquote(part) for part in segments) if "%" in path else tuple(segments)
        literal = self._literal.get(parts)
        if literal is not None:
            return literal, {}
        by_first = self._templated.get(len(parts))
        if by_first is None:
            return None
        for entry in by_first.get(parts[0]) or by_first[None]:
            for i, text in entry.literals:
                if parts[i] != text:
                    break
            else:
                for i, _ in entry.params:
                    if not parts[i]:
                        break
                else:
                    params = {name: parts[i] for i, name in entry.params}
                    if len(path) <= RECENT_PATH_LENGTH:
                        if len(self._recent) >= RECENT_PATHS:
                            self._recent.clear()
                        self._recent[path] = (entry.value, params)
                    return entry.value, dict(params)
        return None


def request_path(scope: Scope) -> str:
    """The path as the client sent it (percent-encoded), which routing must split before decoding."""
    raw: bytes | None = scope.get("raw_path")
    if not raw:
        return str(scope["path"])
    return raw.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class PathEntry:
    endpoint: ASGIApp
    methods: frozenset[str]


class SpecRoutes(BaseRoute):
    def __init__(self, prefix: str, paths: Mapping[str, tuple[ASGIApp, Sequence[str]]]) -> None:
        entries = {}
        for template, (endpoint, methods) in paths.items():
            allowed = {m.upper() for m in methods} | ({"HEAD"} if "GET" in methods else set())
            entries[template] = PathEntry(endpoint, frozenset(allowed))
        self.table = PathTable(prefix, entries)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        found = self.table.lookup(request_path(scope))
        if found is None:
            return Match.NONE, {}
        entry, params = found
        child = {"endpoint": entry.endpoint, "path_params": params, "spec_entry": entry}
        return (Match.FULL if scope["method"] in entry.methods else Match.PARTIAL), child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry: PathEntry = scope["spec_entry"]
        if scope["method"] not in entry.methods:
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(entry.methods))})
        await entry.endpoint(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: object) -> URLPath:
        raise NoMatchFound(name, path_params)
