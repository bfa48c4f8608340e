"""One attempt on the wire: the receiver's name looked up, every address it resolves to checked,
and the connection made to an address that was checked.

There is no second lookup between the check and the connection, so a name that answers a public
address to the check and 169.254.169.254 a moment later (DNS rebinding) reaches nothing: the
connection pool's network backend connects only to the addresses this attempt checked. Names are
looked up by the system resolver (`getaddrinfo`, what the HTTP stack would call) on threads of the
sender's own, one per attempt in flight at most: a receiver whose name never resolves holds its
workspace's slot until the lookup gives up, and never the threads of another workspace's lookups.
Redirects are not followed (a 3xx is a failed attempt), environment proxies are not used, and
at most 64 KiB of an answer are read.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import ipaddress
import socket
import typing
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import httpcore

from mock_server.webhooks.addresses import ReceiverPolicy, Target
from mock_server.webhooks.delivery import WebhookPolicy

MAX_ANSWER_BYTES = 65_536  # of an answer's body read (only the status matters)


@dataclass(frozen=True, slots=True)
class _Checked:
    host: str
    port: int
    addresses: tuple[str, ...]


# the addresses the attempt running in this task checked: the only ones its connection may use
_CHECKED: contextvars.ContextVar[_Checked | None] = contextvars.ContextVar("webhook_checked", default=None)


class CheckedAddressBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, connecting only to the addresses the current attempt checked."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        checked = _CHECKED.get()
        if checked is None or (checked.host, checked.port) != (host, port):
            raise httpcore.ConnectError(f"{host}:{port} was not checked before connecting")
        failure: Exception | None = None
        for address in checked.addresses:  # an address literal: anyio connects without a lookup
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        try:
            raise failure or httpcore.ConnectError(f"{host} has no address")
        finally:  # the exception's traceback holds this frame: no reference cycle through `failure`
            failure = None

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _resolve(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))


def _retrieve(lookup: asyncio.Future[list[str]]) -> None:
    if not lookup.cancelled():
        lookup.exception()


class Sender:
    """Makes attempts: lookups on its own threads, connections from one pool (close it after)."""

    def __init__(self, policy: WebhookPolicy) -> None:
        self.receivers = ReceiverPolicy(policy.allow_private)
        self._lookups = ThreadPoolExecutor(max_workers=policy.in_flight, thread_name_prefix="webhook-dns")
        self._pool = httpcore.AsyncConnectionPool(
            max_connections=policy.in_flight, keepalive_expiry=30.0, network_backend=CheckedAddressBackend()
        )

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self._pool.aclose()
        self._lookups.shutdown(wait=False, cancel_futures=True)

    async def post(self, url: str, headers: list[tuple[bytes, bytes]], body: bytes, deadline: float) -> int:
        """POST `body` to `url` within `deadline` seconds; the receiver's status. Raises
        ReceiverRefused (a refused address), TimeoutError (the deadline) or the transport's error."""
        target = self.receivers.target(url)
        lookup = self._lookup(target)
        try:
            async with asyncio.timeout(deadline):
                addresses = await asyncio.shield(lookup)
                for address in addresses:
                    self.receivers.check(ipaddress.ip_address(address), target.host)
                return await self._send(target, tuple(addresses), headers, body, deadline)
        finally:
            task = asyncio.current_task()
            if not lookup.done() and task is not None and not task.cancelling():
                # the deadline cut a lookup short; its thread is busy until the resolver gives up,
                # and the attempt (its workspace's slot) lasts as long
                await asyncio.wait({lookup})

    def _lookup(self, target: Target) -> asyncio.Future[list[str]]:
        loop = asyncio.get_running_loop()
        try:
            ipaddress.ip_address(target.host)  # an address as written: nothing to look up
        except ValueError:
            lookup = loop.run_in_executor(self._lookups, _resolve, target.host, target.port)
            lookup.add_done_callback(_retrieve)  # its failure may come after the attempt ended
            return lookup
        done: asyncio.Future[list[str]] = loop.create_future()
        done.set_result([target.host])
        return done

    async def _send(self, target: Target, addresses: tuple[str, ...], headers: list[tuple[bytes, bytes]],
                    body: bytes, deadline: float) -> int:
        url = httpcore.URL(scheme=target.scheme.encode(), host=target.host.encode(), port=target.port,
                           target=target.target)
        sent = [(b"Host", target.netloc), *headers]
        if target.username or target.password:  # as httpx sends a URL's user information
            pair = f"{target.username}:{target.password}".encode()
            sent.append((b"Authorization", b"Basic " + base64.b64encode(pair)))
        timeouts = {"connect": deadline, "read": deadline, "write": deadline, "pool": deadline}
        token = _CHECKED.set(_Checked(target.host, target.port, addresses))
        try:
            async with self._pool.stream(b"POST", url, headers=sent, content=body,
                                         extensions={"timeout": timeouts}) as response:
                read = 0
                async for chunk in response.aiter_stream():
                    read += len(chunk)
                    if read > MAX_ANSWER_BYTES:
                        break  # the rest is not read: the connection is closed, not reused
                return response.status
        finally:
            _CHECKED.reset(token)
