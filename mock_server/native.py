"""The request path compiled to C by mypyc, used only while it matches the sources.

The modules every request runs through (`MODULES`: the engine's pipeline, the observers, the
create's services, Truedy's dialect) are plain typed Python, which mypyc (it ships with mypy)
compiles as they are: a request over HTTP then costs a fifth less CPU, a quarter to a third less in
process (docs/performance.md, "The request path compiled"). Nothing else changes; every module still
runs as Python without it.

    python -m mock_server.native_build          # build (scripts/serve and scripts/test do, when stale)
    python -m mock_server.native_build --check  # say whether the build is used, and why not

The build goes to `build/native/<extension ABI>/` beside the packages, never next to the sources: an
extension module there would shadow its source, and an edit would silently not run. Its manifest
holds the SHA-256 of every source of the packages mypyc read (a compiled module may hold what it
read of another: a constant folded in); `import mock_server` loads the compiled modules (a finder
ahead of the others on `sys.meta_path`) only when every one matches, and otherwise runs the
sources, all of them (a compiled module calls the others of its build directly).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent  # where the packages are (the checkout)
# Not these, which stay interpreted: `engine/router.py` and `engine/context.py` (their generic
# classes fail at import once compiled), the modules of classes a state file's snapshot pickles
# (`core/ids.py`, `core/quotas.py`, `engine/idempotency.py`, `world.py`, `store/memory.py`: a compiled
# class is not unpickled as it was pickled), and of classes the state file's recording subclasses
# (`engine/faults.py`, `engine/ratelimit.py`, `sandbox.py`).
MODULES = tuple(f"mock_server.{name}" for name in (
    "engine.front", "engine.pipeline", "engine.incoming", "engine.guard", "engine.seen",
    "engine.validation", "engine.credentials", "engine.kept",
    "observe.recorder", "observe.request_journal", "observe.request_metrics", "observe.access_log",
    "services.batches", "services.batch_calls", "services.quota",
    "dialects.truedy.batch_calls", "dialects.truedy.wire", "dialects.truedy.envelopes",
    "dialects.truedy.dialect",
    "core.contact_rows", "core.footprint", "core.batch_rules",
    "engine.spec", "engine.whole_numbers", "dialects.encoded", "wakeups", "services.world",
))
# What mypyc reads to compile them: a change to any of these sources makes the build stale (it may
# hold what it read of another module, a constant folded in, a class's layout)
PACKAGES = ("mock_server", "contracts")
MANIFEST = "manifest.json"
SKIP_VARIABLE = "BATCHCALLS_NATIVE"  # `0`: run the sources even when a fresh build exists


def build_dir(root: Path = ROOT) -> Path:
    """Where this interpreter's build is: one per extension ABI (its suffix names the Python version,
    its build flags and the platform: a debug or free-threaded interpreter has its own)."""
    abi = importlib.machinery.EXTENSION_SUFFIXES[0].strip(".").removesuffix(".so").removesuffix(".pyd")
    return root / "build" / "native" / abi


def source_of(module: str, root: Path = ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sources(root: Path = ROOT) -> dict[str, str]:
    """The digest of every module source of PACKAGES under `root`, by its path relative to `root`:
    a file whose name is no module name (an editor's `.#name.py` lock, a dangling link) or that
    cannot be read is none (it cannot be imported either)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if not path.stem.isidentifier():
                continue
            try:
                found[path.relative_to(root).as_posix()] = digest(path)
            except OSError:
                continue
    return found


@dataclass(frozen=True)
class Build:
    """A build's manifest: the file of each compiled module (and of their shared library), and the
    digest of every source the build read."""

    directory: Path
    files: dict[str, str]  # module name -> its extension file, relative to `directory`
    sources: dict[str, str]  # path under the checkout -> SHA-256 of the source when compiled

    @classmethod
    def read(cls, directory: Path) -> Build | None:
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
            return cls(directory, dict(manifest["files"]), dict(manifest["sources"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def stale(self, root: Path = ROOT) -> list[str]:
        """The sources changed, added or removed since the build, the modules of MODULES it does not
        hold (a change of MODULES since), and the files of the build that are gone."""
        now = sources(root)
        changed = [path for path in sorted(now.keys() | self.sources.keys())
                   if now.get(path) != self.sources.get(path)]
        missing = [module for module in MODULES if module not in self.files]
        gone = [file for file in self.files.values() if not (self.directory / file).is_file()]
        return changed + missing + gone


class BuildFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules of a build (ahead of the path's finders, which find the sources)."""

    def __init__(self, build: Build) -> None:
        self.build = build

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        file = self.build.files.get(fullname)
        if file is None:
            return None
        location = str(self.build.directory / file)
        loader = importlib.machinery.ExtensionFileLoader(fullname, location)
        return importlib.util.spec_from_file_location(fullname, location, loader=loader)


def usable(root: Path = ROOT) -> tuple[Build | None, str | None]:
    """The build, when it is to be used; else None and why not, in one sentence."""
    if disabled():
        return None, f"{SKIP_VARIABLE}=0: the sources run"
    build = Build.read(build_dir(root))
    if build is None:
        return None, "no build (python -m mock_server.native_build builds one)"
    stale = build.stale(root)
    if stale:
        more = " …" if len(stale) > 3 else ""
        return None, f"the build is older than {', '.join(stale[:3])}{more}: the sources run"
    return build, None


def why_not_used(root: Path = ROOT) -> str | None:
    """None when the build is used; else why not, in one sentence."""
    return usable(root)[1]


def disabled() -> bool:
    """`BATCHCALLS_NATIVE=0`: the sources run, and nothing is built."""
    return os.environ.get(SKIP_VARIABLE) == "0"


def install(root: Path = ROOT) -> bool:
    """Load the compiled modules from now on, if the build matches the sources (`mock_server`'s import
    does this, before any of them is imported). Whether it does. Never raises: a build that cannot
    be read or checked is not used."""
    try:
        build = usable(root)[0]
    except OSError:
        return False
    if build is None:
        return False
    if not any(isinstance(finder, BuildFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, BuildFinder(build))
    return True


def in_use() -> bool:
    """Whether the request path runs compiled in this process."""
    module = sys.modules.get(MODULES[0])
    return module is not None and isinstance(module.__spec__.loader if module.__spec__ else None,
                                             importlib.machinery.ExtensionFileLoader)
