"""The baseline of benchmarks/http.py: a bare Starlette app answering static JSON on the same paths."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_BATCH = {
    "data": {"id": "batch_1", "name": "Bench", "agent_id": "agt_sandbox_ready", "status": "draft",
             "total_contacts": 1, "created_at": "2026-03-02T08:00:00.000000Z"},
    "meta": {"request_id": "req_1", "ts": "2026-03-02T08:00:00.000000Z"},
}
_ONE = orjson.dumps(_BATCH)
_LIST = orjson.dumps({"data": [_BATCH["data"]] * 50, "meta": _BATCH["meta"],
                      "pagination": {"total": 50, "limit": 50, "offset": 0, "has_more": False}})


async def batches(request: Request) -> Response:
    if request.method == "POST":
        await request.body()
        return Response(_ONE, 201, media_type="application/json")
    return Response(_LIST, media_type="application/json")


async def batch(request: Request) -> Response:
    return Response(_ONE, media_type="application/json")


app = Starlette(routes=[
    Route("/api/public/v1/batch-calls", batches, methods=["GET", "POST"]),
    Route("/api/public/v1/batch-calls/{batch_call_id}", batch, methods=["GET"]),
])
