"""A schema failure in a `run` report shows the offending part of the body as the sandbox's journal
would: a credential field's value is redacted, and Schemathesis' message, which quotes the value,
is replaced by what failed."""

from __future__ import annotations

from types import SimpleNamespace

from contracts.fuzz import _failure_text

SECRET = "whsec_0123456789abcdef"


def schema_failure(instance: object, instance_path: list[object], message: str) -> SimpleNamespace:
    return SimpleNamespace(
        title="Response violates schema",
        message=f"{message}\n\nSchema at /components/schemas/Workspace/properties/x:\n    {{}}\n\nValue:\n"
                f"    {instance!r}",
        schema_path=["properties", "webhook_secret", "maxLength"],
        instance_path=instance_path,
        instance=instance,
    )


def test_a_credential_that_fails_its_schema_is_not_shown() -> None:
    text = _failure_text(schema_failure(SECRET, ["data", "webhook_secret"], f"'{SECRET}' is too long"))
    assert SECRET not in text
    assert "offending part: body['data']['webhook_secret'] = \"…cdef\"" in text
    assert "a value holding a credential fails the schema's `maxLength` keyword" in text


def test_an_object_holding_a_credential_shows_it_redacted() -> None:
    instance = {"name": "ok", "api_key": "sk_live_0123456789abcdef"}
    text = _failure_text(schema_failure(instance, ["data"], "'id' is a required property"))
    assert "sk_live_0123456789abcdef" not in text and "…cdef" in text


def test_any_other_value_is_shown_with_schemathesis_message() -> None:
    text = _failure_text(schema_failure("draft!", ["data", "status"], "'draft!' is not one of ['draft']"))
    assert "offending part: body['data']['status'] = \"draft!\"" in text
    assert "'draft!' is not one of ['draft']" in text
