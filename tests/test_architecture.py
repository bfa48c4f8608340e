"""docs/ARCHITECTURE.md against the code: the sandbox's import rules, as its `imports` block writes
them, checked against what every module of `mock_server` imports when it runs (its syntax tree:
imports under `if TYPE_CHECKING:` are annotations only); and no production module past 400 lines.

The block's lines are `subject  allowed…` (an indented line goes on with the one above). A
subject is a module (`world`, `observe/recorder`) or a folder (`engine/`); a module follows the most
specific line that names it or a folder holding it, and every module must be named by one. It may
import the standard library, its own folder (a top-level
module: itself only), `mock_server.__version__`, and what its line allows: a module or package of the
sandbox (`engine/seen`, `readiness`), every module of a folder (`core/`), a module of the kit
(`contracts.spec`), a distribution's top-level name (`starlette`); `-` is nothing more, `*` anything.
The kit's own layers are checked by tests/contracts/test_layers.py.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SANDBOX = REPO / "mock_server"
DOCUMENT = REPO / "docs" / "ARCHITECTURE.md"
PRODUCTION = ("mock_server", "contracts")
MAX_LINES = 400


def _rules() -> dict[str, frozenset[str]]:
    """The `imports` block of docs/ARCHITECTURE.md: subject → what it may import."""
    found = re.search(r"^```imports\n(.*?)^```", DOCUMENT.read_text(encoding="utf-8"), re.S | re.M)
    assert found, "docs/ARCHITECTURE.md has no ```imports block"
    rules: dict[str, frozenset[str]] = {}
    subject = ""
    for line in found.group(1).splitlines():
        words = [word for word in line.split("#", 1)[0].split() if word != "-"]
        if not words:
            continue
        if line[0].isspace():  # an indented line goes on with the line above
            rules[subject] |= frozenset(words)
            continue
        subject = words[0]
        assert subject not in rules, f"the imports block names {subject} twice"
        rules[subject] = frozenset(words[1:])
    return rules


def _name(path: Path) -> str:
    """`engine/spec` for mock_server/engine/spec.py, `readiness/` for a package's __init__.py."""
    parts = path.relative_to(SANDBOX).with_suffix("").parts
    return "/".join(parts[:-1]) + "/" if parts[-1] == "__init__" else "/".join(parts)


def _sandbox_module(dotted: str) -> str | None:
    """The module or package (`readiness/`) of the sandbox a dotted name is, or None."""
    parts = dotted.split(".")[1:]
    if not parts:
        return "__init__"  # the package itself: its version
    if (SANDBOX.joinpath(*parts) / "__init__.py").exists():
        return "/".join(parts) + "/"
    if SANDBOX.joinpath(*parts).with_suffix(".py").exists():
        return "/".join(parts)
    return None


def _kit_module(dotted: str) -> str:
    parts = dotted.split(".")
    while len(parts) > 1 and not (
        REPO.joinpath(*parts).with_suffix(".py").exists() or (REPO.joinpath(*parts) / "__init__.py").exists()
    ):
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST, package: list[str]) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of what a module imports when it runs: `from a import b` is `a.b` when b is
    a module, else `a`; relative imports resolved against `package`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = [*package[: len(package) - node.level + 1]] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                whole = f"{module}.{alias.name}"
                top = whole.split(".")[0]
                is_module = top in PRODUCTION and (
                    REPO.joinpath(*whole.split(".")).with_suffix(".py").exists()
                    or (REPO.joinpath(*whole.split(".")) / "__init__.py").exists()
                )
                yield (whole if is_module else module), node.lineno
        else:
            yield from _imports(node, package)


def _allows(allowed: frozenset[str], target: str) -> bool:
    """Whether a rule's words allow `target` (`engine/spec`, `readiness/`, `contracts.spec`, `orjson`)."""
    if "*" in allowed:
        return True
    for word in allowed:
        if word.endswith("/") and target.startswith(word):
            return True
        if target in (word, word + "/") or target.startswith(word + "."):
            return True
    return False


