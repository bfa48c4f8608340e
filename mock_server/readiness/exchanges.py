"""What the grading reads: request-journal entries and webhook deliveries, as plain typed values.

The journal (issue 13) hands out JSON-shaped dicts; this module is the one place that knows that
shape. Everything after it works on `Exchange` and `WebhookDelivery`, so a change of the journal's
fields touches only `exchange_from_entry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

DeliveryKind = Literal["real", "bad_signature", "stale_timestamp"]

# The one create the challenges and the idempotency checks are about: Truedy's `POST /batch-calls`.
CREATE_OPERATION = "create_batch_call"
GET_ONE_OPERATION = "get_batch_call"
IDEMPOTENCY_HEADER = "x-idempotency-key"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request of the workspace and its answer, with times as wall-clock POSIX seconds."""

    request_id: str
    received_at: float
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    operation_id: str | None
    request_headers: Mapping[str, str]
    request_body: Any
    status: int
    response_headers: Mapping[str, str]
    response_body: Any
    duration_ms: float
    validation_errors: Sequence[Any] | None
    idempotent_replay: bool = False

    @property
    def answered_at(self) -> float:
        return self.received_at + self.duration_ms / 1000

    @property
    def is_create(self) -> bool:
        return self.method == "POST" and self.operation_id == CREATE_OPERATION

    @property
    def idempotency_key(self) -> str | None:
        return self.request_headers.get(IDEMPOTENCY_HEADER) or None

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300

    def retry_after(self) -> float | None:
        """Seconds of a `Retry-After` answer (delta-seconds or an HTTP date), or None."""
        value = self.response_headers.get("retry-after")
        if value is None:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - self.answered_at)
        except (TypeError, ValueError):
            return None

    def query_value(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    status_code: int | None  # None: no answer (connection refused, timeout)
    sent_at: float
    answered_in_seconds: float | None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: str
    kind: DeliveryKind
    attempts: tuple[DeliveryAttempt, ...] = field(default_factory=tuple)


def wall_seconds(value: str | float | int) -> float:
    """POSIX seconds from an RFC 3339 string (the journal's `received_at`) or a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")).timestamp()
    raise ValueError(f"not a time: {value!r}")


def _query(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(parse_qsl(value.lstrip("?"), keep_blank_values=True))
    if isinstance(value, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            items = item if isinstance(item, list | tuple) else [item]
            pairs.extend((str(key), str(one)) for one in items)
        return tuple(pairs)
    raise ValueError(f"query must be a string or an object, not {type(value).__name__}")


def _headers(value: Any) -> dict[str, str]:
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k).lower(): str(v) for k, v in value.items()}
    return {str(k).lower(): str(v) for k, v in value}  # a list of pairs


def exchange_from_entry(entry: Mapping[str, Any]) -> Exchange:
    """One journal entry (issue 13's shape) as an `Exchange`."""
    errors = entry.get("validation_errors")
    return Exchange(
        request_id=str(entry["request_id"]),
        received_at=wall_seconds(entry["received_at"]),
        method=str(entry["method"]).upper(),
        path=str(entry["path"]),
        query=_query(entry.get("query")),
        operation_id=entry.get("operation_id"),
        request_headers=_headers(entry.get("request_headers")),
        request_body=entry.get("request_body"),
        status=int(entry["status"]),
        response_headers=_headers(entry.get("response_headers")),
        response_body=entry.get("response_body"),
        duration_ms=float(entry.get("duration_ms") or 0.0),
        validation_errors=list(errors) if errors else None,
        idempotent_replay=bool(entry.get("idempotent_replay")),
    )


def delivery_from_json(value: Mapping[str, Any]) -> WebhookDelivery:
    """A delivery as `{id, kind, attempts: [{status_code, sent_at, answered_in_seconds}]}`."""
    kind = value.get("kind", "real")
    if kind not in ("real", "bad_signature", "stale_timestamp"):
        raise ValueError(f"unknown delivery kind {kind!r}")
    attempts = tuple(
        DeliveryAttempt(
            status_code=a.get("status_code"),
            sent_at=wall_seconds(a["sent_at"]),
            answered_in_seconds=a.get("answered_in_seconds"),
        )
        for a in value.get("attempts", ())
    )
    return WebhookDelivery(id=str(value["id"]), kind=kind, attempts=attempts)
