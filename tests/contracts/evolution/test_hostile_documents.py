"""A document `diff` cannot compare is one sentence on stderr and exit 2, within bounded time and
memory: a $ref loop, 10 MB, not JSON nor YAML, a YAML alias bomb, deep nesting, a URL that never
answers, and the rest of the bounds documented in docs/spec-diff.md. Run as a user runs it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "openapi.json"


def diff(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contracts", "diff", *args], capture_output=True, text=True, timeout=timeout
    )


def refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2 and one sentence on stderr naming what went wrong, nothing on stdout."""
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("batchcalls-contract: "), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def minimal(**extra: object) -> dict[str, object]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, **extra}


def write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def test_a_ref_loop(tmp_path: Path) -> None:
    loop = minimal(
        paths={
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}},
                        }
                    }
                }
            }
        },
        components={
            "schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}
        },
    )
    line = refused(
        diff(str(SPEC), str(write(tmp_path / "loop.json", loop))), "$ref loop", "#/components/schemas/A"
    )
    assert "loop.json" in line


def test_a_ref_to_nothing_and_a_ref_to_a_missing_file(tmp_path: Path) -> None:
    dangling = minimal(
        paths={
            "/a": {
                "get": {
                    "parameters": [{"$ref": "#/components/parameters/Nope"}],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    )
    refused(diff(str(write(tmp_path / "d.json", dangling)), str(SPEC)), "#/components/parameters/Nope")
    missing = minimal(paths={"/a": {"$ref": "paths.yaml#/a"}})
    refused(diff(str(write(tmp_path / "m.json", missing)), str(SPEC)), "paths.yaml")


def test_ten_megabytes(tmp_path: Path) -> None:
    big = minimal(info={"title": "t", "version": "1", "description": "x" * 10_000_000})
    started = time.monotonic()
    refused(diff(str(SPEC), str(write(tmp_path / "big.json", big))), "larger than 8 MiB", "--max-size")
    assert time.monotonic() - started < 30


def test_not_json_nor_yaml_and_not_openapi(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{ this: is: [ not json", encoding="utf-8")
    refused(diff(str(SPEC), str(garbage)), "neither JSON", "nor YAML")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    refused(diff(str(SPEC), str(binary)), "not UTF-8")
    text = tmp_path / "text.yaml"
    text.write_text("just a sentence\n", encoding="utf-8")
    refused(diff(str(SPEC), str(text)), "not an OpenAPI document")
    swagger = write(tmp_path / "swagger.json", {"swagger": "2.0", "paths": {}})
    refused(diff(str(swagger), str(SPEC)), "Swagger 2.0")
    refused(diff(str(SPEC), str(tmp_path / "absent.json")), "cannot read")
    refused(diff(str(SPEC), str(tmp_path)), "directory")


def test_a_yaml_alias_bomb_is_refused_before_it_is_built(tmp_path: Path) -> None:
    lines = [
        "openapi: 3.1.0",
        "info: {title: t, version: '1'}",
        "paths: {}",
        'a0: &a0 ["lol","lol","lol","lol"]',
    ]
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    refused(diff(str(SPEC), str(bomb)), "expands to more than", "aliases")
    assert time.monotonic() - started < 30


def test_an_alias_that_contains_itself(tmp_path: Path) -> None:
    selfish = tmp_path / "self.yaml"
    selfish.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\nx: &x [*x]\n", encoding="utf-8"
    )
    refused(diff(str(SPEC), str(selfish)), "alias")


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_deep_nesting(tmp_path: Path, suffix: str) -> None:
    deep = tmp_path / f"deep.{suffix}"
    deep.write_text('{"openapi": "3.1.0", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    refused(diff(str(SPEC), str(deep)), "nested deeper than 256 levels")


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/openapi.json"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


def test_a_url_that_never_answers(silent_server: str) -> None:
    started = time.monotonic()
    refused(diff(str(SPEC), silent_server, "--timeout", "1"), "did not arrive within 1 s", "--timeout")
    assert time.monotonic() - started < 20


def test_a_url_that_answers_an_error_or_nothing_listens() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    refused(diff(str(SPEC), f"http://127.0.0.1:{port}/openapi.json", "--timeout", "2"), "cannot fetch")
