"""The kit's layers, as docs/ARCHITECTURE.md ("Contract kit") writes them, against the code's
imports: each module imports only its own layer and those above it (imports under TYPE_CHECKING
are for annotations and do not count); nothing outside a profile's folder imports a profile; no
profile imports another API's; only `inprocess` imports the sandbox."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "contracts"
# top to bottom, as the architecture's diagram lists them (a prefix names a package's modules)
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "exchange", "results", "config", "curl", "safe_text", "body", "integer_formats", "redaction",
     "bounded_heads", "coalesced_writes", "local_constants"),
    ("command_line",),
    ("har", "report"),
    ("spec",),
    ("evolution",),
    ("checks",),
    ("target", "client", "ledger"),
    ("rules",),
    ("dialects",),
    ("fixtures",),
    ("fuzz",),
    ("coverage", "consistency", "runner", "proxy"),
    ("cli", "pytest_plugin", "inprocess", "__main__"),
)
PROFILES = ("truedy", "zudu")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST) -> Iterator[str]:
    """Modules imported when the module runs (not those under `if TYPE_CHECKING:`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        else:
            yield from _runtime_imports(node)


def _layer(module: str) -> int:
    first = module.split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if first in layer)


MODULES = {_module(path): path for path in sorted(PACKAGE.rglob("*.py")) if _module(path)}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_layer_and_those_above(module: str) -> None:
    imports = set(_runtime_imports(ast.parse(MODULES[module].read_text(encoding="utf-8"))))
    kit = {name.removeprefix("contracts.") for name in imports if name.startswith("contracts.")}
    below = sorted(name for name in kit if _layer(name) > _layer(module))
    assert not below, f"contracts.{module} imports {below}, below its layer"
    if module != "inprocess":
        assert not [name for name in imports if name.startswith("mock_server")], module
    if module.startswith("evolution"):  # `diff` is its own tool: the values, har and spec only
        own = {n for n in kit if n.startswith("evolution")}
        assert kit <= {"errors", "exchange", "integer_formats", "har", "spec"} | own


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_a_profiles_folder_knows_its_api(module: str) -> None:
    imports = set(_runtime_imports(ast.parse(MODULES[module].read_text(encoding="utf-8"))))
    mine = next((api for api in PROFILES if module.startswith(f"dialects.{api}")), None)
    for api in PROFILES:
        if api != mine and module != "dialects":  # the package lists the built-in profiles
            assert not [n for n in imports if n.startswith(f"contracts.dialects.{api}")], (module, api)
