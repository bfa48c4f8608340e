"""/docs through HTTP: the index, one page per served contract, Swagger UI's files from the package."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import AUTH, make_client

from mock_server.settings import default_spec_path


def test_the_index_links_one_page_per_served_contract() -> None:
    with make_client() as client:
        index = client.get("/docs")
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        assert 'href="/docs/truedy"' in index.text and "/openapi.json" in index.text
        assert 'href="/docs/zudu"' in index.text and "/openapi.zudu.json" in index.text
    with make_client(dialects=("truedy",)) as client:
        index = client.get("/docs")
        assert 'href="/docs/truedy"' in index.text
        assert "/docs/zudu" not in index.text
        assert client.get("/docs/zudu").status_code == 404


def test_a_contract_page_loads_swagger_ui_and_the_document_from_this_sandbox() -> None:
    with make_client() as client:
        page = client.get("/docs/truedy")
        assert page.status_code == 200
        assert 'data-spec-url="/openapi.json"' in page.text
        ui = "/docs/swagger-ui"
        assets = (f"{ui}/swagger-ui-bundle.js", f"{ui}/swagger-ui.css", "/docs/static/docs.js")
        for asset in assets:
            assert f'"{asset}"' in page.text
            answer = client.get(asset)
            assert answer.status_code == 200, asset
            assert len(answer.content) > 500
        assert "SwaggerUIBundle" in client.get("/docs/swagger-ui/swagger-ui-bundle.js").text
        assert "https://" not in page.text  # nothing fetched from elsewhere
        assert client.get("/docs/zudu").text.count('data-spec-url="/openapi.zudu.json"') == 1


def test_an_unknown_contract_is_a_404_naming_the_served_ones() -> None:
    with make_client() as client:
        answer = client.get("/docs/nope")
        assert answer.status_code == 404
        assert "truedy, zudu" in answer.text


def test_the_document_served_is_the_one_read_at_start_up(tmp_path: Path) -> None:
    """`serve --spec FILE`: editing FILE afterwards changes neither what is enforced nor what is served."""
    spec = tmp_path / "openapi.json"
    shutil.copy(default_spec_path(), spec)
    original = spec.read_bytes()
    with make_client(spec_path=spec) as client:
        edited = json.loads(original)
        edited["info"]["title"] = "edited after start-up"
        spec.write_text(json.dumps(edited))
        served = client.get("/openapi.json")
        assert served.status_code == 200
        assert served.headers["content-type"] == "application/json"
        assert served.content == original
        assert client.get("/api/public/v1/batch-calls", headers=AUTH).status_code == 200
