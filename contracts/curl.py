"""curl commands that reproduce a request, with every credential replaced by an environment variable.

A reproduction goes into reports that are shared (CI logs, a partner's inbox), so a credential never
appears in one: a value the kit knows to be a key (`secrets`) is written as the variable that stands
for it; a header or query parameter that carries a credential (`Redaction.headers`,
`Redaction.parameters`: the profiles' auth headers, the sandbox's admin token, the usual query
names) is written as its variable whatever its value, when the kit cannot know the value (the
proxy). Every word is shell-quoted so that pasting the command runs curl and nothing else, and
written with printable characters only (bash's `$'…'` quoting for the others), so that a command is
exact and still safe to print on a terminal.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

API_KEY_ENV = "BATCHCALLS_API_KEY"
API_SECRET_ENV = "BATCHCALLS_API_SECRET"  # the secret sent with the key (e.g. Zudu's X-API-SECRET)
OTHER_API_KEY_ENV = "BATCHCALLS_OTHER_API_KEY"
OTHER_API_SECRET_ENV = "BATCHCALLS_OTHER_API_SECRET"
ADMIN_TOKEN_ENV = "BATCHCALLS_ADMIN_TOKEN"
COOKIE_ENV = "BATCHCALLS_COOKIE"
# credentials outside the profiles' auth headers: the sandbox's admin token, cookies
OTHER_CREDENTIAL_HEADERS = {"x-mock-admin-token": ADMIN_TOKEN_ENV, "cookie": COOKIE_ENV}
# query parameters that carry a key in the APIs people put behind a proxy (lower-case names)
CREDENTIAL_PARAMETERS = {
    "api_key": API_KEY_ENV,
    "apikey": API_KEY_ENV,
    "api-key": API_KEY_ENV,
    "key": API_KEY_ENV,
    "access_token": API_KEY_ENV,
    "token": API_KEY_ENV,
    "api_secret": API_SECRET_ENV,
    "secret": API_SECRET_ENV,
    "admin_token": ADMIN_TOKEN_ENV,
}
_SKIPPED_HEADERS = {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9!#%&'*+.^_|~-]*")  # an auth-scheme token, without $ and `
_PLAIN = re.compile(r"[A-Za-z0-9 ,./:;=?@%&+_-]*")  # needs no escaping inside double quotes


@dataclass(frozen=True, slots=True)
class Redaction:
    """What stands for a credential in a reproduction."""

    secrets: Mapping[str, str] = field(default_factory=dict)  # a known credential -> its variable
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case header name -> its variable
    parameters: Mapping[str, str] = field(default_factory=lambda: CREDENTIAL_PARAMETERS)


def secret_variables(
    api_key: str | None,
    api_secret: str | None = None,
    other_api_key: str | None = None,
    other_api_secret: str | None = None,
) -> dict[str, str]:
    """Each credential given -> the environment variable that stands for it in curl commands."""
    pairs = (
        (api_key, API_KEY_ENV),
        (api_secret, API_SECRET_ENV),
        (other_api_key, OTHER_API_KEY_ENV),
        (other_api_secret, OTHER_API_SECRET_ENV),
    )
    return {value: variable for value, variable in pairs if value}


class _Variable(str):
    """A part of a word that is a reference to an environment variable."""


def _quote(text: str) -> str:
    """One shell word: single quotes when `text` is printable, else bash's `$'…'` with escapes."""
    if text.isprintable():
        return shlex.quote(text)
    escaped = []
    for char in text:
        if char in "\\'":
            escaped.append("\\" + char)
        elif char in "\n\t\r":
            escaped.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
        elif char.isprintable():
            escaped.append(char)
        elif ord(char) < 0x100:
            escaped.append(f"\\x{ord(char):02x}")
        else:
            escaped.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return "$'" + "".join(escaped) + "'"


