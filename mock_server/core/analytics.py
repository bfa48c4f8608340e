"""Batch analytics: totals by outcome, rates, durations, cost, and a per-day breakdown.

Reads the counters and the per-day tally the dispatcher keeps as calls happen, so it costs the
same for 10 contacts as for 100k.
"""

from __future__ import annotations

from typing import Any

from .models import Batch


def batch_analytics(batch: Batch) -> dict[str, Any]:
    k = batch.counters
    total = len(batch.contacts)
    completed = k.completed
    return {
        "batch_call_id": batch.id,
        "status": batch.status,
        "total_contacts": total,
        "completed_contacts": completed,
        "successful_contacts": k.successful,
        "failed_contacts": k.failed,
        "voicemail_contacts": k.voicemail,
        "no_answer_contacts": k.no_answer,
        "cancelled_contacts": k.cancelled,
        "pending_contacts": total - completed - k.cancelled,
        "success_rate": round(k.successful / completed, 4) if completed else 0.0,
        "calls_placed": k.calls_placed,
        "total_duration_seconds": k.total_duration_seconds,
        "average_duration_seconds": k.average_duration_seconds,
        "total_minutes": round(k.total_duration_seconds / 60, 2),
        "total_cost_usd": round(k.total_cost_usd, 4),
        "by_day": [
            {
                "date": day,
                "calls_placed": t.calls_placed,
                "successful": t.successful,
                "failed": t.failed,
                "voicemail": t.voicemail,
                "no_answer": t.no_answer,
                "duration_seconds": t.duration_seconds,
                "cost_usd": round(t.cost_usd, 4),
            }
            for day, t in sorted(batch.by_day.items())
        ],
    }
