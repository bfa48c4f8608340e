"""The control API's own credential: the sandbox's admin token (`--admin-token`), in one header."""

from __future__ import annotations

ADMIN_HEADER = "x-mock-admin-token"  # lower case, as the engine reads headers
