"""The README's walk-through, replayed: every answer it quotes is what the sandbox gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient
from support import CAMPAIGN

from mock_server.app import create_app
from mock_server.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
B = "/api/public/v1"
K = {"Authorization": "Bearer sk_test_sandbox"}
BODY = {**CAMPAIGN, "name": "Spring renewals"}


def quoted(*fragments: str) -> None:
    for fragment in fragments:
        assert fragment in README, f"the README no longer quotes {fragment!r}"


def test_the_walkthrough_gives_the_documented_answers() -> None:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC).timestamp()  # --clock manual --start-at 2026-03-02T08:00:00Z
    with TestClient(create_app(Settings(clock="manual", start_at=start))) as c:
        idem = {**K, "X-Idempotency-Key": "walkthrough-1"}
        created = c.post(f"{B}/batch-calls", json=BODY, headers=idem)
        batch_id = created.json()["data"]["id"]
        quoted(f"location: {B}/batch-calls/{batch_id}", f"x-request-id: {created.headers['x-request-id']}")
        replay = c.post(f"{B}/batch-calls", json=BODY, headers=idem)
        assert replay.content == created.content and replay.headers["idempotent-replayed"] == "true"

        refused = c.post(f"{B}/batch-calls/{batch_id}/pause", headers=K).json()
        quoted(f'"request_id":"{refused["meta"]["request_id"]}"', refused["error"]["message"])
        assert (
            c.post(f"{B}/batch-calls/{batch_id}/schedule", headers=K).json()["data"]["status"] == "scheduled"
        )
        moved = c.post("/_mock/clock/advance", json={"until": "2026-03-02T15:00:00Z"}).json()
        quoted(f'"next_event_at":"{moved["next_event_at"]}","events_processed":{moved["events_processed"]}')
        rows = c.get(f"{B}/batch-calls/{batch_id}/contacts", params={"limit": 2}, headers=K).json()["data"]
        quoted(
            f'"call_id":"{rows[0]["call_id"]}"',
            f'"duration_seconds":{rows[0]["duration_seconds"]}',
            f'"duration_seconds":{rows[1]["duration_seconds"]}',
        )

        paused = c.post(f"{B}/batch-calls/{batch_id}/pause", headers=K).json()["data"]
        quoted(f"completed_contacts {paused['completed_contacts']}")
        assert c.post("/_mock/clock/advance", json={"seconds": 86400}).json()["events_processed"] == 0
        assert c.post(f"{B}/batch-calls/{batch_id}/resume", headers=K).json()["data"]["status"] == "active"
        c.post("/_mock/clock/advance", json={"until": "2026-03-04T22:00:00Z"})
        final = c.get(f"{B}/batch-calls/{batch_id}", headers=K).json()["data"]
        assert final["status"] == "completed"
        quoted(
            *(
                f'"{k}":{final[k]}'
                for k in (
                    "successful_contacts",
                    "failed_contacts",
                    "voicemail_contacts",
                    "no_answer_contacts",
                    "total_cost_usd",
                    "average_duration_seconds",
                )
            )
        )
        everyone = {
            r["phone_number"]: r
            for r in c.get(f"{B}/batch-calls/{batch_id}/contacts", headers=K).json()["data"]
        }
        assert everyone["+15550100001"]["call_status"] == "voicemail"
        assert everyone["+15550100003"]["error_reason"] == "busy"
        assert (everyone["+15550100005"]["call_status"], everyone["+15550100005"]["attempts"]) == (
            "completed",
            2,
        )
        analytics = c.get(f"{B}/batch-calls/{batch_id}/analytics", headers=K).json()["data"]
        quoted(
            *(
                f'"{k}":{analytics[k]}'
                for k in ("success_rate", "calls_placed", "total_duration_seconds", "total_minutes")
            )
        )
        events = c.get("/_mock/events", headers=K).json()
        quoted(f'"id":"{events["data"][0]["id"]}"', f'"total":{events["total"]}')
