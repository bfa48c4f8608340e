"""Tests that make two PostgreSQL transactions cross: wait until one waits for the other's lock."""

from __future__ import annotations

import asyncio

import psycopg


async def until_a_lock_is_waited_for(db: psycopg.AsyncConnection[object], seconds: float = 1.0) -> None:
    """Until some session on `db`'s database waits for a lock (bounded by `seconds`: a statement
    that never had to wait returns meanwhile, and its test checks what it found)."""
    for _ in range(int(seconds / 0.01)):
        cursor = await db.execute("SELECT count(*) FROM pg_stat_activity"
                                  " WHERE wait_event_type = 'Lock' AND datname = current_database()")
        found = await cursor.fetchone()
        if found is not None and found[0]:
            return
        await asyncio.sleep(0.01)
