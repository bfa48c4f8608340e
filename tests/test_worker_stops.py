"""`serve --workers N` (mock_server/workers.py): a stop that comes while a dead worker is being
replaced stops the replacement too, wherever around the fork it lands (the parent does not wait
for a child it never told to stop). The parent runs in a subprocess, its children sleep."""

from __future__ import annotations

import subprocess
import sys

import pytest

PARENT = """
import os, signal, sys, time
from mock_server import workers

real_fork, forks = os.fork, []
def fork():
    forks.append(1)
    if len(forks) == 3:  # the replacement: the stop lands {where}
        {before}
    pid = real_fork()
    if pid and len(forks) == 3:
        {after}
    return pid
os.fork = fork

def serve():
    if len(forks) == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # the first worker dies at once: it is replaced
    time.sleep(60)

workers.RESPAWN_PAUSE_SECONDS = 0
sys.exit(workers.run(2, serve))
"""


@pytest.mark.parametrize(("where", "before", "after"), [
    ("just before the fork", "os.kill(os.getpid(), signal.SIGTERM)", "pass"),
    ("just after the fork, in the parent", "pass", "os.kill(os.getpid(), signal.SIGTERM)"),
])
def test_a_stop_during_a_replacement_stops_every_worker(where: str, before: str, after: str) -> None:
    script = PARENT.format(where=where, before=before, after=after)
    ended = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert ended.returncode == 0, ended.stderr
