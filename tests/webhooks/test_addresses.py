"""Which receivers the sandbox posts to, in every spelling the delivering client accepts (issue 20,
defect 8). Pure: no lookup, no connection."""

from __future__ import annotations

import ipaddress

import pytest

from mock_server.webhooks.addresses import Reach, ReceiverPolicy, ReceiverRefused, reach

# each spelled so that the delivering client (httpx's URL, then the system resolver) reaches
# 169.254.169.254, 0.0.0.0 or a metadata service; every one was accepted before the fix
METADATA_SPELLINGS = [
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://169.254.169.254./",
    "http://[::169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://0/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::ffff:0:a9fe:a9fe]/",  # IPv4-translated
    "http://[2002:a9fe:a9fe::1]/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    "https://user:pw@169.254.169.254:8443/x",
    "http://0.0.0.0:8080/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
]
PRIVATE = [
    "http://127.0.0.1:9000/hooks", "http://127.1/", "http://0x7f000001/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:0:7f00:1]/", "http://10.0.0.5/", "http://192.168.1.1/", "http://172.16.0.1/",
    "http://100.64.0.1/", "http://[fd12:3456::1]/", "http://[fec0::1]/",
]
PUBLIC = ["https://partner.example.org/hooks", "http://8.8.8.8/", "http://[2606:4700::1111]/",
          "http://[64:ff9b::808:808]/", "http://localhost:9000/"]


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
@pytest.mark.parametrize("allow_private", [False, True])
def test_metadata_and_link_local_are_refused_in_every_spelling(url: str, allow_private: bool) -> None:
    with pytest.raises(ReceiverRefused, match="not"):
        ReceiverPolicy(allow_private).target(url)


@pytest.mark.parametrize("url", PRIVATE)
def test_loopback_and_private_need_the_host_to_allow_them(url: str) -> None:
    with pytest.raises(ReceiverRefused, match="--allow-private-webhooks"):
        ReceiverPolicy(allow_private=False).target(url)
    assert ReceiverPolicy(allow_private=True).target(url).host


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_and_names_are_taken(url: str) -> None:
    # a name (localhost too) is judged by what it resolves to, at each delivery
    assert ReceiverPolicy(allow_private=False).target(url).host


def test_the_target_is_what_the_client_will_send() -> None:
    target = ReceiverPolicy(True).target("https://user:p%40ss@Bücher.example:8443/hooks?x=1")
    assert (target.scheme, target.host, target.port) == ("https", "xn--bcher-kva.example", 8443)
    assert (target.netloc, target.target) == (b"xn--bcher-kva.example:8443", b"/hooks?x=1")
    assert (target.username, target.password) == ("user", "p@ss")
    assert ReceiverPolicy(True).target("http://[::1]/").netloc == b"[::1]"


@pytest.mark.parametrize("url", ["ftp://example.org/", "http:///nohost", "http://example.org:99999/",
                                 "http://example.org:0/", "http://[::1/"])
def test_what_cannot_be_delivered_is_refused(url: str) -> None:
    with pytest.raises(ReceiverRefused):
        ReceiverPolicy(True).target(url)


def test_an_address_carrying_ipv4_is_judged_by_it_too() -> None:
    assert reach(ipaddress.ip_address("64:ff9b::a9fe:a9fe"))[0] is Reach.REFUSED
    assert reach(ipaddress.ip_address("::ffff:10.0.0.1"))[0] is Reach.PRIVATE
    assert reach(ipaddress.ip_address("2002:0a00:0001::1"))[0] is Reach.PRIVATE  # 6to4 of 10.0.0.1
    assert reach(ipaddress.ip_address("::ffff:8.8.8.8"))[0] is Reach.PUBLIC
