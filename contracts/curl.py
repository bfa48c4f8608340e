"""curl commands that reproduce a request, with the API keys replaced by environment variables."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

API_KEY_ENV = "BATCHCALLS_API_KEY"
API_SECRET_ENV = "BATCHCALLS_API_SECRET"  # Zudu's X-API-SECRET
OTHER_API_KEY_ENV = "BATCHCALLS_OTHER_API_KEY"
OTHER_API_SECRET_ENV = "BATCHCALLS_OTHER_API_SECRET"
_SKIPPED_HEADERS = {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}


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


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    secrets: Mapping[str, str],
) -> str:
    """`secrets` maps a key to the environment variable that stands for it in the command."""
    parts = ["curl", "-i", "-X", method]
    for name, value in headers.items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        if name.lower() == "authorization":
            scheme, _, key = value.partition(" ")
            if key in secrets:
                parts += ["-H", f'"Authorization: {scheme} ${secrets[key]}"']
                continue
        elif value in secrets:  # Zudu's X-API-KEY / X-API-SECRET
            parts += ["-H", f'"{name}: ${secrets[value]}"']
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        parts += ["--data-binary", shlex.quote(body.decode("utf-8", "replace"))]
    parts.append(shlex.quote(url))
    return " ".join(parts)


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
