"""Where an instance with `--ownership` tells the others to forward its workspaces' requests:
`--advertise-url`, else its own listening address (loopback when it listens on every address);
each `--workers` process listens on a loopback port of its own besides the shared one, and
advertises that (the shared port reaches whichever process the kernel picks)."""

from __future__ import annotations

import socket

from mock_server.cluster.registry import Registry


def address_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):  # every address: the others are reached on loopback
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"  # noqa: S104 - compared, not bound
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def advertise(registry: Registry | None, sock: socket.socket) -> None:
    """One process: its listening address, unless `--advertise-url` named one."""
    if registry is not None and not registry.url:
        registry.url = address_of(sock)


def worker_sockets(registry: Registry | None, shared: socket.socket) -> list[socket.socket]:
    """What one `--workers` process serves on (called in it, after the fork)."""
    if registry is None:
        return [shared]
    own = socket.create_server(("127.0.0.1", 0))
    registry.url = address_of(own)
    return [shared, own]
