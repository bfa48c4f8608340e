"""The baseline of benchmarks/http.py: a bare Starlette app answering the sandbox's own bytes.

A fair ceiling answers what the sandbox answers: `benchmarks/http.py` records the sandbox's answers
to the three measured requests (GET one batch call, a list of 50, a create) and names the file in
`BARE_APP_ANSWERS`; this app answers each with the same status, body and headers (`X-Request-Id`,
`Location`; Starlette adds the same `content-type` and `content-length`), on the same paths,
through Starlette's router and `Response`, with no work of its own.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWERS_VARIABLE = "BARE_APP_ANSWERS"
KINDS = ("one", "list", "create")  # GET /batch-calls/{id}, GET /batch-calls?limit=50, POST /batch-calls
KEPT_HEADERS = ("x-request-id", "location")  # the rest (content-type, content-length) Starlette adds


def answer_json(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> dict[str, Any]:
    """One recorded answer, as the answers file holds it."""
    return {"status": status, "body": base64.b64encode(body).decode(),
            "headers": {n.decode(): v.decode() for n, v in headers if n.decode().lower() in KEPT_HEADERS}}


def _response(recorded: dict[str, Any]) -> tuple[bytes, int, dict[str, str]]:
    return base64.b64decode(recorded["body"]), int(recorded["status"]), dict(recorded["headers"])


def create() -> Starlette:
    """The app (uvicorn --factory), answering what the file named in BARE_APP_ANSWERS holds."""
    path = os.environ.get(ANSWERS_VARIABLE)
    if not path:
        raise RuntimeError(f"{ANSWERS_VARIABLE} names no file of the sandbox's answers")
    recorded = orjson.loads(Path(path).read_bytes())
    answers = {kind: _response(recorded[kind]) for kind in KINDS}

    def answer(kind: str) -> Response:
        body, status, headers = answers[kind]
        return Response(body, status, headers=headers, media_type="application/json")

    async def batches(request: Request) -> Response:
        if request.method == "POST":
            await request.body()
            return answer("create")
        return answer("list")

    async def batch(request: Request) -> Response:
        return answer("one")

    return Starlette(routes=[
        Route("/api/public/v1/batch-calls", batches, methods=["GET", "POST"]),
        Route("/api/public/v1/batch-calls/{batch_call_id}", batch, methods=["GET"]),
    ])
