"""The control API's handler table: each handler module registers its functions here, for their
operationId (`openapi.control.json` declares each one's scope: `engine/scopes.py`)."""

from __future__ import annotations

from mock_server.engine.handlers import HandlerTable

HANDLERS = HandlerTable("control")
operation = HANDLERS.operation
