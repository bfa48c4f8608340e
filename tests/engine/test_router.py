"""Segment matching of the spec's paths: literal before templated, 405 on a known path."""

from __future__ import annotations

from starlette.routing import Match

from mock_server.engine.router import SpecRoutes


async def endpoint(scope: object, receive: object, send: object) -> None:  # pragma: no cover
    pass


ROUTES = SpecRoutes("/api", {
    "/contacts/{contact_id}": (endpoint, ["GET"]),
    "/contacts/folders": (endpoint, ["GET", "POST"]),
    "/batch-calls/{batch_call_id}/pause": (endpoint, ["POST"]),
    "/batch-calls/bulk-delete": (endpoint, ["POST"]),
    "/batch-calls/{batch_call_id}": (endpoint, ["GET", "PATCH", "DELETE"]),
})


def match(method: str, path: str) -> tuple[Match, dict[str, object]]:
    found, child = ROUTES.matches({"type": "http", "method": method, "path": path})
    child = {k: v for k, v in child.items() if k != "spec_entry"}
    return found, dict(child)


def test_literal_paths_win_over_templates() -> None:
    found, child = match("GET", "/api/contacts/folders")
    assert found is Match.FULL and child["path_params"] == {}
    found, child = match("GET", "/api/contacts/ctc_1")
    assert found is Match.FULL and child["path_params"] == {"contact_id": "ctc_1"}


def test_parameters_and_methods() -> None:
    found, child = match("POST", "/api/batch-calls/b_1/pause")
    assert found is Match.FULL and child["path_params"] == {"batch_call_id": "b_1"}
    assert match("GET", "/api/batch-calls/b_1/pause")[0] is Match.PARTIAL
    assert match("HEAD", "/api/batch-calls/b_1")[0] is Match.FULL
    # a literal path with another method is a 405 (Allow: POST), not a lookup of a batch "bulk-delete"
    assert match("GET", "/api/batch-calls/bulk-delete")[0] is Match.PARTIAL


def test_no_match_outside_the_spec() -> None:
    for path in ("/api/nowhere", "/api/batch-calls/b_1/pause/extra", "/apiary/contacts/folders",
                 "/api/batch-calls//pause", "/other"):
        assert match("GET", path)[0] is Match.NONE, path
