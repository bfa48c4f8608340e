"""A third API, for the kit's extension tests: callback requests, served by a small Starlette app.

Its own spec (`kit_third_api.openapi.json`), one resource, one business rule (a phone with a
pending request cannot ask again: 422 `already_requested`), its own credential header
(`X-Callback-Token`), and envelopes of its own: a bare object or `{items}`, errors `{error: {code,
message}}`. `Switches` break it on purpose, so the tests prove the kit's verdicts are real.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SPEC = Path(__file__).with_name("kit_third_api.openapi.json")
TOKEN = "ct_test_token"
TOKEN_HEADER = "X-Callback-Token"


@dataclass(frozen=True, slots=True)
class Switches:
    duplicates_allowed: bool = False  # the business rule is not enforced
    codeless_errors: bool = False  # error bodies lack error.code


def _error(switches: Switches, status: int, code: str, message: str, **headers: str) -> JSONResponse:
    error = {"message": message} if switches.codeless_errors else {"code": code, "message": message}
    return JSONResponse({"error": error}, status, headers=headers or None)


def create_app(switches: Switches = Switches()) -> Starlette:
    """A fresh target: its callback requests live in the app."""
    document = json.loads(SPEC.read_text(encoding="utf-8"))
    schema = {**document["components"]["schemas"]["NewCallback"], "$defs": {}}
    validator = jsonschema_rs.Draft202012Validator(schema)
    callbacks: dict[str, dict[str, Any]] = {}
    ids = itertools.count(1)

    def refused(request: Request) -> JSONResponse | None:
        if request.headers.get(TOKEN_HEADER) != TOKEN:
            return _error(switches, 401, "unauthorized", f"send the account's token in {TOKEN_HEADER}")
        return None

    async def callbacks_list(request: Request) -> Response:
        return refused(request) or JSONResponse({"items": list(callbacks.values())})

    async def callback_create(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(switches, 400, "invalid_json", "the body is not JSON")
        if not validator.is_valid(body):
            return _error(switches, 422, "invalid_request", "the body breaks the schema of NewCallback")
        pending = any(c["phone"] == body["phone"] and c["status"] == "pending" for c in callbacks.values())
        if pending and not switches.duplicates_allowed:
            return _error(switches, 422, "already_requested", f"{body['phone']} has a pending request")
        callback = {"id": f"cb_{next(ids)}", "status": "pending", **body}
        callbacks[callback["id"]] = callback
        return JSONResponse(callback, 201)

    async def callback_read(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        found = callbacks.get(request.path_params["callback_id"])
        return JSONResponse(found) if found else _error(switches, 404, "not_found", "no such callback")

    async def callback_delete(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        if callbacks.pop(request.path_params["callback_id"], None) is None:
            return _error(switches, 404, "not_found", "no such callback")
        return Response(status_code=204)

    async def not_there(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            allow = (exc.headers or {}).get("Allow", "")
            return _error(switches, 405, "method_not_allowed", "not a method of this path", Allow=allow)
        return _error(switches, 404, "not_found", "no such path")

    async def collection(request: Request) -> Response:
        return await (callback_create if request.method == "POST" else callbacks_list)(request)

    async def item(request: Request) -> Response:
        return await (callback_delete if request.method == "DELETE" else callback_read)(request)

    return Starlette(
        routes=[
            Route("/callbacks", collection, methods=["GET", "POST"]),
            Route("/callbacks/{callback_id}", item, methods=["GET", "DELETE"]),
        ],
        exception_handlers={HTTPException: not_there},
    )
