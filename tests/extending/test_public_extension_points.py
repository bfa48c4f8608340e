"""The seam, checked: the third API (tests/extending/acme/) reaches the sandbox only through its
public extension points, and nothing in the sandbox's own code names it. A third API that needed an
edit in `mock_server/` (a name in a list, a branch on its name) would fail here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACME = Path(__file__).resolve().parent / "acme"

# What an API is built from: the error tree and the core's values and rules, the engine's contract
# with a dialect (context, spec), a credential scheme, a handler table, the use cases, the world it
# is handed, and the value the app factory takes.
PUBLIC = {
    "mock_server.core.batch_rules",
    "mock_server.core.contact_rows",
    "mock_server.core.errors",
    "mock_server.core.models",
    "mock_server.core.timefmt",
    "mock_server.dialects.registry",
    "mock_server.engine.context",
    "mock_server.engine.credentials",
    "mock_server.engine.handlers",
    "mock_server.engine.spec",
    "mock_server.services.task_batches",
    "mock_server.services.world",
    "mock_server.settings",
    "mock_server.store.base",
    "mock_server.world",
}


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_third_api_uses_only_public_extension_points() -> None:
    used = {name for path in ACME.glob("*.py") for name in imported(path) if name.startswith("mock_server")}
    assert used, "the third API imports nothing of the sandbox: the scan is broken"
    assert used <= PUBLIC, f"not an extension point: {sorted(used - PUBLIC)}"


def test_no_module_of_the_sandbox_names_the_third_api() -> None:
    named = [
        str(path.relative_to(ROOT)) for path in (ROOT / "mock_server").rglob("*.py")
        if "acme" in path.read_text().lower()
    ]
    assert named == []
