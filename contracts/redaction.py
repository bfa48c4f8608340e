"""What the request journal never shows in clear: the one list of credentials and how each is hidden.

A credential is shown as its scheme and last 4 characters (`Bearer sk_test_sandbox` → `Bearer …dbox`),
enough to tell keys apart; one under 12 characters shows none. Hidden wherever it travels:
- headers: HTTP's own credentials (`Authorization`, `Proxy-Authorization`, `Cookie`), and those each
  API's credential scheme names secret (`engine/credentials.py`: Zudu's `X-API-SECRET`, not its key
  id; the control API's admin token), handed to the reader of the journal;
- JSON fields of bodies whose name, in any case and with or without `_`/`-`, is a credential's:
  `api_key` (`apiKey`, `API_KEY`), `api_secret`, `webhook_secret`, `secret`, `admin_token`,
  `password`, `token`, `access_token`, `client_secret`, `private_key`…;
- query parameters, in the query string and in URLs a body carries (any string that is an http(s)
  URL, whatever its field), whose
  name names a credential (`api_key`, `X-Api-Token`, `access_token`, `client_secret`, `sig`…);
- the user information of those URLs (`https://user:token@host/…`).

Pure: strings and JSON values in, the same out (the very same object when nothing was hidden, so a
caller can tell whether anything was).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# credentials in HTTP itself (RFC 9110, RFC 6265), hidden whatever API a request was for
HTTP_CREDENTIALS = frozenset({"authorization", "proxy-authorization", "cookie"})
# JSON fields that hold credentials (the control API answers new workspaces' keys and secrets), by
# their name lowered and without `_` and `-` (`apiKey`, `API_KEY` and `api-key` are `apikey`)
REDACTED_FIELDS = frozenset({
    "apikey", "apisecret", "webhooksecret", "secret", "admintoken", "password", "passwd", "token",
    "accesstoken", "refreshtoken", "idtoken", "authtoken", "clientsecret", "privatekey", "authorization",
    "sessionid", "cookie", "otp",
})
_SEPARATORS = str.maketrans("", "", "_-")
# an authentication scheme (RFC 9110 §11.1: a token; never holds `=` or `;`, which a cookie does)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^`|~-]*")
# a shell variable's name, which the kit's reproductions write in a credential's place: not a secret
_VARIABLE = re.compile(r"\$[A-Z_][A-Z0-9_]*")
_KEPT_CHARACTERS = 4
_SHORTEST_SHOWN = 12  # a shorter secret is hidden whole: its last 4 characters would give much away

# A parameter names a credential when its name contains one of these...
_CREDENTIAL_STEMS = ("token", "secret", "passw", "apikey", "auth", "credential", "signature", "session",
                     "cookie", "jwt", "bearer", "hmac")
# ...or has one of these as a word of its own (`api_key`, `privateKey`, `sig`; not `monkey`)
_CREDENTIAL_WORDS = frozenset({"key", "sig", "pwd", "otp", "pass"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def redact(value: str) -> str:
    """`Bearer sk_test_0a1b2c3d` → `Bearer …2c3d`: the scheme, if any, and the last 4 characters.
    Only `scheme credential` shows its first word; any other value (a cookie, words) shows none."""
    if _VARIABLE.fullmatch(value):
        return value
    parts = value.split()
    scheme = parts[0] if len(parts) == 2 and _SCHEME.fullmatch(parts[0]) else ""
    secret = parts[-1] if scheme else value.strip()
    shown = secret[-_KEPT_CHARACTERS:] if len(secret) >= _SHORTEST_SHOWN else ""
    return f"{scheme} …{shown}" if scheme else f"…{shown}"


def names_a_credential(name: str) -> bool:
    """Whether a query parameter called `name` carries a credential."""
    lowered = name.lower()
    if any(stem in lowered for stem in _CREDENTIAL_STEMS):
        return True
    return any(word.lower() in _CREDENTIAL_WORDS for word in _WORD.findall(name))


def redact_query(query: str) -> str:
    """A query string with the value of each credential parameter redacted, the rest as sent."""
    if not query:
        return query
    parts = query.split("&")
    changed = False
    for i, part in enumerate(parts):
        name, equals, value = part.partition("=")
        if equals and names_a_credential(unquote_plus(name)):
            parts[i] = f"{name}={redact(unquote_plus(value))}"
            changed = True
    return "&".join(parts) if changed else query


def redact_url(url: str) -> str:
    """A URL without the credentials it carries: its user information and credential parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL (an unclosed `[`): nothing to take apart
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at:
        user, colon, password = userinfo.partition(":")
        netloc = f"{user}:{redact(password)}@{host}" if colon else f"{redact(user)}@{host}"
    query = redact_query(parts.query)
    if netloc == parts.netloc and query is parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redacted(value: Any) -> Any:
    """A JSON value with every credential field and URL credential redacted; `value` itself when
    there was none. Values of other types (encoded fragments of a cache) are left as they are."""
    if isinstance(value, dict):
        pairs: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        pairs = enumerate(value)
    else:
        return value
    copy: Any = None  # made at the first credential found: a value without any is not copied
    for key, item in pairs:
        new = _shown(key, item)
        if new is not item:
            if copy is None:
                copy = type(value)(value)
            copy[key] = new
    return value if copy is None else copy


def _shown(key: Any, item: Any) -> Any:
    """An item of a dict (under `key`) or of a list (at index `key`), redacted if need be."""
    credential = isinstance(key, str) and key.lower().translate(_SEPARATORS) in REDACTED_FIELDS
    if not isinstance(item, str):
        # a credential given as a number, a list or an object: hidden whole
        return "…" if credential and item is not None else redacted(item)
    if credential:
        return redact(item)
    if item[:8].lower().startswith(("http://", "https://")) or (
        isinstance(key, str) and (key == "url" or key.endswith("_url"))
    ):
        return redact_url(item)
    return item
