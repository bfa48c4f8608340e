"""The command line: flags, the start banner, the refusal to open /_mock to the network."""

from __future__ import annotations

import argparse
import re
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from support import START, live_server, start_server

from mock_server.cli import SERVE_FLAGS, banner, main, parser, run_server, settings_from
from mock_server.flags import table_rows


def test_defaults_are_the_documented_ones() -> None:
    args = parser().parse_args(["serve"])
    assert (args.host, args.port, args.clock) == ("127.0.0.1", 8080, "real")
    settings = settings_from(args)
    assert settings.default_credentials()[0] == "sk_test_sandbox" and settings.live_edits is False


def test_banner_names_key_and_fixtures() -> None:
    text = banner("http://127.0.0.1:8080", settings_from(parser().parse_args(["serve"])), START)
    for name in ("sk_test_sandbox", "agt_sandbox_ready", "agt_sandbox_no_numbers",
                 "agt_sandbox_not_ready", "agt_sandbox_inactive", "folder_sandbox_demo",
                 "folder_sandbox_empty", "http://127.0.0.1:8080/api/public/v1",
                 "http://127.0.0.1:8080/_mock/console", "http://127.0.0.1:8080/docs"):
        assert name in text


SATURDAY_NIGHT = datetime(2026, 12, 5, 23, 30, tzinfo=UTC).timestamp()


def test_banner_says_where_the_clock_starts_and_what_a_weekend_means() -> None:
    default = settings_from(parser().parse_args(["serve"]))
    on_monday = banner("http://127.0.0.1:8080", default, START)
    assert "clock        : real x1, starting Mon 2026-03-02 08:00 UTC" in on_monday
    assert "weekend" not in on_monday
    on_saturday = banner("http://127.0.0.1:8080", default, SATURDAY_NIGHT)
    assert "starting Sat 2026-12-05 23:30 UTC" in on_saturday
    assert "a weekend" in on_saturday and "waits for Monday" in on_saturday and "next_event_at" in on_saturday
    flags = ["serve", "--clock", "manual", "--start-at", "2026-03-07T10:00:00Z"]
    pinned = settings_from(parser().parse_args(flags))
    assert "manual, starting Sat 2026-03-07 10:00 UTC" in banner("http://127.0.0.1:8080", pinned, START)


def test_on_a_weekend_the_clock_says_when_a_new_campaign_places_its_first_call() -> None:
    """What the README promises a user who starts on a Saturday night: the campaign stays scheduled,
    and GET /_mock/clock's next_event_at is Monday 09:00 in the campaign's zone."""
    with live_server("--clock", "real", "--start-at", "2026-12-05T23:30:00Z") as base:
        auth = {"Authorization": "Bearer sk_test_sandbox"}
        created = httpx.post(f"{base}/api/public/v1/batch-calls", headers=auth, json={
            "name": "Weekend", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
            "contact_folder_id": "folder_sandbox_demo", "timezone": "America/New_York",
            "start_time": "09:00", "end_time": "17:00",
        }).json()["data"]
        scheduled = httpx.post(f"{base}/api/public/v1/batch-calls/{created['id']}/schedule", headers=auth)
        assert scheduled.json()["data"]["status"] == "scheduled"
        assert httpx.get(f"{base}/_mock/clock").json()["next_event_at"] == "2026-12-07T14:00:00.000000Z"


def test_refuses_a_public_host_without_admin_token(capsys: object) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2


def test_serve_starts_on_a_free_port_and_answers() -> None:
    with live_server("--clock", "manual") as base:
        assert httpx.get(f"{base}/_mock/health", timeout=2).json()["status"] == "ok"
        agents = httpx.get(f"{base}/api/public/v1/agents",
                           headers={"Authorization": "Bearer sk_test_sandbox"}, timeout=2)
        assert agents.status_code == 200


