"""Which receivers a hosted sandbox may post to: no cloud metadata service, no link-local address,
and loopback or private networks only when the host allows them.

Hosts are read the way the delivering client reads them: the URL as httpx parses it (IDNA, lower
case), then the system resolver's own reading of a literal (`getaddrinfo` with AI_NUMERICHOST, no
lookup), which takes inet_aton's shorthand: `2852039166`, `0xa9fea9fe`, `0xa9.0xfe.0xa9.0xfe` and
`169.254.43518` are all 169.254.169.254, and `0` is 0.0.0.0. An IPv6 address is judged by the IPv4
address it carries too (mapped, compatible, NAT64, 6to4, Teredo). Names are judged here by the
metadata names only; what they resolve to is judged at delivery time (`sender.py`), address by
address.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from enum import IntEnum

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ReceiverRefused(ValueError):
    """A webhook URL the sandbox does not post to (why, in one sentence)."""


class Reach(IntEnum):
    """What an address reaches, from harmless to never allowed."""

    PUBLIC = 0
    PRIVATE = 1  # loopback, private, shared and other non-global networks: the host's own
    REFUSED = 2  # metadata services, link-local, unspecified, multicast, reserved


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# never posted to, whatever the flags; each with the reason the refusal gives
_REFUSED: tuple[tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], str], ...] = (
    (_nets("169.254.0.0/16", "fe80::/10"), "link-local (cloud metadata services live there)"),
    (_nets("fd00:ec2::254/128", "100.100.100.200/32", "192.0.0.192/32"), "a cloud metadata service"),
    (_nets("0.0.0.0/8", "::/128"), "unspecified (it reaches this machine)"),
    (_nets("224.0.0.0/4", "ff00::/8"), "multicast"),
    (_nets("240.0.0.0/4"), "reserved or broadcast"),
)
# private in every Python version (3.11's `is_global` calls deprecated site-local fec0::/10 global)
_PRIVATE = _nets("fec0::/10", "64:ff9b:1::/48")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # IPv4-translated (RFC 2765, SIIT)

# cloud metadata services by name (GCP, AWS, Tencent): refused, and every name under them
METADATA_NAMES = (
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
    "instance-data.ec2.internal", "metadata.tencentyun.com",
)


def reach(address: Address) -> tuple[Reach, str]:
    """What `address` reaches, and a few words saying why when it is not public: the worse of the
    address itself and of any IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return reach(address.ipv4_mapped)  # ::ffff:a.b.c.d is a.b.c.d on the wire
    verdicts = [_own_reach(address)]
    if isinstance(address, ipaddress.IPv6Address):
        verdicts += [reach(inner) for inner in _embedded_ipv4(address)]
    return max(verdicts, key=lambda verdict: verdict[0])


def _own_reach(address: Address) -> tuple[Reach, str]:
    for networks, reason in _REFUSED:
        if any(address in net for net in networks if net.version == address.version):
            return Reach.REFUSED, reason
    if address.is_loopback:
        return Reach.PRIVATE, "loopback"
    private = any(address in net for net in _PRIVATE if net.version == address.version)
    if private or not address.is_global:
        return Reach.PRIVATE, "a private network"
    return Reach.PUBLIC, "public"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (the one it reaches through a translator)."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    found: list[ipaddress.IPv4Address] = []
    if address in _NAT64 or address in _PRIVATE[1] or address in _TRANSLATED:
        found.append(low32)
    elif address in _COMPATIBLE and int(address) > 1:  # ::a.b.c.d (not :: nor ::1)
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def literal(host: str) -> Address | None:
    """The address a host names without any lookup, as the system resolver reads it (trailing
    dots and an IPv6 zone ignored: `169.254.169.254.` is 169.254.169.254); None for a name."""
    bare = host.split("%", 1)[0]  # an IPv6 zone (fe80::1%25eth0) does not change what is reached
    for candidate in dict.fromkeys((host, host.rstrip("."), bare)):
        if not candidate:
            continue
        try:
            found = socket.getaddrinfo(candidate, None, flags=socket.AI_NUMERICHOST)
        except (OSError, UnicodeError, ValueError):
            continue
        return ipaddress.ip_address(found[0][4][0])
    return None


def metadata_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return any(name == known or name.endswith("." + known) for known in METADATA_NAMES)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a delivery goes, as the delivering client reads its URL."""

    scheme: str
    host: str  # ASCII (IDNA-encoded), without the brackets of an IPv6 address
    port: int
    netloc: bytes  # the Host header
    target: bytes  # path and query
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class ReceiverPolicy:
    allow_private: bool = False

    def target(self, url: str) -> Target:
        """Parse `url` as the delivering client will; refuse what it cannot be sent to, and what
        its host names without a lookup (a literal address, a metadata service's name)."""
        try:
            parsed = httpx.URL(url)
            host = parsed.raw_host.decode("ascii")
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            raise ReceiverRefused(f"{url!r} is not a URL the sandbox can deliver to ({exc})") from None
        if parsed.scheme not in ("http", "https") or not host:
            raise ReceiverRefused(f"{url!r} is not an http:// or https:// URL with a host")
        if metadata_name(host):
            raise ReceiverRefused(f"webhooks are not sent to {host}: a cloud metadata service")
        address = literal(host)
        if address is not None:
            self.check(address, host)
        port = parsed.port if parsed.port is not None else 443 if parsed.scheme == "https" else 80
        if not 0 < port < 65536:
            raise ReceiverRefused(f"{url!r} has no valid port (1 to 65535)")
        return Target(parsed.scheme, host, port, parsed.netloc, parsed.raw_path, parsed.username,
                      parsed.password)

    def check(self, address: Address, host: str) -> None:
        """Refuse an address the host reaches (`host` as the URL spelled it, for the message)."""
        verdict, why = reach(address)
        named = str(address) if host == str(address) else f"{host} ({address})"
        if verdict is Reach.REFUSED:
            raise ReceiverRefused(f"webhooks are not sent to {named}: {why}")
        if verdict is Reach.PRIVATE and not self.allow_private:
            raise ReceiverRefused(
                f"webhooks are not sent to {named}: {why}; a sandbox that does not listen on loopback "
                "sends to such receivers only when started with --allow-private-webhooks"
            )
