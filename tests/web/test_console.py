"""/_mock/console through HTTP: the page and its files are in the package and need nothing else."""

from __future__ import annotations

import re

from support import make_client


def test_the_console_page_and_every_file_it_loads_are_served() -> None:
    with make_client() as client:
        page = client.get("/_mock/console")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assets = re.findall(r'(?:src|href)="(/_mock/console/static/[^"]+)"', page.text)
        assert sorted(assets) == ["/_mock/console/static/console.css", "/_mock/console/static/console.js"]
        seen: set[str] = set()
        while assets:  # the page's files, and every module they import
            asset = assets.pop()
            seen.add(asset)
            answer = client.get(asset)
            assert answer.status_code == 200, asset
            assert "//cdn" not in answer.text and "https://" not in answer.text  # no CDN: works offline
            if asset.endswith(".js"):
                kind = answer.headers["content-type"].split(";")[0]
                assert kind in ("text/javascript", "application/javascript")  # a module needs a JS type
                imported = re.findall(r'^import .* from "\./([\w.]+)";$', answer.text, re.M)
                assets += [f"/_mock/console/static/{name}" for name in imported if name not in seen]
        modules = ("api", "batches", "chart", "dom", "journal")
        assert {f"/_mock/console/static/{name}.js" for name in modules} < seen
        assert client.get("/_mock/console/static/nope.js").status_code == 404


def test_the_page_holds_no_data_so_it_needs_no_admin_token_but_the_data_does() -> None:
    with make_client(admin_token="s3cret") as client:
        assert client.get("/_mock/console").status_code == 200
        assert client.get("/_mock/console/static/console.js").status_code == 200
        assert client.get("/_mock/clock").status_code == 401
        assert client.get("/_mock/clock", headers={"X-Mock-Admin-Token": "s3cret"}).status_code == 200
