"""Zudu's handler table: its handler module registers its functions here, for their operationId."""

from __future__ import annotations

from mock_server.engine.handlers import HandlerTable

HANDLERS = HandlerTable("zudu")
operation = HANDLERS.operation
