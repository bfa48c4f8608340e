"""Receivers a hosted sandbox must not post to, through HTTP (issue 20, defect 8): refused when the
URL is set (a 422) where the address is written in it, and at each delivery (a failed attempt with
its reason) where a name resolves to it; the connection goes to the address that was checked."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from receiver import receiving, run_campaign, wait_until
from support import AUTH, CheckedClient, make_client

from mock_server.cli import main, parser, settings_from

# the spellings of issue 20, every one accepted before: each reaches 169.254.169.254 (or 0.0.0.0,
# or a metadata service's name) through the delivering client
ISSUE_SPELLINGS = [
    "http://2852039166/", "http://0xa9fea9fe/", "http://0xa9.0xfe.0xa9.0xfe/",
    "http://0251.0376.0251.0376/", "http://169.254.43518/", "http://169.254.169.254./",
    "http://[::169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/", "http://0/",
    "http://metadata.google.internal/computeMetadata/v1/",
]


@pytest.fixture
def hosted() -> Iterator[CheckedClient]:
    """A sandbox as hosted beyond loopback, without --allow-private-webhooks."""
    with make_client(allow_private_webhooks=False) as client:
        yield client


def violation(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    found: dict[str, Any] = answer.json()["error"]["details"]["violations"][0]
    return found


@pytest.mark.parametrize("url", ISSUE_SPELLINGS)
def test_every_spelling_of_the_metadata_service_is_refused_when_set(client: CheckedClient, url: str) -> None:
    refused = violation(client.put("/_mock/webhooks", json={"url": url}, headers=AUTH))
    assert (refused["loc"], refused["type"]) == (["body", "url"], "receiver_refused")
    assert "webhooks are not sent to" in refused["msg"] or "not a URL" in refused["msg"]
    created = violation(client.post("/_mock/workspaces", json={"webhook_url": url}))
    assert (created["loc"], created["type"]) == (["body", "webhook_url"], "receiver_refused")
    assert client.get("/_mock/webhooks", headers=AUTH).json()["url"] is None  # nothing was set


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hooks", "http://10.1.2.3/", "http://[::1]:9000/"])
def test_private_receivers_need_loopback_or_the_flag(hosted: CheckedClient, client: CheckedClient,
                                                      url: str) -> None:
    refused = violation(hosted.put("/_mock/webhooks", json={"url": url}, headers=AUTH))
    assert "--allow-private-webhooks" in refused["msg"]
    assert client.put("/_mock/webhooks", json={"url": url}, headers=AUTH).status_code == 200


def test_the_cli_allows_private_receivers_on_loopback_or_with_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def allowed(*flags: str) -> bool:
        return settings_from(parser().parse_args(["serve", *flags])).allow_private_webhooks

    assert allowed() and allowed("--host", "::1")
    assert not allowed("--host", "0.0.0.0", "--admin-token", "t")
    assert allowed("--host", "0.0.0.0", "--admin-token", "t", "--allow-private-webhooks")
    hosted = ["serve", "--host", "0.0.0.0", "--admin-token", "t", "--port", "0"]
    assert main([*hosted, "--webhook-url", "http://10.0.0.1/hooks"]) == 2
    assert "--webhook-url: webhooks are not sent to 10.0.0.1" in capsys.readouterr().err
    assert main(["serve", "--port", "0", "--webhook-url", "http://0xa9fea9fe/"]) == 2
    assert "link-local" in capsys.readouterr().err


def attempts(client: CheckedClient, at_least: int) -> list[dict[str, Any]]:
    """Every attempt of the default workspace's deliveries, once at least `at_least` were made."""
    def made() -> list[dict[str, Any]]:
        deliveries = client.get("/_mock/webhooks/deliveries").json()["data"]
        return [a for d in deliveries for a in d["attempts"]]

    wait_until(lambda: len(made()) >= at_least, 10, f"{at_least} attempts")
    return made()


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, list[list[str]]], list[str]]]:
    """A resolver that answers the names of the table it yields (each lookup takes the next answer,
    the last one repeating) and notes each lookup of them; other names are looked up for real."""
    table: dict[str, list[list[str]]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in table or kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            return real(host, port, *args, **kwargs)  # a name is not a literal: no lookup then
        lookups.append(name)
        answers = table[name]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield table, lookups


@pytest.mark.in_process
def test_a_name_is_looked_up_at_delivery_and_refused_for_what_it_resolves_to(hosted: CheckedClient) -> None:
    with receiving() as receiver:
        url = receiver.url("/hooks").replace("127.0.0.1", "localhost")
        assert hosted.put("/_mock/webhooks", json={"url": url}, headers=AUTH).status_code == 200
        run_campaign(hosted, AUTH, 1)
        first = attempts(hosted, 1)[0]
        assert first["status_code"] is None
        assert first["error"].startswith("refused: webhooks are not sent to localhost (127.0.0.1): loopback")
        assert receiver.arrived == []


@pytest.mark.in_process
def test_every_address_a_name_resolves_to_is_checked(client: CheckedClient, names: Any) -> None:
    table, _ = names
    table["mixed.test"] = [["127.0.0.1", "169.254.169.254"]]
    with receiving() as receiver:
        url = receiver.url("/hooks").replace("127.0.0.1", "mixed.test")
        assert client.put("/_mock/webhooks", json={"url": url}, headers=AUTH).status_code == 200
        run_campaign(client, AUTH, 1)
        made = attempts(client, 3)
        assert {a["error"] for a in made} == {
            "refused: webhooks are not sent to mixed.test (169.254.169.254): link-local (cloud metadata "
            "services live there)"
        }
        assert receiver.arrived == []


@pytest.mark.in_process
def test_the_connection_goes_to_the_address_that_was_checked(client: CheckedClient, names: Any) -> None:
    """DNS rebinding: the name answers loopback to the first lookup, the metadata address to every
    later one. The first attempt reaches the receiver (no second lookup between its check and its
    connection); every later attempt is refused, although a pooled connection to the name is open."""
    table, lookups = names
    table["rebind.test"] = [["127.0.0.1"], ["169.254.169.254"]]
    with receiving() as receiver:
        url = receiver.url("/hooks").replace("127.0.0.1", "rebind.test")
        assert client.put("/_mock/webhooks", json={"url": url}, headers=AUTH).status_code == 200
        events = run_campaign(client, AUTH, 1)
        made = attempts(client, len(events))
        assert len(receiver.arrived) == 1 and lookups.count("rebind.test") == len(made)
        assert [a["status_code"] for a in made].count(204) == 1
        assert all("169.254.169.254" in a["error"] for a in made if a["status_code"] is None)


def test_redirects_are_not_followed(client: CheckedClient) -> None:
    with receiving(statuses={"/hooks": 302}) as receiver:
        receiver.headers["/hooks"] = {"Location": receiver.url("/elsewhere")}
        configured = client.put("/_mock/webhooks", json={"url": receiver.url("/hooks")}, headers=AUTH)
        assert configured.status_code == 200
        run_campaign(client, AUTH, 1)
        first = attempts(client, 1)[0]
        assert first["status_code"] == 302
        assert receiver.on("/elsewhere") == []
        assert client.get("/_mock/webhooks/deliveries").json()["data"][0]["state"] == "pending"
