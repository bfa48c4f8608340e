"""The documents an assistant reads: the three OpenAPI documents the sandbox serves (fetched over
HTTP once, so they are the ones it enforces) and the spec notes shipped with the package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from mock_server.mcp_server.sandbox_client import Credentials, SandboxClient, ToolFailure, failure_of
from mock_server.settings import default_spec_path

# API name -> where the sandbox serves its document
SERVED = {"truedy": "/openapi.json", "zudu": "/openapi.zudu.json", "control": "/_mock/openapi.json"}
SPEC_NOTES = "docs/spec-notes.md"


def spec_notes() -> str:
    """docs/spec-notes.md: inside the wheel (pyproject's force-include) or in a checkout."""
    return default_spec_path(SPEC_NOTES).read_text(encoding="utf-8")


class Documents:
    """The sandbox's OpenAPI documents, each fetched once (a sandbox reads them once at start-up)."""

    def __init__(self, sandbox: SandboxClient) -> None:
        self.sandbox = sandbox
        self._sources: dict[str, bytes] = {}

    async def source(self, api: str, credentials: Credentials) -> bytes:
        """The document of `api` as served; a `ToolFailure` when this sandbox does not serve it."""
        if api not in self._sources:
            answer = await self.sandbox.send(credentials, "GET", SERVED[api])
            if answer.status != 200:
                raise failure_of(answer)
            self._sources[api] = answer.content
        return self._sources[api]

    async def served(self, credentials: Credentials) -> Mapping[str, Mapping[str, Any]]:
        """Every document this sandbox serves, parsed (an API it does not serve is left out)."""
        parsed: dict[str, Mapping[str, Any]] = {}
        for api in SERVED:
            try:
                parsed[api] = orjson.loads(await self.source(api, credentials))
            except ToolFailure as failure:
                if failure.status != 404:
                    raise
        return parsed
