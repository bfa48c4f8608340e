"""`batchcalls-mock serve`: the --dialect flag, Zudu's pair in the banner, both APIs on one port."""

from __future__ import annotations

import httpx2 as httpx
from support import START, ZUDU_AUTH, live_server

from mock_server.cli import banner, parser, settings_from


def test_dialect_flag_and_zudu_pair_defaults() -> None:
    settings = settings_from(parser().parse_args(["serve"]))
    assert settings.dialects == ("truedy", "zudu")
    assert settings.default_credentials()[1] == ("zk_test_sandbox", "zs_test_sandbox")
    assert settings_from(parser().parse_args(["serve", "--dialect", "zudu"])).dialects == ("zudu",)
    custom = settings_from(parser().parse_args(["serve", "--zudu-key", "zk_a", "--zudu-secret", "zs_b"]))
    assert (custom.zudu_key, custom.zudu_secret) == ("zk_a", "zs_b")


def test_banner_prints_the_zudu_pair() -> None:
    text = banner("http://127.0.0.1:8080", settings_from(parser().parse_args(["serve"])), START)
    assert "http://127.0.0.1:8080/batch-call" in text
    assert "X-API-KEY: zk_test_sandbox" in text and "X-API-SECRET: zs_test_sandbox" in text
    assert "sk_test_sandbox" in text
    zudu_only = settings_from(parser().parse_args(["serve", "--dialect", "zudu"]))
    alone = banner("http://127.0.0.1:8080", zudu_only, START)
    assert "zk_test_sandbox" in alone and "sk_test_sandbox" not in alone


def test_serve_answers_both_apis_on_one_port() -> None:
    with live_server("--clock", "manual") as base:
        created = httpx.post(
            f"{base}/batch-call",
            json={"from_number": "+14157774444", "tasks": [{"to_number": "+12137774445"}]},
            headers=ZUDU_AUTH,
            timeout=5,
        )
        assert created.status_code == 201 and created.json()["data"]["status"] == "draft"
        bearer = {"Authorization": "Bearer sk_test_sandbox"}
        truedy = httpx.get(f"{base}/api/public/v1/agents", headers=bearer, timeout=5)
        assert truedy.status_code == 200
        assert httpx.get(f"{base}/openapi.zudu.json", timeout=5).json()["info"]["title"].startswith("Zudu")
