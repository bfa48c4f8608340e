"""Truedy's envelopes: `{data, meta}`, pages, and the shape of every error it answers, in one place."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from mock_server.core.errors import MockError, RequestInvalid
from mock_server.core.timefmt import timestamp
from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.engine.context import Reply, RequestContext
from mock_server.engine.spec import ResponseSpec

T = TypeVar("T")


def meta(request_id: str, now: float) -> dict[str, Any]:
    return {"request_id": request_id, "ts": timestamp(now)}


def single(
    data: Any, request_id: str, now: float, status: int = 200, headers: dict[str, str] | None = None
) -> Reply:
    return Reply(status, {"data": data, "meta": meta(request_id, now)}, headers or {})


def answer(ctx: RequestContext[Any, Any], data: Any, status: int = 200, **headers: str) -> Reply:
    """`data` in the `{data, meta}` envelope of the request's answer."""
    return single(data, ctx.request_id, ctx.world.now(), status, headers or None)


def page(
    items: Sequence[T], render: Callable[[T], Any], params: Mapping[str, Any], request_id: str, now: float
) -> Reply:
    """One page of a list (only that page is rendered), with the documented pagination block."""
    limit, offset = params["limit"], params["offset"]
    window = [render(item) for item in items[offset : offset + limit]]
    return paged(window, len(window), len(items), params, request_id, now)


def paged(data: Any, count: int, total: int, params: Mapping[str, Any], request_id: str, now: float) -> Reply:
    """A page already made: its `data` holds `count` of the list's `total` items."""
    limit, offset = params["limit"], params["offset"]
    return Reply(
        200,
        {
            "data": data,
            "meta": meta(request_id, now),
            "pagination": {
                "total": total, "limit": limit, "offset": offset, "has_more": offset + count < total,
            },
        },
    )


def error_reply(error: MockError, request_id: str, now: float) -> Reply:
    """The error's body as Truedy shapes it (its status and headers are the error's own)."""
    if isinstance(error, RequestInvalid):
        detail = [{"loc": list(v.loc), "msg": v.msg, "type": v.type} for v in error.shown()]
        if error.cut():
            return Reply(error.http_status, {"detail": detail, "violation_count": len(error.violations)})
        return Reply(error.http_status, {"detail": detail})
    body = {
        "error": {"code": error.code, "message": error.message, "details": error.details},
        "meta": meta(request_id, now),
    }
    return Reply(error.http_status, body, error.headers())


def example_reply(response: ResponseSpec, request_id: str, now: float) -> Reply:
    """The documented example of a response, for `Prefer: code=…`, with this request's meta."""
    status = int(response.status) if response.status.isdigit() else 500
    example = copy.deepcopy(response.first_example())
    if isinstance(example, dict) and "meta" in example:
        example["meta"] = meta(request_id, now)
    headers: dict[str, str] = {}
    if status == 401 and BEARER_KEY.challenge:
        headers["WWW-Authenticate"] = BEARER_KEY.challenge
    elif status in (429, 503):
        headers["Retry-After"] = "60"
    elif status == 201:
        headers["Location"] = "about:blank"
    return Reply(status, example, headers)
