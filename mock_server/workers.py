"""`serve --workers N`: N processes of the sandbox on one listening socket, kept at N.

The parent binds the socket and forks; the kernel spreads connections over the children. A child
that dies (kill -9, a crash) is replaced, so the pool serves on; SIGTERM or SIGINT stops them all.
Only with a shared store: processes share nothing else, and PostgreSQL makes them one sandbox.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

RESPAWN_PAUSE_SECONDS = 0.5  # a child that dies at once is not restarted in a tight loop
_STOPS = {signal.SIGTERM, signal.SIGINT}


def run(count: int, serve: Callable[[], None]) -> int:
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        # a stop that comes during the fork waits until the child is known (and its own handling
        # is the default), else the parent would wait for a child it never told to stop
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        try:
            pid = os.fork()
            if pid == 0:  # the child: the default signal handling, then the server until it stops
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
                code = 0
                try:
                    serve()
                except BaseException:  # noqa: BLE001 - a child reports by its exit status
                    code = 1
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            children.add(pid)
            if stopping:  # a stop handled between the last look and the fork
                os.kill(pid, signal.SIGTERM)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(count):
        spawn()
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            print(f"worker {pid} ended ({_ending(status)}); starting another", file=sys.stderr, flush=True)
            time.sleep(RESPAWN_PAUSE_SECONDS)
            if not stopping:
                spawn()
    return 0


def _ending(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
