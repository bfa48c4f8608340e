"""The command line: flags, the start banner, the refusal to open /_mock to the network."""

from __future__ import annotations

import httpx2 as httpx
from support import live_server

from mock_server.cli import banner, main, parser, settings_from


def test_defaults_are_the_documented_ones() -> None:
    args = parser().parse_args(["serve"])
    assert (args.host, args.port, args.clock) == ("127.0.0.1", 8080, "real")
    settings = settings_from(args)
    assert settings.sandbox_key == "sk_test_sandbox" and settings.live_edits is False


def test_banner_names_key_and_fixtures() -> None:
    text = banner("http://127.0.0.1:8080", settings_from(parser().parse_args(["serve"])))
    for name in ("sk_test_sandbox", "agt_sandbox_ready", "agt_sandbox_no_numbers",
                 "agt_sandbox_not_ready", "agt_sandbox_inactive", "folder_sandbox_demo",
                 "folder_sandbox_empty", "http://127.0.0.1:8080/api/public/v1",
                 "http://127.0.0.1:8080/_mock/console", "http://127.0.0.1:8080/docs"):
        assert name in text


def test_refuses_a_public_host_without_admin_token(capsys: object) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2


def test_serve_starts_on_a_free_port_and_answers() -> None:
    with live_server("--clock", "manual") as base:
        assert httpx.get(f"{base}/_mock/health", timeout=2).json()["status"] == "ok"
        agents = httpx.get(f"{base}/api/public/v1/agents",
                           headers={"Authorization": "Bearer sk_test_sandbox"}, timeout=2)
        assert agents.status_code == 200
