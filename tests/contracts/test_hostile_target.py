"""The kit against a hostile target (hostile_target.py): whatever the target answers is a finding or a
documented bound, the run ends, and every report is written, well-formed and safe to read.

The kit runs as a user runs it: `batchcalls-contract run` (its `main`, or a subprocess where its
memory is measured) against the target on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import hostile_target as hostile
import pytest

from contracts.cli import main
from contracts.inprocess import serve

KEY = hostile.KEY


def kit(capsys: pytest.CaptureFixture[str], origin: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """`batchcalls-contract run` with every report; exit code, stdout, stderr."""
    reports = ["--report", str(tmp_path / "r.md"), "--junit-xml", str(tmp_path / "r.xml")]
    reports += ["--html", str(tmp_path / "r.html")]
    code = main(["run", "--base-url", origin, "--api-key", KEY, "--seed", "1", *reports, *args])
    out, err = capsys.readouterr()
    return code, out, err


def junit(tmp_path: Path) -> dict[str, ET.Element]:
    """The JUnit report, parsed by a real XML parser: testcase elements by classname.name."""
    root = ET.parse(tmp_path / "r.xml").getroot()
    return {f"{case.get('classname')}.{case.get('name')}": case for case in root.iter("testcase")}


@pytest.mark.parametrize("which", sorted(hostile.HOSTILE_IDS))
def test_a_hostile_batch_id_is_a_finding_and_the_reports_are_written(
    which: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with serve(hostile.with_batch_id(hostile.sandbox(), hostile.HOSTILE_IDS[which])) as origin:
        code, out, err = kit(capsys, origin, tmp_path, "--suite", "rules", "--quiet")
    assert code == 1, out + err
    assert "internal error" not in out + err and "Traceback" not in out + err
    cases = junit(tmp_path)
    failure = cases["rules.create.created"].find("failure")
    assert failure is not None  # the created batch cannot be read back under the id it was given
    assert not [name for name, case in cases.items() if case.find("error") is not None], "no rule crashed"
    assert (tmp_path / "r.md").exists() and (tmp_path / "r.html").exists()


def test_hostile_text_leaves_every_report_well_formed_and_inert(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every C0 control, lone surrogates, `]]>`, terminal escapes, Markdown and HTML in the target's
    answers: the console, JUnit (parsed), Markdown (rendered as GitHub does) and HTML carry none of
    them as they are; nothing the target wrote becomes a link, an image, a heading, a table row or
    script."""
    schema_too = ("--suite", "rules", "--suite", "schema", "--include-operation", "get_batch_call")
    with serve(hostile.with_hostile_text(hostile.sandbox())) as origin:
        code, out, err = kit(capsys, origin, tmp_path, *schema_too, "--max-examples", "2")
    assert code == 1, out + err
    texts = {name: (tmp_path / name).read_text(encoding="utf-8") for name in ("r.md", "r.xml", "r.html")}
    texts["console"] = out + err
    for name, text in texts.items():
        assert not [hex(ord(c)) for c in hostile.FORBIDDEN if c in text], name
    assert "\\x1b[31mRED" in texts["r.md"]  # the escape sequence is shown, not obeyed
    assert "\nFAILED  probe/forged" not in texts["console"]  # the target forges no line
    junit(tmp_path)  # well-formed
    assert_inert_markdown(texts["r.md"])
    assert_inert_html(texts["r.html"])


def assert_inert_markdown(text: str) -> None:
    import cmarkgfm  # noqa: PLC0415 - GitHub's own Markdown renderer, a test dependency
    from cmarkgfm.cmark import Options  # noqa: PLC0415

    page = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    for made in ("<a ", "<img", "<script", "<h1>heading", "<td>cell", "<td>break"):
        assert made not in page, made
    # the summary, the coverage when the run has one (the spec's words) and "every requirement",
    # nothing split off them
    assert page.count("<table>") == (3 if "<h2>Coverage</h2>" in page else 2)


