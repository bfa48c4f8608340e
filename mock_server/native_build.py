"""Builds the compiled request path (`mock_server/native.py`): mypyc, then a C compiler.

    python -m mock_server.native_build             # build
    python -m mock_server.native_build --if-stale  # build unless the build matches the sources and mypyc
    python -m mock_server.native_build --check     # say whether the build is used, and why not

A build that fails (no C compiler, no mypyc) says so in one line and exits 1: the sources run.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mock_server.native import (
    MANIFEST,
    MODULES,
    PACKAGES,
    ROOT,
    SKIP_VARIABLE,
    Build,
    build_dir,
    disabled,
    source_of,
    sources,
    why_not_used,
)

# mypy's settings for the build (the project's strict ones are checked by `mypy` itself; here only
# what the compiled code needs: the types it can find)
MYPY_INI = "[mypy]\nignore_missing_imports = True\n"


def toolchain() -> str:
    """What compiled a build besides the sources: mypyc's version (its runtime is in the build)."""
    return f"mypy {importlib.metadata.version('mypy')}"


def compile_build(root: Path = ROOT) -> Build:
    """Compile MODULES with mypyc into `build_dir(root)` (replacing what was there), from a copy of
    the packages: the digests are those of the very files compiled. The caller holds the lock."""
    target = build_dir(root)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for package in PACKAGES:
            shutil.copytree(root / package, work / package,
                            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"))
        (work / "mypy.ini").write_text(MYPY_INI)
        compiled_from = sources(work)
        done = subprocess.run(
            [sys.executable, "-m", "mypyc", *(str(source_of(m, work).relative_to(work)) for m in MODULES)],
            cwd=work, capture_output=True, text=True, timeout=1800,
        )
        if done.returncode != 0:
            raise BuildFailed(f"mypyc failed:\n{(done.stdout + done.stderr)[-4000:]}")
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
        files = {module: str(Path(*module.split(".")).with_suffix(suffix)) for module in MODULES}
        # the build's shared library, which each module's extension imports by its top-level name
        for shared in work.glob(f"*__mypyc{suffix}"):
            files[shared.name.removesuffix(suffix)] = shared.name
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        try:
            for file in files.values():
                (staging / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(work / file, staging / file)
            manifest = {"files": files, "sources": compiled_from, "toolchain": toolchain()}
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    build = Build.read(target)
    if build is None:
        raise BuildFailed(f"the build in {target} cannot be read back")
    return build


@contextmanager
def build_lock(root: Path = ROOT) -> Iterator[None]:
    """One build at a time in a checkout (`scripts/serve` and `scripts/test` after the same edit):
    the next waits, then finds the build fresh."""
    directory = build_dir(root).parent
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def fresh(root: Path = ROOT) -> bool:
    """Whether the build matches the sources and was made by the mypyc installed."""
    if why_not_used(root) is not None:
        return False
    try:
        manifest = json.loads((build_dir(root) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return bool(manifest.get("toolchain") == toolchain())


class BuildFailed(Exception):
    """mypyc or the C compiler failed: the sources run."""


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(prog="python -m mock_server.native_build", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--check", action="store_true", help="say whether the build is used; build nothing")
    args.add_argument("--if-stale", action="store_true",
                      help="build only when the build does not match the sources or the installed mypyc")
    opts = args.parse_args(argv)
    if opts.check:
        reason = why_not_used()
        print(reason or f"the request path runs compiled ({build_dir()})")
        return 0 if reason is None else 1
    if disabled():
        print(f"{SKIP_VARIABLE}=0: nothing built, the sources run", file=sys.stderr)
        return 0 if opts.if_stale else 1
    if opts.if_stale and fresh():
        return 0
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        print("no C compiler: the request path runs as Python (Debian: apt-get install gcc)", file=sys.stderr)
        return 1
    if importlib.util.find_spec("mypyc") is None:
        print("mypyc is not installed: the request path runs as Python (pip install -e '.[native]')",
              file=sys.stderr)
        return 1
    try:
        with build_lock():
            if opts.if_stale and fresh():
                return 0  # built meanwhile by the build this one waited for
            print(f"compiling the request path ({len(MODULES)} modules, about 45 s)…", file=sys.stderr)
            build = compile_build()
    except (BuildFailed, OSError, subprocess.SubprocessError) as exc:
        print(f"the request path runs as Python: {exc}", file=sys.stderr)
        return 1
    print(f"compiled {len(MODULES)} modules of the request path into {build.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
