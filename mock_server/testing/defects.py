"""Deliberate defects of the dialects. TEST-ONLY: they exist to prove the contract kit finds bugs.

`create_app` loads this module when `settings.defects` names one (`batchcalls-mock serve --defect
NAME`, `contracts.inprocess.sandbox(defects=…)`): `defect_hook(names)` wraps a dialect in
`DefectiveDialect` (Truedy's `DEFECTS`) or `DefectiveZuduDialect` (Zudu's `ZUDU_DEFECTS`, named
`zudu_…`), which break the contract in exactly the named ways (as Schemathesis's own test apps do)
and otherwise answer like the real thing. Nothing here runs unless a defect is named.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from mock_server.core.errors import InvalidState, MockError, NotFound, RequestInvalid, Unauthorized
from mock_server.dialects.truedy import wire
from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.dialects.truedy.dialect import TruedyDialect
from mock_server.dialects.truedy.envelopes import meta, single
from mock_server.dialects.zudu.credentials import KEY_AND_SECRET
from mock_server.dialects.zudu.dialect import ZuduDialect
from mock_server.engine.context import Dialect, Handler, Reply, RequestContext
from mock_server.engine.spec import Operation, RequestBody, ResponseSpec, Spec, compile_schema
from mock_server.sandbox import Sandbox
from mock_server.world import WorkspaceWorld

DEFECTS: Mapping[str, str] = {
    "accept_out_of_range": "max_concurrent_calls up to 1000 accepted on create and update (limit 1-100)",
    "pause_from_draft": "pausing a draft answers 200 'paused' instead of 422 invalid_state",
    "missing_required_field": "batch call responses lack the required created_at",
    "wrong_success_status": "create answers 200 instead of 201",
    "deleted_still_readable": "a deleted draft is still readable with GET",
    "ignore_limit": "list endpoints ignore `limit` (they answer up to 100 items)",
    "malformed_error_envelope": "error bodies are {error: <code>, message} without details or meta",
    "wrong_error_code": "404s carry the code 'resource_missing' instead of not_found",
    "server_error_on_input": "500 on a batch name with a non-ASCII character",
    "request_id_mismatch": "meta.request_id of successful answers differs from X-Request-Id",
    "broken_counters": "batch calls report completed_contacts = successful + failed + 1",
    "ignored_auth": "requests without an Authorization header act in the sandbox workspace",
    "foreign_ids_visible": "GET of another workspace's batch call answers it instead of 404",
    "stale_read_after_patch": "PATCH answers the new values, but GET still shows the batch as it was before",
}
ZUDU_DEFECTS: Mapping[str, str] = {
    "zudu_execute_twice": "executing a sent batch answers 200 (the batch as it is) instead of 400",
    "zudu_delete_sent": "DELETE of a sent batch answers 200 (and the batch stays) instead of 400",
    "zudu_missing_batch_call_id": "batch call objects lack the required batch_call_id",
    "zudu_wrong_envelope_status": 'success envelopes say status "ok" instead of "success"',
    "zudu_ignore_limit": "lists ignore `limit` (up to 100 items a page; pagination echoes the limit asked)",
    "zudu_broken_counters": "batch calls report picked_up = completed + 1",
    "zudu_auth_ignores_secret": "a known X-API-KEY is enough: X-API-SECRET is not checked",
    "zudu_create_200": "create answers 200 instead of 201",
    "zudu_patch_completed": "PATCH of a completed batch answers 200 with the change instead of 400",
}
RANGE_BREAKING_OPERATIONS = ("create_batch_call", "update_batch_call")


def defect_hook(defects: frozenset[str]) -> Callable[[Dialect, Sandbox], Dialect]:
    """What wraps each served dialect to switch on the named defects (`create_app` applies it when
    `Settings.defects` names one). Zudu's defects are the names starting with `zudu_`."""
    unknown = sorted(defects - set(DEFECTS) - set(ZUDU_DEFECTS))
    if unknown:
        raise ValueError(f"unknown defects {unknown}; known: {sorted({*DEFECTS, *ZUDU_DEFECTS})}")

    def hook(dialect: Dialect, sandbox: Sandbox) -> Dialect:
        if isinstance(dialect, ZuduDialect):
            zudu = frozenset(d for d in defects if d in ZUDU_DEFECTS)
            return DefectiveZuduDialect(dialect, sandbox, zudu) if zudu else dialect
        if isinstance(dialect, TruedyDialect):
            truedy = frozenset(d for d in defects if d in DEFECTS)
            return DefectiveDialect(dialect, sandbox, truedy) if truedy else dialect
        return dialect

    return hook


