"""One Starlette route for every path of a spec, matched by segments instead of a regex per path.

Literal paths win over templated ones (`/contacts/folders` before `/contacts/{contact_id}`), as in
OpenAPI; a known path with another method is a 405 with `Allow`, as Starlette's own routes do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class PathEntry:
    template: str
    segments: tuple[str | None, ...]  # None marks a {parameter}
    names: tuple[str, ...]
    endpoint: ASGIApp
    methods: frozenset[str]


def _entry(template: str, endpoint: ASGIApp, methods: Sequence[str]) -> PathEntry:
    segments: list[str | None] = []
    names: list[str] = []
    for part in template.strip("/").split("/"):
        if part.startswith("{") and part.endswith("}"):
            segments.append(None)
            names.append(part[1:-1])
        else:
            segments.append(part)
    allowed = {m.upper() for m in methods}
    if "GET" in allowed:
        allowed.add("HEAD")
    return PathEntry(template, tuple(segments), tuple(names), endpoint, frozenset(allowed))


class SpecRoutes(BaseRoute):
    def __init__(self, prefix: str, paths: Mapping[str, tuple[ASGIApp, Sequence[str]]]) -> None:
        self.prefix = prefix.rstrip("/")
        entries = [_entry(t, endpoint, methods) for t, (endpoint, methods) in paths.items()]
        self._literal = {"/" + e.template.strip("/"): e for e in entries if not e.names}
        self._templated: dict[int, list[PathEntry]] = {}
        for entry in sorted((e for e in entries if e.names), key=lambda e: len(e.names)):
            self._templated.setdefault(len(entry.segments), []).append(entry)

    def _lookup(self, rest: str) -> tuple[PathEntry, dict[str, str]] | None:
        literal = self._literal.get(rest.rstrip("/") or "/")
        if literal is not None:
            return literal, {}
        parts = rest.strip("/").split("/")
        for entry in self._templated.get(len(parts), ()):
            params: dict[str, str] = {}
            for part, segment in zip(parts, entry.segments, strict=True):
                if segment is None:
                    if not part:
                        break
                    params[entry.names[len(params)]] = part
                elif part != segment:
                    break
            else:
                return entry, params
        return None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path: str = scope["path"]
        if not path.startswith(self.prefix + "/"):
            return Match.NONE, {}
        found = self._lookup(path[len(self.prefix):])
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
