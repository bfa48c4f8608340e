"""The control API under /_mock: a dialect of its own, served from `openapi.control.json` by the
same engine as the public APIs (routing, validation, body limits, 404/405, one envelope)."""
