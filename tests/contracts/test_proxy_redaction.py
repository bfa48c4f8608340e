"""No credential a client sends through the proxy appears in clear in a report or page: keys are
`$BATCHCALLS_API_KEY`, secrets `$BATCHCALLS_API_SECRET`, the admin token `$BATCHCALLS_ADMIN_TOKEN`,
in headers and in query strings alike; and every reproduction is safe to paste into a shell."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import hostile_target as hostile
import httpx
from test_proxy import API, proxy

from contracts.inprocess import serve

SECRETS = {
    "Authorization": "Bearer sk_live_LEAKED_1",
    "X-API-KEY": "zk_live_LEAKED_2",
    "X-API-SECRET": "zs_live_LEAKED_3",
    "X-Mock-Admin-Token": "admin_LEAKED_4",
    "Cookie": "session=LEAKED_5",
}
QUERY = {"api_key": "LEAKED_6", "limit": "1"}


def test_reports_show_credentials_as_variables(tmp_path: Path) -> None:
    md, junit, html = tmp_path / "proxy.md", tmp_path / "proxy.xml", tmp_path / "proxy.html"
    target = serve(hostile.answering_bytes(hostile.BROKEN_ENVELOPE))  # a finding on every answer
    reports = ("--report", str(md), "--junit-xml", str(junit), "--html", str(html))
    with target as origin:
        with proxy(origin, *reports) as (url, output):
            httpx.get(url + API + "/batch-calls", headers=SECRETS, params=QUERY, timeout=10)
            seen = httpx.get(url + "/_contract/report", timeout=10).text
    written = [seen, "\n".join(output), *(path.read_text(encoding="utf-8") for path in (md, junit, html))]
    for text in written:
        assert "LEAKED" not in text, text
    curl = json.loads(seen)["findings"][0]["evidence"][0]["curl"][0]
    assert '-H "authorization: Bearer $BATCHCALLS_API_KEY"' in curl  # header names as forwarded
    assert '-H "x-api-key: $BATCHCALLS_API_KEY" -H "x-api-secret: $BATCHCALLS_API_SECRET"' in curl
    assert '-H "x-mock-admin-token: $BATCHCALLS_ADMIN_TOKEN" -H "cookie: $BATCHCALLS_COOKIE"' in curl
    assert "/batch-calls?api_key=$BATCHCALLS_API_KEY&limit=1" in curl


def test_a_hostile_client_cannot_put_a_command_into_a_reproduction(tmp_path: Path) -> None:
    """Run by bash (curl replaced by a function printing its arguments): each argument is exactly what
    the client sent, but the credentials, which come from the variables; nothing else runs."""
    from contracts.curl import Redaction, curl_command  # noqa: PLC0415 - Redaction is new with the rule

    owned = tmp_path / "owned"
    url = f"http://127.0.0.1:1/batch-calls?token=$(touch {owned})&x=`touch {owned}`"
    header = ("X-Evil`touch " + str(owned) + "`", "a'b\x1b[2J\"$HOME\\")
    body = f"\n```\n$(touch {owned})\x1b]0;title\x07 ☕".encode()
    command = curl_command(
        "POST",
        url,
        [("Authorization", f"$(touch {owned}) sk_live_LEAKED"), header],
        body,
        Redaction(headers={"authorization": "BATCHCALLS_API_KEY"}),
    )
    assert command.isprintable() and "LEAKED" not in command
    shell = f'curl() {{ printf "%s\\0" "$@"; }}\n{command}'
    environment = {"BATCHCALLS_API_KEY": "KEY", "HOME": "/home"}
    ran = subprocess.run(["bash", "-c", shell], capture_output=True, env=environment, check=True)
    arguments = ran.stdout.decode().split("\0")[:-1]
    assert arguments == [
        "-i",
        "-X",
        "POST",
        "-H",
        "Authorization: KEY",  # no auth-scheme token before the key: the whole value is the credential
        "-H",
        f"{header[0]}: {header[1]}",
        "--data-binary",
        body.decode(),
        url.replace(f"$(touch {owned})", "KEY"),
    ]
    assert not owned.exists()


def test_the_offending_part_of_a_body_hides_credentials_as_the_journal_does() -> None:
    body = b'{"data": {"api_key": "sk_live_LEAKED_7_long", "webhook_secret": "whsec_LEAKED_8_long"}}'
    with serve(hostile.answering_bytes(body)) as origin, proxy(origin) as (url, _):
        httpx.get(url + API + "/batch-calls", headers={"Authorization": "Bearer k"}, timeout=10)
        seen = httpx.get(url + "/_contract/report", timeout=10).text
    assert "offending part" in seen and "LEAKED" not in seen
