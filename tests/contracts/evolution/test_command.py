"""`batchcalls-contract diff`: its outputs (console, Markdown, JSON, JUnit XML, GitHub annotations),
its gate (--fail-on), report files, and documents fetched over HTTP (relative refs too)."""

from __future__ import annotations

import functools
import json
import re
import shlex
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonpatch
import pytest
from diff.documents import body_operation, document, save

from contracts.cli import main

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "openapi.json"
BREAKING = [
    {"op": "add", "path": "/components/schemas/BatchCallCreateRequest/required/-", "value": "timezone"}
]
POTENTIAL = [{"op": "replace", "path": "/paths/~1agents/get/operationId", "value": "get_agents"}]
COMPATIBLE = [{"op": "add", "path": "/paths/~1agents/get/deprecated", "value": True}]


def patched(tmp_path: Path, name: str, *patches: list[dict[str, object]]) -> Path:
    value = json.loads(SPEC.read_text())
    for patch in patches:
        value = jsonpatch.apply_patch(value, patch)
    path = tmp_path / name
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["diff", *args])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, captured.out


def test_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    potential = str(patched(tmp_path, "p.json", POTENTIAL, COMPATIBLE))
    assert run(capsys, str(SPEC), potential)[0] == 0
    assert run(capsys, str(SPEC), potential, "--fail-on", "potentially-breaking")[0] == 1
    assert (
        run(
            capsys,
            str(SPEC),
            str(patched(tmp_path, "c.json", COMPATIBLE)),
            "--fail-on",
            "potentially-breaking",
        )[0]
        == 0
    )
    assert run(capsys, str(SPEC), str(patched(tmp_path, "b.json", BREAKING)))[0] == 1


