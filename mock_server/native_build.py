"""Builds the compiled request path (`mock_server/native.py`): mypyc, then a C compiler.

    python -m mock_server.native_build             # build
    python -m mock_server.native_build --if-stale  # build unless the build in use matches the sources
    python -m mock_server.native_build --check     # say whether the build is used, and why not

A build that fails (no C compiler, no mypyc) says so in one line and exits 1: the sources run.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mock_server.native import (
    MANIFEST,
    MODULES,
    PACKAGES,
    ROOT,
    Build,
    build_dir,
    source_of,
    sources,
    why_not_used,
)

# mypy's settings for the build (the project's strict ones are checked by `mypy` itself; here only
# what the compiled code needs: the types it can find)
MYPY_INI = "[mypy]\nignore_missing_imports = True\n"


def compile_build(root: Path = ROOT) -> Build:
    """Compile MODULES with mypyc into `build_dir(root)` (replacing what was there), from a copy of
    the packages: the digests are those of the very files compiled."""
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
        staging = target.with_name(target.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        for file in files.values():
            (staging / file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / file, staging / file)
        (staging / MANIFEST).write_text(json.dumps({"files": files, "sources": compiled_from}, indent=1))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    build = Build.read(target)
    assert build is not None
    return build


class BuildFailed(Exception):
    """mypyc or the C compiler failed: the sources run."""


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(prog="python -m mock_server.native_build", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--check", action="store_true", help="say whether the build is used; build nothing")
    args.add_argument("--if-stale", action="store_true", help="build only when the build is not used")
    opts = args.parse_args(argv)
    reason = why_not_used()
    if opts.check:
        print(reason or f"the request path runs compiled ({build_dir()})")
        return 0 if reason is None else 1
    if opts.if_stale and reason is None:
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
        build = compile_build()
    except (BuildFailed, OSError, subprocess.SubprocessError) as exc:
        print(f"the request path runs as Python: {exc}", file=sys.stderr)
        return 1
    print(f"compiled {len(MODULES)} modules of the request path into {build.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
