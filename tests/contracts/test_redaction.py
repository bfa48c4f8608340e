"""The one list of what the request journal never shows in clear, and how each credential is hidden."""

from __future__ import annotations

import pytest

from contracts.redaction import names_a_credential, redact, redact_query, redact_url, redacted


@pytest.mark.parametrize(
    "name",
    ["api_key", "apikey", "APIKEY", "x-api-key", "X-Api-Token", "access_token", "accessToken",
     "client_secret", "password", "passwd", "pwd", "auth", "Authorization", "sig", "signature", "session_id",
     "jwt", "privateKey", "key"],
)
def test_names_that_name_a_credential(name: str) -> None:
    assert names_a_credential(name)


@pytest.mark.parametrize("name", ["limit", "offset", "status", "q", "monkey", "keyword", "design", "folder"])
def test_names_that_do_not(name: str) -> None:
    assert not names_a_credential(name)


def test_a_query_keeps_everything_but_credential_values() -> None:
    assert redact_query("") == ""
    assert redact_query("limit=5&offset=0") == "limit=5&offset=0"
    sent = "a=1&api%5Fkey=sk_test_0123456789ab&api_key&token="
    assert redact_query(sent) == "a=1&api%5Fkey=…89ab&api_key&token=…"
    plain = "limit=5"
    assert redact_query(plain) is plain


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.org/x?v=2", "https://hooks.example.org/x?v=2"),
        ("https://u:p4ssw0rd-long-enough@h.example/x", "https://u:…ough@h.example/x"),
        ("https://tok3n@h.example/x", "https://…@h.example/x"),
        ("https://h.example/x?sig=0123456789abcdef&v=1", "https://h.example/x?sig=…cdef&v=1"),
        ("not a url at all", "not a url at all"),
        ("http://[::1/x", "http://[::1/x"),
    ],
)
def test_urls_lose_their_user_information_and_credential_parameters(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_a_value_is_the_same_object_when_it_holds_no_credential() -> None:
    clean = {"data": [{"name": "a", "url": "https://h.example/x"}], "n": 1}
    assert redacted(clean) is clean
    dirty = {"data": [{"secret": "whsec_0123456789ab", "webhook_url": "https://h.example/?token=0123456789abcd"}]}
    shown = redacted(dirty)
    assert shown == {"data": [{"secret": "…89ab", "webhook_url": "https://h.example/?token=…abcd"}]}
    assert dirty["data"][0]["secret"] == "whsec_0123456789ab"  # the original is left as it was


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Bearer sk_test_0123456789ab", "Bearer …89ab"),
        ("sk_test_0123456789ab", "…89ab"),
        # a cookie has no scheme: its first pair is a secret like the rest
        ("sessionid=S3CRETsessionVALUE0123456789; csrftoken=abcdefghijkl", "…ijkl"),
        ("tok tok2 ABCDEFGHIJKLMN", "…KLMN"),  # words: none of them is a scheme
        ("Bearer short", "Bearer …"),
    ],
)
def test_only_a_scheme_is_shown_of_a_credential_header(value: str, shown: str) -> None:
    assert redact(value) == shown
    assert "S3CRET" not in redact(value) and "tok2" not in redact(value)


def test_credential_fields_in_any_spelling_and_urls_under_any_field() -> None:
    body = {
        "API_KEY": "sk_test_0123456789ab", "apiKey": "sk_test_0123456789ab", "password": "hunter2-but-long",
        "token": "0123456789abcdef", "Client-Secret": "0123456789abcdef",
        "callback": "https://h.example/cb?token=0123456789abcd", "name": "key rotation", "keyword": "k",
    }
    shown = redacted(body)
    assert shown["API_KEY"] == shown["apiKey"] == "…89ab" and shown["password"] == "…long"
    assert shown["token"] == shown["Client-Secret"] == "…cdef"
    assert shown["callback"] == "https://h.example/cb?token=…abcd"
    assert (shown["name"], shown["keyword"]) == ("key rotation", "k")


def test_credentials_that_are_not_text_and_urls_in_any_case() -> None:
    body = {
        "password": ["hunter2-long-enough"], "token": {"v": "0123456789abcdef"},
        "api_key": 123456789012345678,
        "cb": "Https://user:p4ssw0rd-long-enough@h.example/", "variables": {"otp": "123456"}, "secret": None,
    }
    shown = redacted(body)
    assert shown["password"] == shown["token"] == shown["api_key"] == "…"
    assert shown["cb"] == "https://user:…ough@h.example/" and shown["variables"]["otp"] == "…"
    assert shown["secret"] is None
    assert names_a_credential("pass") and not names_a_credential("passenger")