def test_console(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = patched(tmp_path, "new.json", BREAKING, POTENTIAL, COMPATIBLE)
    code, out = run(capsys, str(SPEC), str(new))
    assert code == 1
    assert out.splitlines()[0] == (
        f"{SPEC} → {new}: 1 breaking, 1 potentially breaking, 1 compatible change(s); verdict: breaking"
    )
    assert (
        "BREAKING (1)\n  POST /batch-calls\n    request-property-became-required: `timezone` in the request "
        "body became required\n      OLD #/components/schemas/BatchCallCreateRequest/required" in out
    )
    assert out.index("BREAKING") < out.index("POTENTIALLY BREAKING") < out.index("COMPATIBLE (1)")
    assert out.endswith("fails the gate (--fail-on breaking: breaking): exit 1\n")


def test_json_junit_markdown_and_their_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = str(patched(tmp_path, "new.json", BREAKING, POTENTIAL))
    reports = tmp_path / "reports"
    code, out = run(
        capsys,
        str(SPEC),
        new,
        "--format",
        "json",
        "--report",
        str(reports / "diff.md"),
        "--junit-xml",
        str(reports / "diff.xml"),
        "--json",
        str(reports / "diff.json"),
    )
    assert code == 1
    report = json.loads(out)
    assert json.loads((reports / "diff.json").read_text()) == report
    assert (report["verdict"], report["exit_code"], report["fail_on"]) == ("breaking", 1, "breaking")
    assert report["counts"] == {"breaking": 1, "potentially-breaking": 1, "compatible": 0}
    assert report["changes"][0] == {
        "rule": "request-property-became-required",
        "level": "breaking",
        "operation": "POST /batch-calls",
        "message": "`timezone` in the request body became required",
        "old": "#/components/schemas/BatchCallCreateRequest/required",
        "new": "#/components/schemas/BatchCallCreateRequest/required",
    }
    suite = ET.parse(reports / "diff.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failures = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failures == ["request-property-became-required: `timezone` in the request body became required"]
    markdown = (reports / "diff.md").read_text()
    assert "**Verdict: breaking** (exit 1, `--fail-on breaking`)" in markdown
    assert "| `POST /batch-calls` | `request-property-became-required` |" in markdown


def test_junit_without_changes_has_one_passing_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(SPEC), str(SPEC), "--format", "junit")
    suite = ET.fromstring(out).find("testsuite")
    assert code == 0 and suite is not None and [c.get("name") for c in suite] == ["no changes"]


def test_github_annotations_point_at_lines_of_new(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = patched(tmp_path, "new.json", BREAKING, POTENTIAL, COMPATIBLE)
    code, out = run(capsys, str(SPEC), str(new), "--format", "github")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 4
    text = new.read_text().splitlines()
    error = lines[0]
    assert error.startswith(f"::error file={new},line=")
    line = int(error.split("line=", 1)[1].split(",", 1)[0])
    assert text[line - 1].strip() == '"required": ['  # BatchCallCreateRequest's required list
    assert "title=request-property-became-required (breaking)::POST /batch-calls: `timezone`" in error
    assert (
        lines[1].startswith("::warning ") and "title=operation-id-changed (potentially breaking)" in lines[1]
    )
    assert lines[2].startswith("::notice ") and "operation-deprecated" in lines[2]
    strict = run(capsys, str(SPEC), str(new), "--format", "github", "--fail-on", "potentially-breaking")[1]
    assert strict.splitlines()[1].startswith("::error ")


def test_github_escapes_what_github_would_read_as_syntax(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = save(
        tmp_path / "old.json",
        document(
            paths=body_operation(
                request={"type": "object", "properties": {"a": {"type": "string", "pattern": "^x"}}}
            )
        ),
    )
    new = save(
        tmp_path / "new.json",
        document(
            paths=body_operation(
                request={"type": "object", "properties": {"a": {"type": "string", "pattern": "^%0A,y:"}}}
            )
        ),
    )
    out = run(capsys, str(old), str(new), "--format", "github")[1]
    assert '"^%250A,y:"' in out.splitlines()[0]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture()
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A loopback HTTP server of a directory (port chosen by the OS)."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_documents_by_url_with_relative_refs_of_the_same_origin(
    http_root: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, base = http_root
    for side, limit in (("old", 10), ("new", 5)):
        (root / side).mkdir()
        save(
            root / side / "schemas.yaml",
            {"Pet": {"type": "object", "properties": {"name": {"type": "string", "maxLength": limit}}}},
        )
        save(root / side / "api.yaml", document(paths=body_operation(request={"$ref": "schemas.yaml#/Pet"})))
    code, out = run(capsys, f"{base}/old/api.yaml", f"{base}/new/api.yaml", "--format", "github")
    assert code == 1
    assert out.splitlines()[0] == (
        "::error title=request-max-length-narrowed (breaking)::POST /things: `name` in the request body: "
        "maxLength 10 → maxLength 5"
    )


def test_a_remote_document_may_not_reach_outside_its_origin(
    http_root: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, base = http_root
    save(
        root / "api.json",
        document(paths=body_operation(request={"$ref": f"{(ROOT / 'openapi.json').as_uri()}#/x"})),
    )
    assert main(["diff", f"{base}/api.json", str(SPEC)]) == 2
    assert "may refer only to its own origin" in capsys.readouterr().err
    assert main(["diff", f"{base}/absent.json", str(SPEC)]) == 2
    assert (
        capsys.readouterr().err
        == f"batchcalls-contract: GET {base}/absent.json answered 404, not the document\n"
    )


def test_the_documented_command_lines_are_valid() -> None:
    """Every `batchcalls-contract diff …` line of the README and docs/spec-diff.md parses."""
    from contracts.cli import parser

    lines = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "spec-diff.md"):
        for block in re.findall(r"```bash\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S):
            lines += [
                line.split("#", 1)[0]
                for line in block.splitlines()
                if line.startswith("batchcalls-contract diff")
            ]
    assert len(lines) >= 6
    for line in lines:
        args = parser().parse_args(shlex.split(line)[1:])
        assert args.command == "diff" and args.old and args.new
