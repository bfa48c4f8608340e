"""`batchcalls-contract diff` and a peer tool on the corpus of spec pairs (tests/diff/corpus.yaml),
in one run: each pair's expected verdict, ours, the peer's, and how often each is right.

    python benchmarks/diff_peer.py [--only ID ...]

Peers, installed from npm into .cache/peers/ (never committed): Optic (`@useoptic/optic`, whose
`diff OLD NEW --check` exits 1 on a breaking change) and pb33f's openapi-changes, whose npm package
downloads a Go binary from GitHub when installed (no network here: reported as not installable).
Optic's own dependencies resolve to two ajv versions that do not work together; the install pins
ajv 8.17.1 (an npm `overrides` entry), after which it runs offline.
Verdicts compared on what both tools decide: breaking (exit 1) or not (exit 0). A peer that
exits otherwise, or prints an error, could not read the pair.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py is named like the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from diff.spec_pairs import Pair, pairs  # noqa: E402

from contracts.cli import main  # noqa: E402

PEERS = ROOT / ".cache" / "peers"
OPTIC = {"private": True, "dependencies": {"@useoptic/optic": "1.0.9"}, "overrides": {"ajv": "8.17.1"}}


def install(name: str, manifest: dict[str, object], binary: str) -> Path | None:
    """The peer's executable, installed with npm on first use; None when it cannot be installed."""
    folder = PEERS / name
    executable = folder / "node_modules" / ".bin" / binary
    if executable.exists():
        return executable
    if shutil.which("npm") is None:
        print(f"{name}: npm not found")
        return None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 or not executable.exists():
        reason = next(
            (line for line in done.stderr.splitlines() if "fetch" in line.lower() or "ENOTFOUND" in line),
            done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no executable",
        )
        print(f"{name}: could not be installed ({reason.strip()[:160]})")
        return None
    return executable


def ours(old: Path, new: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["diff", str(old), str(new), "--format", "json"])
    if code == 2:
        return "unreadable"
    return json.loads(out.getvalue())["verdict"].replace(" ", "-")


def optic(executable: Path, old: Path, new: Path) -> str:
    try:
        done = subprocess.run(
            [str(executable), "diff", str(old), str(new), "--check"],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "OPTIC_TELEMETRY_LEVEL": "off"},
        )
    except subprocess.TimeoutExpired:
        return "unreadable"
    if done.returncode not in (0, 1) or "Error" in done.stderr:
        return "unreadable"
    return "breaking" if done.returncode == 1 else "not-breaking"


def breaking(verdict: str) -> str:
    return verdict if verdict in ("breaking", "unreadable") else "not-breaking"


def compare(selected: list[Pair], executable: Path | None) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for pair in selected:
            old, new = pair.write(Path(folder))
            started = time.perf_counter()
            mine = ours(old, new)
            mine_s = time.perf_counter() - started
            started = time.perf_counter()
            peer = optic(executable, old, new) if executable else "not-run"
            peer_s = time.perf_counter() - started
            rows.append((pair, mine, peer))
            print(
                f"{pair.id:42} expected {pair.verdict:21} ours {mine:21} ({mine_s * 1000:4.0f} ms)  "
                f"optic {peer:12} ({peer_s:4.1f} s)",
                flush=True,
            )
    total = len(rows)
    exact = sum(1 for p, mine, _ in rows if mine == p.verdict)
    ours_binary = sum(1 for p, mine, _ in rows if breaking(mine) == breaking(p.verdict))
    print(f"\nours: {exact}/{total} verdicts exact (3 levels); {ours_binary}/{total} breaking-or-not right")
    if executable is None:
        return
    readable = [(p, m, o) for p, m, o in rows if o != "unreadable"]
    peer_right = sum(1 for p, _, o in readable if o == breaking(p.verdict))
    agree = sum(1 for _, m, o in readable if breaking(m) == o)
    missed = [p.id for p, _, o in readable if p.verdict == "breaking" and o != "breaking"]
    false = [p.id for p, _, o in readable if p.verdict != "breaking" and o == "breaking"]
    print(f"optic: read {len(readable)}/{total}; breaking-or-not right on {peer_right}/{len(readable)}")
    print(f"  breaking pairs it passed: {len(missed)} {missed}")
    print(f"  pairs it called breaking that are not: {len(false)} {false}")
    print(f"agreement (breaking or not) on the pairs both read: {agree}/{len(readable)}")


def run() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=[], metavar="ID", help="only these pairs")
    args = parser.parse_args()
    selected = [p for p in pairs() if not args.only or p.id in args.only]
    install(
        "pb33f", {"private": True, "dependencies": {"@pb33f/openapi-changes": "0.0.67"}}, "openapi-changes"
    )
    executable = install("optic", OPTIC, "optic")
    compare(selected, executable)


if __name__ == "__main__":
    run()
