"""The compiled request path (`mock_server/native.py`): used while its build matches the sources."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mock_server import native, native_build
from mock_server.native_build import build_lock


def fake_checkout(root: Path) -> native.Build:
    """A checkout whose every compiled module has a source (beside one that is not compiled), and a
    build compiled from them."""
    for module in native.MODULES:
        source = native.source_of(module, root)
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"# {module}\n")
    (root / "contracts").mkdir()
    (root / "contracts" / "spec.py").write_text("# interpreted\n")
    directory = native.build_dir(root)
    directory.mkdir(parents=True)
    files = {module: f"{module.replace('.', '/')}.so" for module in native.MODULES}
    for file in files.values():  # (not loaded by these tests)
        (directory / file).parent.mkdir(parents=True, exist_ok=True)
        (directory / file).write_bytes(b"")
    manifest = {"files": files, "sources": native.sources(root)}
    (directory / native.MANIFEST).write_text(json.dumps(manifest))
    build = native.Build.read(directory)
    assert build is not None
    return build


def test_a_build_is_used_only_while_every_source_is_the_one_it_was_compiled_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(native.SKIP_VARIABLE, raising=False)
    assert native.why_not_used(tmp_path) == "no build (python -m mock_server.native_build builds one)"
    fake_checkout(tmp_path)
    assert native.why_not_used(tmp_path) is None
    edited = native.source_of(native.MODULES[3], tmp_path)
    edited.write_text(edited.read_text() + "x = 1\n")
    shown = edited.relative_to(tmp_path).as_posix()
    assert native.why_not_used(tmp_path) == f"the build is older than {shown}: the sources run"
    edited.unlink()  # a module moved away: its build is stale too
    assert native.why_not_used(tmp_path) == f"the build is older than {shown}: the sources run"


def test_a_change_to_a_module_that_is_not_compiled_makes_the_build_stale_too(tmp_path: Path) -> None:
    """A compiled module may hold what the build read of another (a constant folded in)."""
    fake_checkout(tmp_path)
    (tmp_path / "contracts" / "spec.py").write_text("# changed\n")
    assert native.why_not_used(tmp_path) == "the build is older than contracts/spec.py: the sources run"
    (tmp_path / "contracts" / "spec.py").write_text("# interpreted\n")
    (tmp_path / "contracts" / "new.py").write_text("")  # one the build never read
    assert native.why_not_used(tmp_path) == "the build is older than contracts/new.py: the sources run"


def test_a_module_the_build_does_not_hold_makes_it_stale(tmp_path: Path) -> None:
    build = fake_checkout(tmp_path)
    manifest = json.loads((build.directory / native.MANIFEST).read_text())
    del manifest["files"][native.MODULES[0]]  # built before MODULES named it
    (build.directory / native.MANIFEST).write_text(json.dumps(manifest))
    assert native.MODULES[0] in (native.why_not_used(tmp_path) or "")


def test_the_variable_turns_a_fresh_build_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_checkout(tmp_path)
    monkeypatch.setenv(native.SKIP_VARIABLE, "0")
    assert native.why_not_used(tmp_path) == f"{native.SKIP_VARIABLE}=0: the sources run"
    assert native.install(tmp_path) is False


def test_an_unreadable_manifest_is_no_build(tmp_path: Path) -> None:
    directory = native.build_dir(tmp_path)
    directory.mkdir(parents=True)
    (directory / native.MANIFEST).write_text("{not json")
    assert native.Build.read(directory) is None


def test_the_finder_hands_out_the_build_s_extensions_and_nothing_else(tmp_path: Path) -> None:
    finder = native.BuildFinder(fake_checkout(tmp_path))
    spec = finder.find_spec(native.MODULES[0], None)
    assert spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
    assert spec.origin == str(native.build_dir(tmp_path) / f"{native.MODULES[0].replace('.', '/')}.so")
    assert finder.find_spec("mock_server.engine.router", None) is None  # interpreted: the path finds it


def served_modules(*, skip: bool) -> str:
    """What a new interpreter says of the request path once it imported the app."""
    code = ("import mock_server.app, mock_server.engine.pipeline as p; from mock_server import native; "
            "print(native.in_use(), p.__file__)")
    environment = {native.SKIP_VARIABLE: "0"} if skip else {}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **environment}, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(native.why_not_used() is not None, reason=f"this checkout: {native.why_not_used()}")
def test_this_checkout_s_build_is_what_the_app_runs_and_the_variable_turns_it_off() -> None:
    used = served_modules(skip=False)
    assert used.startswith("True ") and used.endswith(importlib.machinery.EXTENSION_SUFFIXES[0]), used
    unused = served_modules(skip=True)
    assert unused.startswith("False ") and unused.endswith("pipeline.py"), unused


def test_check_says_whether_the_build_is_used() -> None:
    done = subprocess.run([sys.executable, "-m", "mock_server.native_build", "--check"],
                          capture_output=True, text=True, timeout=120)
    reason = native.why_not_used()
    assert done.returncode == (0 if reason is None else 1)
    assert done.stdout.strip() == (reason or f"the request path runs compiled ({native.build_dir()})")


def test_a_file_that_is_no_module_or_cannot_be_read_neither_breaks_the_import_nor_stales_the_build(
    tmp_path: Path,
) -> None:
    """An editor's lock file (`.#name.py`, a dangling link) beside the sources while a buffer is
    modified: `import mock_server` still works, and the build is still used."""
    fake_checkout(tmp_path)
    services = native.source_of(native.MODULES[0], tmp_path).parent
    (services / ".#front.py").symlink_to("user@host.1234:1700000000")
    (services / "gone.py").symlink_to(tmp_path / "nowhere.py")  # a dangling link with a module's name
    assert native.why_not_used(tmp_path) is None


def test_a_build_missing_one_of_its_files_is_not_used(tmp_path: Path) -> None:
    build = fake_checkout(tmp_path)
    assert native.why_not_used(tmp_path) is None
    lost = build.files[native.MODULES[1]]
    (build.directory / lost).unlink()
    assert native.why_not_used(tmp_path) == f"the build is older than {lost}: the sources run"
    assert native.install(tmp_path) is False


def test_with_the_variable_at_0_nothing_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    def compile_build(root: Path = native.ROOT) -> native.Build:
        raise AssertionError("built")

    monkeypatch.setattr(native_build, "compile_build", compile_build)
    monkeypatch.setenv(native.SKIP_VARIABLE, "0")
    assert native_build.main(["--if-stale"]) == 0
    assert native_build.main([]) == 1


def test_one_build_at_a_time(tmp_path: Path) -> None:
    order: list[str] = []

    def second() -> None:
        with build_lock(tmp_path):
            order.append("second")

    with build_lock(tmp_path):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.2)  # the second has tried the lock by now (it waits until the first lets go)
        order.append("first done")
    waiting.join(10)
    assert order == ["first done", "second"]


def test_a_fresh_build_is_left_alone_where_nothing_could_build_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def compile_build(root: Path = native.ROOT) -> native.Build:
        raise AssertionError("built")

    monkeypatch.delenv(native.SKIP_VARIABLE, raising=False)
    monkeypatch.setattr(native_build, "compile_build", compile_build)
    monkeypatch.setattr(native_build, "fresh", lambda root=native.ROOT: True)
    monkeypatch.setattr(native_build.shutil, "which", lambda name: None)  # no C compiler
    assert native_build.main(["--if-stale"]) == 0
    assert native_build.main([]) == 1  # asked to build: it cannot