def _relaxed(spec: Spec) -> Spec:
    """The spec with max_concurrent_calls allowed up to 1000 in request bodies."""
    operations = []
    for op in spec.operations:
        if op.operation_id in RANGE_BREAKING_OPERATIONS and op.body is not None:
            raw = spec.document["paths"][op.path][op.method.lower()]["requestBody"]["content"]
            schema = copy.deepcopy(raw["application/json"]["schema"])
            schema["properties"]["max_concurrent_calls"]["maximum"] = 1000
            media_types = {**op.body.media_types, "application/json": compile_schema(schema)}
            body = RequestBody(op.body.required, media_types)
            op = dataclasses.replace(op, body=body)
        operations.append(op)
    by_id = {op.operation_id: op for op in operations}
    return Spec(spec.source, spec.document, spec.base_path, tuple(operations), by_id)


def _batches_in(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict) and "completed_contacts" in item]


class DefectiveDialect:
    gateway = True

    def __init__(self, inner: TruedyDialect, sandbox: Sandbox, defects: frozenset[str]) -> None:
        unknown = sorted(defects - set(DEFECTS))
        if unknown:
            raise ValueError(f"unknown defects {unknown}; known: {sorted(DEFECTS)}")
        self.inner = inner
        self.inner.read_json.enabled = False  # the defects edit batches in the answers: plain dicts only
        self.defects = defects
        self.name = inner.name
        self.sandbox = sandbox
        self.spec = _relaxed(inner.spec) if "accept_out_of_range" in defects else inner.spec
        self._ghosts: dict[tuple[str, str], Any] = {}  # (workspace, id) -> the JSON of a deleted batch
        self._stale: dict[tuple[str, str], Any] = {}  # (workspace, id) -> the JSON before its last PATCH
        self.handlers: Mapping[str, Handler] = {
            op_id: self._wrap(op_id, handler) for op_id, handler in inner.handlers.items()
        }

    def on(self, defect: str) -> bool:
        return defect in self.defects

    # Dialect ----------------------------------------------------------------------------------
    def authenticate(self, headers: Mapping[str, str], operation: Operation | None = None) -> WorkspaceWorld:
        if self.on("ignored_auth") and BEARER_KEY.read(headers) is None:
            return self.sandbox.default_world
        return self.inner.authenticate(headers, operation)

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply:
        reply = self.inner.error_reply(error, request_id, now)
        if isinstance(error, RequestInvalid) or not isinstance(reply.body, dict):
            return reply
        if self.on("wrong_error_code") and isinstance(error, NotFound):
            reply.body["error"]["code"] = "resource_missing"
        if self.on("malformed_error_envelope"):
            reply.body = {"error": reply.body["error"]["code"], "message": reply.body["error"]["message"]}
        return reply

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply:
        return self.inner.example_reply(response, request_id, now)

    # handlers ---------------------------------------------------------------------------------
    def _wrap(self, operation_id: str, handler: Handler) -> Handler:
        special: dict[str, Callable[[RequestContext[Any, Any], Handler], Reply]] = {
            "pause_batch_call": self._pause,
            "delete_batch_call": self._delete,
            "get_batch_call": self._get,
            "update_batch_call": self._update,
        }
        around = special.get(operation_id)

        def wrapped(ctx: RequestContext[Any, Any]) -> Reply:
            ctx = dataclasses.replace(ctx, dialect=self.inner)  # the inner handlers read their own dialect
            self._before(operation_id, ctx)
            if self.on("ignore_limit") and operation_id.startswith("list_"):
                asked = ctx.params["limit"]
                reply = handler(dataclasses.replace(ctx, params={**ctx.params, "limit": 100}))
                reply.body["pagination"]["limit"] = asked
            else:
                reply = around(ctx, handler) if around else handler(ctx)
            return self._after(operation_id, ctx, reply)

        return wrapped

    def _before(self, operation_id: str, ctx: RequestContext[Any, Any]) -> None:
        if self.on("server_error_on_input") and operation_id in RANGE_BREAKING_OPERATIONS:
            name = (ctx.body or {}).get("name")
            if isinstance(name, str) and not name.isascii():
                raise RuntimeError("deliberate defect: names are assumed to be ASCII")

    def _after(self, operation_id: str, ctx: RequestContext[Any, Any], reply: Reply) -> Reply:
        if self.on("wrong_success_status") and operation_id == "create_batch_call" and reply.status == 201:
            reply.status = 200
        for batch in _batches_in(reply.body):
            if self.on("missing_required_field"):
                batch.pop("created_at", None)
            if self.on("broken_counters"):
                batch["completed_contacts"] = batch["successful_contacts"] + batch["failed_contacts"] + 1
        if self.on("request_id_mismatch") and isinstance(reply.body, dict) and "meta" in reply.body:
            reply.body["meta"]["request_id"] = f"req_mismatch_{ctx.request_id.removeprefix('req_')}"
        return reply

    def _pause(self, ctx: RequestContext[Any, Any], handler: Handler) -> Reply:
        try:
            return handler(ctx)
        except InvalidState:
            if not self.on("pause_from_draft"):
                raise
            current = self.inner.handlers["get_batch_call"](ctx)
            if current.body["data"]["status"] != "draft":
                raise
            current.body["data"]["status"] = "paused"
            return current

    def _delete(self, ctx: RequestContext[Any, Any], handler: Handler) -> Reply:
        if not self.on("deleted_still_readable"):
            return handler(ctx)
        before = self.inner.handlers["get_batch_call"](ctx).body["data"]
        reply = handler(ctx)
        try:
            self.inner.handlers["get_batch_call"](ctx)
        except NotFound:
            self._ghosts[(ctx.workspace.id, before["id"])] = before
        return reply

    def _update(self, ctx: RequestContext[Any, Any], handler: Handler) -> Reply:
        if not self.on("stale_read_after_patch"):
            return handler(ctx)
        before = self.inner.handlers["get_batch_call"](ctx).body["data"]
        reply = handler(ctx)
        self._stale.setdefault((ctx.workspace.id, before["id"]), before)  # the first version stays
        return reply

    def _get(self, ctx: RequestContext[Any, Any], handler: Handler) -> Reply:
        stale = self._stale.get((ctx.workspace.id, str(ctx.params["batch_call_id"])))
        if stale is not None:
            handler(ctx)  # still there (a 404 otherwise)
            return single(stale, ctx.request_id, ctx.now)
        try:
            return handler(ctx)
        except NotFound:
            batch_id = str(ctx.params["batch_call_id"])
            ghost = self._ghosts.get((ctx.workspace.id, batch_id))
            if ghost is not None:
                return single(ghost, ctx.request_id, ctx.now)
            if self.on("foreign_ids_visible"):
                for world in self.sandbox.worlds.values():
                    if not world.in_memory:  # a cluster's dormant world: nothing of it is here
                        continue
                    found = world.store.batches(world.id).get(batch_id)
                    if found is not None:
                        return Reply(200, {"data": wire.batch(found), "meta": meta(ctx.request_id, ctx.now)})
            raise


