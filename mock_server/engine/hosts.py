"""Which `Host` a sandbox answers, and whether an `Origin` is the sandbox's own: values in, values out.

DNS rebinding: a page of `evil.example` makes its own name resolve to 127.0.0.1, and then reads the
sandbox as a same-origin page would. Its requests still say `Host: evil.example`, so a sandbox
answers only the names it is reached by: loopback's (`localhost`, `127.0.0.0/8`, `::1`, any port),
the names of `--allowed-host`, and, when it listens beyond loopback, IP addresses (a page can
rebind a name, never an address literal). Host values are parsed as HTTP/1.1 reads them: a name or
an IPv4 address with an optional port, or a bracketed IPv6 address with an optional port.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_PORT = re.compile(r"[0-9]{1,5}")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Verdicts remembered per Host value: parsing one (ipaddress) was a sixth of a GET's CPU over HTTP.
# Bounded: the longest host is 253 characters and a port; past 256 values remembered, start again.
REMEMBERED_HOSTS = 256
REMEMBERED_LENGTH = 300


def is_host_name(name: str) -> bool:
    """A DNS name (lower case, no trailing dot) or an IP address literal (IPv6 without brackets)."""
    if _address(name) is not None:
        return True
    labels = name.split(".")
    return 0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def parse_host(value: str) -> tuple[str, int | None] | None:
    """`Host` as (name or address, port): lower case, without the brackets of IPv6 or a final dot;
    None when it is not a host at all."""
    value = value.strip().lower()
    if value.startswith("["):  # [IPv6] or [IPv6]:port
        host, bracket, rest = value[1:].partition("]")
        if not bracket or not isinstance(_address(host), ipaddress.IPv6Address) or rest[:1] not in ("", ":"):
            return None
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_text = value.partition(":")
        host = host[:-1] if host.endswith(".") else host
        if not is_host_name(host) or isinstance(_address(host), ipaddress.IPv6Address):
            return None
        port_text = port_text if colon else None
    if port_text is None:
        return host, None
    if not _PORT.fullmatch(port_text) or int(port_text) > 65535:
        return None
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (the name of a listen address, or a parsed Host)."""
    if host in ("localhost", "localhost."):
        return True
    address = _address(host.strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address is not None and address.is_loopback


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """The Host values a sandbox answers. `listen_host` None: an app embedded in a process (a test
    client), reached by no network of its own: every Host is answered."""

    listen_host: str | None = None
    allowed: tuple[str, ...] = ()  # names, lower case, no port
    _verdicts: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def answers(self, host_header: str) -> bool:
        if self.listen_host is None:
            return True
        verdict = self._verdicts.get(host_header)
        if verdict is None:
            verdict = self._judge(host_header)
            if len(host_header) <= REMEMBERED_LENGTH:
                if len(self._verdicts) >= REMEMBERED_HOSTS:
                    self._verdicts.clear()
                self._verdicts[host_header] = verdict
        return verdict

    def _judge(self, host_header: str) -> bool:
        assert self.listen_host is not None
        parsed = parse_host(host_header)
        if parsed is None:
            return False
        host = parsed[0]
        if is_loopback(host) or host in self.allowed:
            return True
        return not is_loopback(self.listen_host) and _address(host) is not None

    def is_own_origin(self, origin: str, host_header: str) -> bool:
        """Whether `Origin` is the sandbox's own: the scheme, name and port the request was sent to
        (its Host), or one of its allowed names (behind a proxy that rewrites Host)."""
        try:
            parts = urlsplit(origin)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path or parts.query:
            return False
        name = parts.hostname.rstrip(".")
        if name in self.allowed:
            return True
        target = parse_host(host_header)
        if target is None:
            return False
        default = DEFAULT_PORTS[parts.scheme]
        return name == target[0] and (port or default) == (target[1] or default)
