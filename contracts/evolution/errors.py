"""Why `batchcalls-contract diff` could not compare (exit 2): kit errors, one sentence each.

A traffic file that cannot be read is `contracts.har.HarError`, the kit's error for HAR files.
"""

from __future__ import annotations

from contracts.errors import KitError


class DocumentError(KitError):
    """An OpenAPI document cannot be read, parsed or resolved, or is past one of the bounds."""
