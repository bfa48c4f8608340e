"""What the two command lines share: the version they print, how they read a port, the socket they
listen on.

`batchcalls-contract` (the kit) and `batchcalls-mock` (the sandbox) both use it. It lives in the
kit because the sandbox may import the kit and the kit never imports the sandbox; it imports the
standard library only.
"""

from __future__ import annotations

import argparse
import socket
from importlib import metadata

from contracts import __version__

DISTRIBUTION = "batchcalls-sandbox"  # pyproject.toml's name: both commands ship in it


def version() -> str:
    """The installed distribution's version (pyproject.toml), the package's own when run uninstalled."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return __version__


def add_version_flag(parser: argparse.ArgumentParser) -> None:
    """`--version`: prints `PROG VERSION` and exits 0."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")


def port(value: str) -> int:
    """A TCP port to listen on: digits only, 0 to 65535 (0: any free port)."""
    if not value.isascii() or not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number (0 to 65535)")
    return int(value)


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (IPv6 when the host holds a colon), for uvicorn to serve on.
    Raises OSError when the address cannot be taken."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


BACKLOG = 2048  # uvicorn's own, which it sets again when it starts serving on the socket


def listen(sock: socket.socket) -> None:
    """Listen on `sock` before a command says it does: until uvicorn accepts, connections wait in the
    backlog, and none is refused (a client connecting as soon as it reads the address)."""
    sock.listen(BACKLOG)