def _subject(name: str, rules: dict[str, frozenset[str]]) -> str | None:
    """The most specific line naming module `name` (`dialects/truedy/wire`) or a folder holding it."""
    bare = name.rstrip("/")
    candidates = [bare] + ["/".join(bare.split("/")[:i]) + "/" for i in range(bare.count("/") + 1, 0, -1)]
    return next((candidate for candidate in candidates if candidate in rules), None)


def _violations(path: Path, rules: dict[str, frozenset[str]]) -> Iterator[str]:
    name = _name(path)
    subject = _subject(name, rules)
    if subject is None:
        yield f"mock_server/{name}: no line of the imports block names it or a folder holding it"
        return
    own = name if name.endswith("/") else name.rsplit("/", 1)[0] + "/" if "/" in name else None
    package = ["mock_server", *path.relative_to(SANDBOX).parts[:-1]]
    for dotted, line in sorted(set(_imports(ast.parse(path.read_text(encoding="utf-8")), package))):
        top = dotted.split(".")[0]
        if top in sys.stdlib_module_names:
            continue
        if top == "mock_server":
            target = _sandbox_module(dotted)
            assert target is not None, f"{path}:{line} imports {dotted}, which is not a module"
            if target == "__init__" or target.rstrip("/") == name.rstrip("/"):
                continue
            if own is not None and target.startswith(own):
                continue
        else:
            target = _kit_module(dotted) if top == "contracts" else top
        if not _allows(rules[subject], target):
            yield (
                f"mock_server/{path.relative_to(SANDBOX)}:{line} imports {dotted}: the rule of {subject} "
                f"allows {' '.join(sorted(rules[subject])) or 'nothing beyond the standard library'}"
            )


def test_every_module_imports_only_what_the_documented_rules_allow() -> None:
    rules = _rules()
    # the package's own __init__ holds its version only
    modules = [path for path in sorted(SANDBOX.rglob("*.py")) if path != SANDBOX / "__init__.py"]
    offences = [v for path in modules for v in _violations(path, rules)]
    assert not offences, "imports docs/ARCHITECTURE.md does not allow:\n" + "\n".join(offences)


def _exists(word: str) -> bool:
    if "/" in word or (SANDBOX / f"{word}.py").exists():
        return _sandbox_module("mock_server." + word.rstrip("/").replace("/", ".")) is not None
    if word.startswith("contracts."):
        return _kit_module(word) == word
    return importlib.util.find_spec(word) is not None  # a distribution's top-level name


def test_the_rules_name_only_what_exists() -> None:
    """A renamed or removed module leaves no stale line behind, as a subject or as an allowed word."""
    rules = _rules()
    stale = [subject for subject in rules if not _exists(subject)]
    for subject, allowed in rules.items():
        stale += [f"{subject}: {word}" for word in sorted(allowed - {"*"}) if not _exists(word)]
    assert not stale, f"lines of the imports block that name no module: {stale}"


def test_no_production_module_is_past_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): lines
        for package in PRODUCTION
        for path in sorted((REPO / package).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules past {MAX_LINES} lines (split them by job): {long}"


def _files() -> set[str]:
    folders = (*PRODUCTION, "tests", "benchmarks", "scripts", "examples")
    return {str(path.relative_to(REPO)) for folder in folders for path in (REPO / folder).rglob("*.py")}


@pytest.mark.parametrize("document", ["ARCHITECTURE.md", "SCALING.md"])
def test_every_file_and_test_the_document_names_exists(document: str) -> None:
    """A recipe that names a renamed module, or a test that is gone, fails here (a name is a path
    ending a file of the repository, `a.py::test_b` a test function of such a file)."""
    text = (REPO / "docs" / document).read_text(encoding="utf-8")
    files = _files()
    named = set(re.findall(r"`([\w/]+\.py)`", text)) | set(re.findall(r"([\w/]+\.py)::", text))
    missing = [name for name in sorted(named) if not any(f == name or f.endswith("/" + name) for f in files)]
    for name, function in sorted(set(re.findall(r"([\w/]+\.py)::(\w+)", text))):
        holders = [REPO / file for file in files if file == name or file.endswith("/" + name)]
        if holders and not any(f"def {function}(" in path.read_text(encoding="utf-8") for path in holders):
            missing.append(f"{name}::{function}")
    assert not missing, f"docs/{document} names what does not exist: {missing}"
