"""Pages for people: the API reference at /docs and the live console at /_mock/console.

Static HTML, JavaScript and CSS shipped in the package (no CDN, no build step); the pages read
everything they show from the sandbox's own HTTP API, so this package imports nothing of the
sandbox's runtime and `app.py` mounts it with one line.
"""

from mock_server.web.console import console_routes
from mock_server.web.docs import Contract, docs_routes

__all__ = ["Contract", "console_routes", "docs_routes"]
