"""Zudu's batch-call API: X-API-KEY + X-API-SECRET, {message, status, error, data} envelopes,
millisecond timestamps, statuses draft/scheduled/sent/completed/failed (seed 004)."""
