"""The visitor id: one per client address, X-Forwarded-For read only behind a trusted balancer."""

from __future__ import annotations

import ipaddress

import pytest

from attention.dashboard import visitor
from attention.dashboard.visitor import client_address, trusted_networks, visitor_key

LOCAL = trusted_networks({"ATTENTION_TRUSTED_PROXIES": "127.0.0.1"})
CLUSTER = trusted_networks({"ATTENTION_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})


def key(peer, forwarded=(), nets=()):
    return visitor_key(client_address(peer, list(forwarded), nets))


def test_direct_client_is_its_address_and_cannot_forge_the_header():
    assert key("203.0.113.9") == "ip:203.0.113.9"
    # No trusted balancer: the header is never read, whatever it says.
    assert key("203.0.113.9", ["198.51.100.1"]) == "ip:203.0.113.9"
    # A trusted list that does not hold the peer: still not read.
    assert key("203.0.113.9", ["198.51.100.1"], LOCAL) == "ip:203.0.113.9"


def test_loopback_peer_reported_as_none_is_loopback():
    assert key(None) == "ip:127.0.0.1"
    assert key(None, ["198.51.100.1"]) == "ip:127.0.0.1"  # untrusted: all local tabs are one


def test_behind_the_workshop_balancer_each_student_is_their_own_visitor():
    # HAProxy on loopback replaces the header with the address it saw.
    assert key(None, ["192.168.1.20"], LOCAL) == "ip:192.168.1.20"
    assert key(None, ["192.168.1.21"], LOCAL) == "ip:192.168.1.21"
    assert key("127.0.0.1", ["192.168.1.20:51234"], LOCAL) == "ip:192.168.1.20"


def test_forged_hops_left_of_the_real_address_are_never_used():
    # ingress-nginx appends the address it saw; the client wrote the first two.
    forged = ["1.2.3.4, 5.6.7.8", "203.0.113.9"]
    assert key("10.1.2.3", forged, CLUSTER) == "ip:203.0.113.9"
    # Chained balancers inside the trusted network are skipped.
    assert key("10.1.2.3", ["203.0.113.9, 10.9.9.9"], CLUSTER) == "ip:203.0.113.9"


def test_garbage_in_the_header_stops_at_the_last_real_hop():
    assert key("10.1.2.3", ["not-an-ip, 10.9.9.9"], CLUSTER) == "ip:10.9.9.9"
    assert key("10.1.2.3", ["unknown"], CLUSTER) == "ip:10.1.2.3"
    assert key("10.1.2.3", [], CLUSTER) == "ip:10.1.2.3"


def test_ipv6_visitor_is_its_64_network_and_mapped_v4_is_v4():
    a = key("2001:db8:1:2::aaaa")
    assert a == key("2001:db8:1:2:ffff::1") == "ip6:2001:db8:1:2::"
    assert a != key("2001:db8:1:3::1")
    assert key("::ffff:203.0.113.9") == "ip:203.0.113.9"
    assert key("::1", ["[2001:db8::5]:443"], CLUSTER) == "ip6:2001:db8::"


def test_trusted_networks_skips_what_does_not_parse():
    nets = trusted_networks({"ATTENTION_TRUSTED_PROXIES": "10.0.0.0/8, nonsense, ,::1"})
    assert nets == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))
    assert trusted_networks({}) == ()


@pytest.mark.parametrize("peer", [None, "198.51.100.7"])
def test_visitor_id_reads_streamlit_context(monkeypatch, peer):
    import streamlit as st

    class Headers:
        def get_all(self, name):
            assert name == "X-Forwarded-For"
            return ["192.0.2.44"]

    class Context:
        ip_address = peer
        headers = Headers()

    monkeypatch.setattr(st, "context", Context())
    monkeypatch.setenv("ATTENTION_TRUSTED_PROXIES", "127.0.0.1")
    expected = "ip:192.0.2.44" if peer is None else "ip:198.51.100.7"
    assert visitor.visitor_id() == expected
    monkeypatch.delenv("ATTENTION_TRUSTED_PROXIES")
    assert visitor.visitor_id() == ("ip:127.0.0.1" if peer is None else "ip:198.51.100.7")