def _word(parts: list[str]) -> str:
    """One shell word of literal parts and `_Variable`s (expanded by the shell)."""
    if not any(isinstance(part, _Variable) for part in parts):
        return _quote("".join(parts))
    if all(isinstance(part, _Variable) or _PLAIN.fullmatch(part) for part in parts):
        return '"' + "".join(f"${part}" if isinstance(part, _Variable) else part for part in parts) + '"'
    return "".join(f'"${part}"' if isinstance(part, _Variable) else _quote(part) for part in parts if part)


def _header(name: str, value: str, redaction: Redaction) -> list[str]:
    lower = name.lower()
    if lower == "authorization" or lower in redaction.headers:
        scheme, space, credential = value.partition(" ")
        has_scheme = bool(space) and bool(_SCHEME.fullmatch(scheme))
        key = credential if has_scheme else value
        variable = redaction.secrets.get(key) or redaction.headers.get(lower)
        if variable is not None:
            return [f"{name}: " + (f"{scheme} " if has_scheme else ""), _Variable(variable)]
    elif value in redaction.secrets:  # a key or secret in a header of its own, when known
        return [f"{name}: ", _Variable(redaction.secrets[value])]
    return [f"{name}: {value}"]


def _url(url: str, redaction: Redaction) -> list[str]:
    """The URL, each credential parameter's value a variable."""
    before, mark, query = url.partition("?")
    if not mark or not redaction.parameters:
        return [url]
    parts: list[str] = [before + "?"]
    for index, pair in enumerate(query.split("&")):
        name, equals, _value = pair.partition("=")
        separator = "&" if index else ""
        variable = redaction.parameters.get(unquote_plus(name).lower()) if equals else None
        if variable is None:
            parts.append(separator + pair)
        else:
            parts += [f"{separator}{name}=", _Variable(variable)]
    return parts


def redact_url(url: str, redaction: Redaction) -> str:
    """`url` with each credential parameter's value written `$VARIABLE` (for messages)."""
    return "".join(f"${part}" if isinstance(part, _Variable) else part for part in _url(url, redaction))


def redact_header(name: str, value: str, redaction: Redaction) -> str:
    """A header's value with its credential written `$VARIABLE` (for files that keep traffic)."""
    parts = _header(name, value, redaction)
    return "".join(f"${part}" if isinstance(part, _Variable) else part for part in parts)[len(name) + 2:]


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str] | list[tuple[str, str]],
    body: bytes | None,
    redaction: Redaction | Mapping[str, str],
    *,
    max_body: int | None = None,
) -> str:
    """The request as a curl command. `redaction`: what stands for credentials (a mapping: the known
    credentials only); `max_body`: longer bodies are left out of the command, which says so."""
    if not isinstance(redaction, Redaction):
        redaction = Redaction(secrets=redaction)
    items = headers.items() if isinstance(headers, Mapping) else headers
    parts = ["curl", "-i", "-X", _quote(method)]
    for name, value in items:
        if name.lower() not in _SKIPPED_HEADERS:
            parts += ["-H", _word(_header(name, value, redaction))]
    tail = ""
    if body and max_body is not None and len(body) > max_body:
        parts += ["--data-binary", "@-"]
        tail = f"  # the body ({len(body)} bytes, over {max_body}) is not shown: pipe it in"
    elif body:
        parts += ["--data-binary", _quote(body.decode("utf-8", "replace"))]
    parts.append(_word(_url(url, redaction)))
    return " ".join(parts) + tail


_FILTERED = {
    "'Authorization: [Filtered]'": f'"Authorization: Bearer ${API_KEY_ENV}"',
    "'X-API-KEY: [Filtered]'": f'"X-API-KEY: ${API_KEY_ENV}"',
    "'X-API-SECRET: [Filtered]'": f'"X-API-SECRET: ${API_SECRET_ENV}"',
}


def unfilter_schemathesis_curl(command: str) -> str:
    """Schemathesis masks credentials as [Filtered]; point them at the key's environment variable."""
    for masked, variable in _FILTERED.items():
        command = command.replace(masked, variable)
    return command
