"""One side of a comparison: an OpenAPI document and every document its `$ref`s name.

A place in it is a `Location` (the document's URI and a JSON pointer). `resolve` follows a chain of
`$ref`s to what it names, refusing a chain that comes back to where it started. Documents named by
a relative `$ref` are read on first use, under the same bounds as the first one, all counted
together: `max_bytes` is the size of the whole side, `MAX_DOCUMENTS` how many files it may have.
A document read from a URL may refer only to its own origin; a local one, to files and URLs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from contracts.evolution.errors import DocumentError
from contracts.evolution.parse import parse_document
from contracts.evolution.source import is_remote, local_path, read_bytes, same_origin

MAX_DOCUMENTS = 50  # files one side may consist of (the first one and those its $refs name)
MAX_REF_HOPS = 64  # `$ref`s followed one after another before what they name is reached
_DATA = frozenset({"example", "examples", "default", "enum", "const"})  # values, where "$ref" is data


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Location(NamedTuple):
    """A place in one side's documents (a tuple: hashed at C speed, it keys every cache)."""

    uri: str  # the document, an absolute URI
    pointer: str  # a JSON pointer into it ('' is the whole document)

    def child(self, *tokens: str | int) -> Location:
        return Location(self.uri, self.pointer + "".join("/" + escape(str(t)) for t in tokens))


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 8 * 2**20  # a whole side: the document and every file its $refs name
    timeout: float = 30.0  # seconds to fetch one URL


class Spec:
    """An OpenAPI 3.0 or 3.1 document as read from `given` (a path or an http(s) URL)."""

    def __init__(self, uri: str, name: str, limits: Limits) -> None:
        self.uri = uri
        self.name = name
        self.limits = limits
        self._documents: dict[str, Any] = {}
        self._names: dict[str, str] = {uri: name}
        self._bytes = 0
        self.source = b""  # the first document's bytes (for line numbers in annotations)
        root = self.document(uri)
        if not isinstance(root, dict):
            raise DocumentError(f"{name} is not an OpenAPI document (its top level is not an object)")
        if "swagger" in root:
            raise DocumentError(f"{name} is Swagger {root['swagger']}: convert it to OpenAPI 3 first")
        version = str(root.get("openapi", ""))
        if not (version.startswith("3.0") or version.startswith("3.1")):
            raise DocumentError(
                f"{name} is not an OpenAPI 3.0 or 3.1 document (openapi: {version or 'missing'})"
            )
        self.version = version
        self.is_30 = version.startswith("3.0")
        self.root = Location(uri, "")
        self._resolved: dict[Location, tuple[Location, Any]] = {}
        self._check_refs()

    # documents -------------------------------------------------------------------------------
    def document(self, uri: str) -> Any:
        if uri in self._documents:
            return self._documents[uri]
        if len(self._documents) >= MAX_DOCUMENTS:
            raise DocumentError(f"{self.name} refers to more than {MAX_DOCUMENTS} documents")
        name = self._names.setdefault(uri, self._display(uri))
        data = read_bytes(uri, name, self.limits.max_bytes - self._bytes, self.limits.timeout)
        self._bytes += len(data)
        if not self._documents:
            self.source = data
        value = parse_document(data, name, max(1000, self.limits.max_bytes // 2))
        self._documents[uri] = value
        return value

    def documents(self) -> Mapping[str, Any]:
        """Every document of this side, by URI (all of them: every `$ref` was followed when read)."""
        return self._documents

    def _check_refs(self) -> None:
        """Follows every `$ref` of every document once (reading the files they name): a loop or a
        `$ref` to nothing is refused now, whether or not the comparison would reach it."""
        checked: set[str] = set()
        while len(checked) < len(self._documents):
            uri = next(u for u in self._documents if u not in checked)
            checked.add(uri)
            for location in _refs(Location(uri, ""), self._documents[uri]):
                self.resolve(location)

    def _display(self, uri: str) -> str:
        if is_remote(uri) or is_remote(self.uri):
            return uri
        base = local_path(self.uri).parent
        path = local_path(uri)
        return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)

    # places ------------------------------------------------------------------------------------
    def label(self, location: Location) -> str:
        """`#/pointer` in the first document, `file.yaml#/pointer` in another."""
        prefix = "" if location.uri == self.uri else self._names.get(location.uri, location.uri)
        return f"{prefix}#{location.pointer}"

    def value(self, location: Location) -> Any:
        node = self.document(location.uri)
        for token in _tokens(location.pointer):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise DocumentError(f"{self.label(location)} names nothing in {self.name}")
        return node

    def get(self, location: Location) -> Any:
        """The value at a location that may not exist (None then)."""
        try:
            return self.value(location)
        except DocumentError:
            return None

    def mapping(self, location: Location) -> dict[str, Any]:
        """The object at a location; empty when there is none or it is not an object."""
        found = self.get(location)
        return found if isinstance(found, dict) else {}

    def resolve(self, location: Location) -> tuple[Location, Any]:
        """Where a chain of `$ref`s starting at `location` ends, and the value there."""
        known = self._resolved.get(location)
        if known is not None:
            return known
        seen = [location]
        current, node = location, self.value(location)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                current = self.ref_target(current, node["$ref"])
                node = self.value(current)
            except DocumentError as exc:
                raise DocumentError(
                    f"{self.name}: the $ref at {self.label(seen[-1])} cannot be followed: {exc}"
                ) from None
            if current in seen or len(seen) > MAX_REF_HOPS:
                chain = " → ".join(self.label(s) for s in [*seen, current][:6])
                raise DocumentError(f"{self.name} has a $ref loop: {chain}")
            seen.append(current)
        self._resolved[location] = (current, node)
        return current, node

    def ref_target(self, holder: Location, ref: str) -> Location:
        uri = self._target_uri(holder, ref)
        return Location(uri, unquote(urldefrag(ref).fragment))

    def _target_uri(self, holder: Location, ref: str) -> str:
        target = urldefrag(urljoin(holder.uri, ref)).url
        if target == holder.uri:
            return target
        scheme = urlsplit(target).scheme
        if is_remote(holder.uri) and not (is_remote(target) and same_origin(holder.uri, target)):
            raise DocumentError(
                f"{self.name}: a document read from a URL may refer only to its own origin ({ref})"
            )
        if scheme not in ("file", "http", "https"):
            raise DocumentError(f"{self.name}: cannot follow the $ref {ref} (only files and http(s) URLs)")
        return target


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise DocumentError(f"'{pointer}' is not a JSON pointer")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _refs(at: Location, node: Any) -> Iterator[Location]:
    """Where a document has an object with a `$ref` (the document is at most MAX_DEPTH deep)."""
    stack = [(at, node)]
    while stack:
        location, current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("$ref"), str):
                yield location
            stack.extend(
                (location.child(k), v)
                for k, v in current.items()
                if isinstance(v, dict | list) and k not in _DATA
            )
        elif isinstance(current, list):
            stack.extend((location.child(i), v) for i, v in enumerate(current) if isinstance(v, dict | list))