# Zudu ---------------------------------------------------------------------------------------------
def _zudu_batches(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    items = data.get("batch_calls") if isinstance(data, dict) and "batch_calls" in data else [data]
    return [item for item in items or [] if isinstance(item, dict) and "total_task_count" in item]


class DefectiveZuduDialect:
    gateway = True

    def __init__(self, inner: ZuduDialect, sandbox: Sandbox, defects: frozenset[str]) -> None:
        unknown = sorted(defects - set(ZUDU_DEFECTS))
        if unknown:
            raise ValueError(f"unknown Zudu defects {unknown}; known: {sorted(ZUDU_DEFECTS)}")
        self.inner = inner
        self.defects = defects
        self.name = inner.name
        self.sandbox = sandbox
        self.spec = inner.spec
        self.handlers: Mapping[str, Handler] = {
            op_id: self._wrap(op_id, handler) for op_id, handler in inner.handlers.items()
        }

    def on(self, defect: str) -> bool:
        return defect in self.defects

    # Dialect ----------------------------------------------------------------------------------
    def authenticate(self, headers: Mapping[str, str], operation: Operation | None = None) -> WorkspaceWorld:
        try:
            return self.inner.authenticate(headers, operation)
        except Unauthorized:
            key = headers.get(KEY_AND_SECRET.key_header, "").strip()  # whatever its secret, or none
            worlds = self.sandbox.worlds.values()
            found = [w for w in worlds if key and KEY_AND_SECRET.key_of(w.workspace) == key]
            if self.on("zudu_auth_ignores_secret") and found:
                return found[0]
            raise

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply:
        return self.inner.error_reply(error, request_id, now)

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply:
        return self.inner.example_reply(response, request_id, now)

    # handlers ---------------------------------------------------------------------------------
    def _wrap(self, operation_id: str, handler: Handler) -> Handler:
        refused = {  # operation -> (defect, the Zudu status whose refusal it answers with a 200)
            "execute_batch_call": ("zudu_execute_twice", "sent"),
            "delete_batch_call": ("zudu_delete_sent", "sent"),
            "update_batch_call": ("zudu_patch_completed", "completed"),
        }.get(operation_id)

        def wrapped(ctx: RequestContext[Any, Any]) -> Reply:
            ctx = dataclasses.replace(ctx, dialect=self.inner)  # the inner handlers read their own dialect
            if self.on("zudu_ignore_limit") and operation_id in ("list_batch_calls", "list_batch_call_tasks"):
                reply = handler(dataclasses.replace(ctx, params={**ctx.params, "limit": 100}))
                self._echo_limit(reply, ctx.params["limit"])
            elif self.on("zudu_ignore_limit") and operation_id == "search_batch_calls":
                body = dict(ctx.body or {})
                asked = (body.get("pagination") or {}).get("limit", 20)
                body["pagination"] = {**(body.get("pagination") or {}), "limit": 100}
                reply = handler(dataclasses.replace(ctx, body=body))
                self._echo_limit(reply, asked)
            elif refused is not None and self.on(refused[0]):
                reply = self._refusal_accepted(ctx, handler, refused[1])
            else:
                reply = handler(ctx)
            return self._after(operation_id, reply)

        return wrapped

    @staticmethod
    def _echo_limit(reply: Reply, asked: int) -> None:
        pagination = reply.body["data"]["pagination"]
        pagination["limit"] = asked
        pagination["total_pages"] = -(-pagination["total_count"] // asked)

    def _refusal_accepted(self, ctx: RequestContext[Any, Any], handler: Handler, status: str) -> Reply:
        """A 400 for a batch in `status` becomes a 200 with the batch (and a PATCH's name, unsaved)."""
        try:
            return handler(ctx)
        except InvalidState:
            current = self.inner.handlers["get_batch_call"](ctx)
            data = current.body["data"]
            if data["status"] != status:
                raise
            if isinstance(ctx.body, dict) and "name" in ctx.body:
                data["name"] = ctx.body["name"]
            return current

    def _after(self, operation_id: str, reply: Reply) -> Reply:
        if self.on("zudu_create_200") and operation_id == "create_batch_call" and reply.status == 201:
            reply.status = 200
        if self.on("zudu_wrong_envelope_status") and isinstance(reply.body, dict):
            reply.body["status"] = "ok"
        for batch in _zudu_batches(reply.body):
            if self.on("zudu_missing_batch_call_id"):
                batch.pop("batch_call_id", None)
            if self.on("zudu_broken_counters"):
                batch["picked_up"] = batch["completed"] + 1
        return reply