def test_serve_listens_once_it_says_so() -> None:
    """A client that connects as soon as the banner's first line is out waits in the backlog until
    the server accepts; it is not refused (the socket was bound, not yet listening, when the line
    was printed). The process is stopped right after the line, so the server cannot start first."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--clock", "manual"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        process.send_signal(signal.SIGSTOP)
        host, port = first.rsplit("//", 1)[1].strip().rsplit(":", 1)
        socket.create_connection((host, int(port)), timeout=5).close()
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.communicate(timeout=10)


def test_ctrl_c_stops_serve_without_a_traceback() -> None:
    """uvicorn stops, then raises the SIGINT again: serve ends with 130 (a stop by Ctrl-C), quietly."""
    process, base = start_server("--clock", "manual", ctrl_c=True)
    assert httpx.get(f"{base}/_mock/health", timeout=2).status_code == 200
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 130 and "Traceback" not in err, err


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
        (["--ownership"], "--ownership"),  # without --store: nothing to own through
        (["--store", "postgresql://u@127.0.0.1:1/db", "--ownership", "--workers", "2",
          "--advertise-url", "http://10.0.0.5:8000"], "--advertise-url"),  # one URL for many processes
        (["--advertise-url", "ftp://x"], "--advertise-url"),
        (["--lease-seconds", "0"], "--lease-seconds"),
        (["--lease-seconds", "0.001"], "--lease-seconds"),  # a heartbeat a third of a millisecond
        (["--lease-seconds", "1e300"], "--lease-seconds"),  # past PostgreSQL's intervals
        (["--idle-evict", "-1"], "--idle-evict"),
        (["--idle-evict", "0.01"], "--idle-evict"),  # a sweep every few milliseconds
        (["--idle-evict", "nan"], "--idle-evict"),
        (["--store", "postgresql://u@127.0.0.1:1/db", "--state-file", "x.db"], "--store"),
        (["--admin-token", "t", "--zudu-key", "zk_mine"], "--zudu-secret"),  # a well-known secret
        (["--max-workspaces", "-1"], "--max-workspaces"),
        (["--max-fault-rules", "x"], "--max-fault-rules"),
        (["--max-idempotency-keys", "1.5"], "--max-idempotency-keys"),
        (["--max-idempotency-bytes", ""], "--max-idempotency-bytes"),
        (["--max-events", "-3"], "--max-events"),
        (["--allowed-host", "http://x.example/"], "--allowed-host"),
        (["--allowed-host", ""], "--allowed-host"),
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


def test_under_an_admin_token_the_well_known_keys_open_nothing() -> None:
    with live_server("--admin-token", "t0ken", "--quiet") as base:
        admin = {"X-Mock-Admin-Token": "t0ken"}
        zudu = {"X-API-KEY": "zk_test_sandbox", "X-API-SECRET": "zs_test_sandbox"}
        for headers in ({"Authorization": "Bearer sk_test_sandbox"}, zudu):
            for method, path in (("GET", "/api/public/v1/agents"), ("GET", "/batch-call/list"),
                                 ("POST", "/_mock/reset"), ("GET", "/_mock/requests"),
                                 ("GET", "/_mock/faults")):
                answer = httpx.request(method, f"{base}{path}", headers=headers, timeout=5)
                assert answer.status_code == 401, (headers, path, answer.text)
        # the default workspace has keys no one can guess: the admin reads them
        listed = httpx.get(f"{base}/_mock/workspaces", headers=admin, timeout=5).json()["data"]
        default = listed[0]
        assert default["api_key"].startswith("sk_test_") and default["api_key"] != "sk_test_sandbox"
        assert default["zudu"]["api_secret"] != "zs_test_sandbox"
        own = {"Authorization": f"Bearer {default['api_key']}"}
        assert httpx.get(f"{base}/api/public/v1/agents", headers=own, timeout=5).status_code == 200


def test_under_an_admin_token_the_default_keys_are_the_ones_given() -> None:
    flags = ("--admin-token", "t0ken", "--api-key", "sk_live_mine", "--zudu-key", "zk_mine",
             "--zudu-secret", "zs_mine", "--quiet")
    with live_server(*flags) as base:
        mine = {"Authorization": "Bearer sk_live_mine"}
        assert httpx.get(f"{base}/api/public/v1/agents", headers=mine, timeout=5).status_code == 200
        pair = {"X-API-KEY": "zk_mine", "X-API-SECRET": "zs_mine"}
        assert httpx.get(f"{base}/batch-call/list", headers=pair, timeout=5).status_code == 200
        well_known = {"Authorization": "Bearer sk_test_sandbox"}
        assert httpx.get(f"{base}/api/public/v1/agents", headers=well_known, timeout=5).status_code == 401


def test_the_banner_says_which_keys_a_hosted_sandbox_has() -> None:
    args = parser().parse_args(["serve", "--admin-token", "s3cret-t0ken"])
    hosted = banner("http://127.0.0.1:8080", settings_from(args), START)
    assert "sk_test_sandbox" not in hosted and "zs_test_sandbox" not in hosted
    assert "GET /_mock/workspaces" in hosted and "--api-key" in hosted and "s3cret-t0ken" not in hosted
    given = settings_from(parser().parse_args(["serve", "--admin-token", "t", "--api-key", "sk_mine"]))
    assert "sk_mine" in banner("http://127.0.0.1:8080", given, START)



def _readme_flag_rows() -> list[str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| flag | default | meaning |", 1)[1].split("\n\n", 1)[0]
    return [row for row in table.splitlines() if row.startswith("| `")]


def _serve_actions() -> list[argparse.Action]:
    commands = next(action for action in parser()._actions if action.dest == "command")
    return list(commands.choices["serve"]._actions)  # type: ignore[index]


def test_every_serve_flag_is_in_the_readme_flags_table() -> None:
    flags = {name for action in _serve_actions() for name in action.option_strings if name.startswith("--")}
    named = {flag for row in _readme_flag_rows() for flag in re.findall(r"`(--[a-z-]+)`", row.split("|")[1])}
    assert flags - {"--help", "--defect"} == named  # --defect is test-only


# the default workspace's credentials default to the README's keys through Settings.default_credentials
WELL_KNOWN = {"--api-key", "--zudu-key", "--zudu-secret"}


def test_the_readme_flags_table_says_each_default_serve_has() -> None:
    """Giving a flag the README's default changes nothing; a default the README calls none, off or
    now is no value at all."""
    actions = {name: action for action in _serve_actions() for name in action.option_strings}
    bare = parser().parse_args(["serve"])
    for row in _readme_flag_rows():
        flag, shown = (cell.strip() for cell in row.split("|")[1:3])
        flag = flag.strip("`")
        if shown in ("none", "off", "now"):
            assert actions[flag].default in (None, False), (flag, shown, actions[flag].default)
            continue
        assert shown.startswith("`") and shown.endswith("`"), row
        value = shown.strip("`")
        given = parser().parse_args(["serve", flag, value if flag not in ("--spec", "--zudu-spec") else
                                     str(getattr(bare, actions[flag].dest).parent / value)])
        if flag in WELL_KNOWN:
            assert settings_from(given).default_credentials() == settings_from(bare).default_credentials()
        else:
            assert vars(given) == vars(bare), (flag, value)


def test_the_readme_flags_table_is_the_generated_one() -> None:
    """Flags, defaults, wording and order come from Settings (and serve's Listener): a new setting's
    row is printed here to paste into the README."""
    expected = table_rows(*SERVE_FLAGS)
    assert _readme_flag_rows() == expected, "the README's flags table should be:\n" + "\n".join(expected)


def test_the_journal_bounds_are_flags() -> None:
    flags = ["serve", "--journal-size", "5", "--journal-max-bytes", "4096"]
    settings = settings_from(parser().parse_args(flags))
    assert (settings.journal_size, settings.journal_max_bytes) == (5, 4096)
    assert settings_from(parser().parse_args(["serve"])).journal_max_bytes == 64 * 1024 * 1024


def test_the_server_tells_the_heap_policy_how_many_requests_it_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full collection waits for a moment with few requests (mock_server/heap.py): `serve`'s policy
    reads uvicorn's own count of the requests answered."""
    import uvicorn

    from mock_server import heap

    ran: list[uvicorn.Server] = []

    def answered_seven(server: uvicorn.Server, sockets: object = None) -> None:
        server.server_state.total_requests = 7
        ran.append(server)

    monkeypatch.setattr(uvicorn.Server, "run", answered_seven)
    monkeypatch.setattr(heap.POLICY, "requests", None)
    run_server(uvicorn.Config(app=lambda scope, receive, send: None), [])
    assert ran and heap.POLICY.requests is not None and heap.POLICY.requests() == 7
