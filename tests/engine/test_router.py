"""Segment matching of the spec's paths: literal before templated, 405 on a known path."""

from __future__ import annotations

from starlette.routing import Match

from mock_server.engine.router import RECENT_PATH_LENGTH, RECENT_PATHS, PathTable, SpecRoutes


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


def test_a_remembered_path_is_found_alike_and_its_parameters_are_the_caller_s_own() -> None:
    table = PathTable("/api", {"/{kind}/{id}": "pair", "/batch-calls/{id}": "one", "/x/{id}/y": "three"})
    for _ in range(2):  # the second time from what the first remembered
        found = table.lookup("/api/batch-calls/b%2F1")
        assert found == ("one", {"id": "b/1"})
        found[1]["id"] = "changed by the caller"
    assert table.lookup("/api/contacts/c_1") == ("pair", {"kind": "contacts", "id": "c_1"})
    assert table.lookup("/api/x/1/y") == ("three", {"id": "1"})
    assert table.lookup("/api/x//y") is None and table.lookup("/api/x/1/z") is None
    for number in range(RECENT_PATHS + 10):  # past the bound the memory starts over, answers alike
        assert table.lookup(f"/api/batch-calls/b_{number}") == ("one", {"id": f"b_{number}"})


def test_a_long_path_is_answered_but_not_remembered() -> None:
    """What the lookup remembers is bounded in bytes, not only in paths: it runs before any
    authentication, and a request target may be 64 KiB."""
    table = PathTable("/api", {"/batch-calls/{id}": "one"})
    long_id = "x" * RECENT_PATH_LENGTH
    for _ in range(2):
        assert table.lookup(f"/api/batch-calls/{long_id}") == ("one", {"id": long_id})
    assert table._recent == {}
    table.lookup("/api/batch-calls/b_1")
    assert list(table._recent) == ["/api/batch-calls/b_1"]
