"""The command line: flags, the start banner, the refusal to open /_mock to the network."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx2 as httpx
import pytest
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


def test_an_unreachable_store_is_one_sentence_and_exit_2() -> None:
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0",
         "--store", f"postgresql://sandbox:secret@127.0.0.1:{port}/shared"],
        capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot use the PostgreSQL store at 127.0.0.1:{port}/shared" in lines[0]
    assert "secret" not in lines[0]  # never the password


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "-1"], "--port"),
        (["--log-level", "chatty"], "--log-level"),
        (["--webhook-url", "notaurl"], "--webhook-url"),
        (["--webhook-url", "ftp://example.com/hook"], "--webhook-url"),
        (["--admin-token", "   "], "--admin-token"),
        (["--speed", "nan"], "--speed"),
        (["--max-body-bytes", "-5"], "--max-body-bytes"),
        (["--journal-max-bytes", "1e6"], "--journal-max-bytes"),
        (["--store", "mysql://db/x"], "--store"),
        (["--store", "postgresql://u:pw@127.0.0.1:abc/db"], "--store"),
        (["--store", "postgresql://[::1/db"], "--store"),
        (["--workers", "0"], "--workers"),
        (["--workers", "2"], "--workers"),  # without --store: processes would share nothing
        (["--snapshot-every", "0"], "--snapshot-every"),
        (["--store", "postgresql://u@127.0.0.1:1/db", "--state-file", "x.db"], "--store"),
    ],
)
def test_a_bad_flag_is_one_sentence_and_exit_2(flags: list[str], named: str) -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mock_server", "serve", "--port", "0", *flags],
            capture_output=True, text=True, timeout=15,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{flags} started a server") from None
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in done.stderr, done.stderr


def test_the_journal_bounds_are_flags() -> None:
    flags = ["serve", "--journal-size", "5", "--journal-max-bytes", "4096"]
    settings = settings_from(parser().parse_args(flags))
    assert (settings.journal_size, settings.journal_max_bytes) == (5, 4096)
    assert settings_from(parser().parse_args(["serve"])).journal_max_bytes == 64 * 1024 * 1024
