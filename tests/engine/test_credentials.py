"""Credential schemes: each reads its own headers, says what the journal hides, and finds worlds
through the sandbox's index of that scheme; two schemes naming two workspaces name none."""

from __future__ import annotations

import pytest

from mock_server.control.dialect import journal_hidden_headers
from mock_server.core.errors import Unauthorized
from mock_server.dialects.registry import BUILT_IN, credential_schemes
from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.dialects.zudu.credentials import KEY_AND_SECRET
from mock_server.engine.credentials import MALFORMED, KeyHeader, api_key, authenticate
from mock_server.sandbox import Sandbox
from mock_server.settings import Settings

PLAIN = KeyHeader("plain", "X-Plain-Key: <key>", "x-plain-key", api_key, "send X-Plain-Key", "unknown key")


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("Bearer sk_1", ("sk_1", None)),
        ("bearer   sk_1 ", ("sk_1", None)),
        ("Basic c2s6MQ==", MALFORMED),
        ("Bearer", MALFORMED),
        ("Bearer   ", MALFORMED),
        ("   ", None),
        ("", None),
    ],
)
def test_a_bearer_key_is_read_as_rfc_6750_says(value: str, read: object) -> None:
    assert BEARER_KEY.read({"authorization": value}) == read


def test_a_key_and_secret_need_both_and_a_secret_alone_is_no_credential() -> None:
    assert KEY_AND_SECRET.read({"x-api-key": " zk_1 ", "x-api-secret": "zs_1"}) == ("zk_1", "zs_1")
    assert KEY_AND_SECRET.read({"x-api-key": "zk_1"}) == MALFORMED
    assert KEY_AND_SECRET.read({"x-api-secret": "zs_1"}) is None
    assert KEY_AND_SECRET.sent_as("zk_1", "zs_1") == {"x-api-key": "zk_1", "x-api-secret": "zs_1"}
    assert BEARER_KEY.sent_as("sk_1") == {"authorization": "Bearer sk_1"}


def test_the_journal_hides_each_scheme_s_secret_headers_not_a_key_id() -> None:
    hidden = journal_hidden_headers((*credential_schemes(BUILT_IN), PLAIN))
    assert {"authorization", "x-api-secret", "x-mock-admin-token", "x-plain-key", "cookie"} <= hidden
    assert "x-api-key" not in hidden


def test_worlds_are_found_in_every_scheme_and_two_workspaces_name_none() -> None:
    sandbox = Sandbox(Settings(), (*credential_schemes(BUILT_IN), PLAIN))
    default = sandbox.default_world
    other = sandbox.add_world(sandbox.new_world_config())
    key, (key_id, secret) = default.workspace.api_key, default.workspace.key_pair or ("", "")
    assert sandbox.world_of({"authorization": f"Bearer {key}"}) is default
    assert sandbox.world_of({"x-plain-key": key}) is default
    assert sandbox.world_of({"x-api-key": key_id, "x-api-secret": secret}) is default
    assert sandbox.world_of({"x-api-key": key_id, "x-api-secret": secret + "x"}) is None
    assert sandbox.world_of({"x-api-key": key_id, "x-api-secret": secret, "x-plain-key": key}) is default
    two = {"authorization": f"Bearer {key}", "x-plain-key": other.workspace.api_key}
    assert sandbox.world_of(two) is None
    assert sandbox.world_of({}) is default and sandbox.world_of({}, anonymous=False) is None
    assert sandbox.world_of({"authorization": "Basic abc"}) is None
    assert sandbox.carries_credentials({"x-plain-key": "nobody's"})
    assert not sandbox.carries_credentials({"x-api-secret": "a secret alone"})
    sandbox.remove_world(other)
    assert sandbox.world_of({"x-plain-key": other.workspace.api_key}) is None


def test_authentication_refuses_with_the_scheme_s_words_and_challenge() -> None:
    sandbox = Sandbox(Settings(), credential_schemes(BUILT_IN))
    with pytest.raises(Unauthorized) as missing:
        authenticate(BEARER_KEY, sandbox, {"x-api-key": "zk"})
    assert missing.value.message == BEARER_KEY.missing
    assert missing.value.headers() == {"WWW-Authenticate": 'Bearer realm="truedy"'}
    with pytest.raises(Unauthorized) as invalid:
        authenticate(KEY_AND_SECRET, sandbox, {"x-api-key": "zk", "x-api-secret": "zs"})
    assert invalid.value.message == KEY_AND_SECRET.invalid and invalid.value.headers() == {}
    key = sandbox.default_world.workspace.api_key
    assert authenticate(BEARER_KEY, sandbox, {"authorization": f"Bearer {key}"}) is sandbox.default_world
