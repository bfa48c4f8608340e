"""contracts/client.py: what the kit sends of a path an id the target chose is part of."""

from __future__ import annotations

import httpx

from contracts.client import safe_path


def test_an_id_of_dots_is_sent_encoded_in_its_place_never_resolved() -> None:
    for made, sent in [
        ("/batch-calls/..", "/batch-calls/%2E%2E"),
        ("/batch-calls/./schedule", "/batch-calls/%2E/schedule"),
        ("/batch-calls/../../_mock/reset?scope=all", "/batch-calls/%2E%2E/%2E%2E/_mock/reset%3Fscope=all"),
        ("/batch-calls/b.1/pause", "/batch-calls/b.1/pause"),
    ]:
        assert safe_path(made) == sent
        # what the HTTP client puts on the wire, after its own normalisation
        on_the_wire = httpx.Request("GET", "http://target/api" + safe_path(made)).url.raw_path
        assert on_the_wire.decode() == "/api" + sent