def assert_inert_html(page: str) -> None:
    from html.parser import HTMLParser  # noqa: PLC0415

    class Elements(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append((tag, attrs))

    parsed = Elements()
    parsed.feed(page)
    tags = [tag for tag, _ in parsed.tags]
    assert tags.count("script") == 1 and "img" not in tags and "a" not in tags
    assert not [attrs for _, attrs in parsed.tags if any(name.startswith("on") for name, _ in attrs)]


# `batchcalls-contract run` in a process that writes its own peak memory (VmHWM: the high-water mark
# of the memory it mapped after exec) when it ends. ru_maxrss would not do: Linux carries the peak of
# the process it was forked from (here a pytest worker, itself hundreds of MiB) over the exec.
_MEASURED_KIT = """
import runpy, sys
peak_file = sys.argv.pop()
sys.argv[0] = "batchcalls-contract"
try:
    runpy.run_module("contracts", run_name="__main__")
finally:
    status = open("/proc/self/status").read()
    peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    open(peak_file, "w").write(peak)
"""


def run_cli(origin: str, tmp_path: Path, *args: str) -> tuple[int, str, int]:
    """`batchcalls-contract run` in a process of its own: exit code, output, peak memory in bytes."""
    command = [sys.executable, "-c", _MEASURED_KIT, "run", "--base-url", origin, "--api-key", KEY, "--quiet"]
    command += ["--report", str(tmp_path / "r.md"), "--junit-xml", str(tmp_path / "r.xml"), *args]
    peak_file = tmp_path / "peak_kib"
    output = tmp_path / "output.txt"
    with output.open("w") as sink:
        process = subprocess.Popen([*command, str(peak_file)], stdout=sink, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=600)  # a hang ends here, not in CI's budget
        finally:
            process.kill()
    return process.returncode, output.read_text(), int(peak_file.read_text()) * 1024


def test_a_gigabyte_answer_is_read_up_to_the_bound_only(tmp_path: Path) -> None:
    """1 GiB answers to every request but the probe, in the rules suite and in Schemathesis' (its
    checks and probes send requests of their own): each is cut at 8 MiB and is a finding."""
    suites = ("--suite", "rules", "--suite", "schema", "--include-operation", "list_batch_calls")
    with serve(hostile.answering(hostile.sandbox(), hostile.gigabyte)) as origin:
        code, out, peak = run_cli(origin, tmp_path, *suites, "--max-examples", "1")
    assert code == 1, out
    cases = junit(tmp_path)
    for case in ("rules.response.complete_answer", "schema.list_batch_calls.complete_answer"):
        failure = cases[case].find("failure")
        assert failure is not None and "larger than 8388608 bytes" in str(failure.text), case
    assert peak < 300 * 2**20, f"the kit's memory peaked at {peak // 2**20} MiB"


def test_an_endless_stream_is_cut_at_the_bound(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serve(hostile.answering(hostile.sandbox(), hostile.endless)) as origin:
        code, out, err = kit(capsys, origin, tmp_path, "--suite", "rules", "--quiet")
    assert code == 1, out + err
    failure = junit(tmp_path)["rules.response.complete_answer"].find("failure")
    assert failure is not None and "larger than 8388608 bytes" in str(failure.text)


def test_a_stream_too_slow_to_end_is_cut_at_the_timeout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A byte every 50 ms, for ever, to every pause: each pause answer ends at --timeout."""
    with serve(hostile.answering(hostile.sandbox(), hostile.trickle, ending="/pause")) as origin:
        code, out, err = kit(capsys, origin, tmp_path, "--suite", "rules", "--quiet", "--timeout", "0.5")
    assert code == 1, out + err
    failure = junit(tmp_path)["rules.response.complete_answer"].find("failure")
    assert failure is not None and "did not end within 0.5 s" in str(failure.text)
    assert junit(tmp_path)["rules.invalid_state.pause_from_draft"].find("failure") is not None


def test_a_target_that_stops_answering_ends_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Requests accepted and never answered: three rules in a row time out, the rest are not run, and
    the reports say the run is incomplete."""
    with serve(hostile.answering(hostile.sandbox(), hostile.silent)) as origin:
        code, out, err = kit(capsys, origin, tmp_path, "--suite", "rules", "--quiet", "--timeout", "0.5")
    assert code == 2, out + err
    errors = [case.find("error") for case in junit(tmp_path).values()]
    messages = [str(error.get("message")) for error in errors if error is not None]
    assert sum("did not answer within 0.5 s" in m for m in messages) == 3
    assert all("did not answer within" in m or "did not answer 3 rules in a row" in m for m in messages)
    assert "INCOMPLETE" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_a_target_silent_from_the_start_still_gets_its_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with serve(hostile.answering(hostile.sandbox(), hostile.silent, probe_too=True)) as origin:
        code, out, err = kit(capsys, origin, tmp_path, "--suite", "rules", "--quiet", "--timeout", "0.5")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "did not answer within 0.5 s" in err
    kit_errors = junit(tmp_path)
    assert [case.find("error") is not None for case in kit_errors.values()] == [True]
    assert "## Kit errors (the run is incomplete)" in (tmp_path / "r.md").read_text(encoding="utf-8")
