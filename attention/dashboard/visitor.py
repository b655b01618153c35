"""Who is asking: one id per visitor (their client address), shared by all their tabs.

Per-visitor limits (one download in flight, one training queued, ...) must count a person,
not a browser tab: twelve tabs of one visitor are one visitor. The id is the client's
address as the server sees it, or, behind a trusted balancer, the address that balancer
saw:

- ATTENTION_TRUSTED_PROXIES (comma-separated addresses or networks, e.g. "127.0.0.1" or
  "10.0.0.0/8") names the balancers in front of this process. Only when the connection
  comes from one of them is X-Forwarded-For read; then its hops are walked from the right
  (the one the nearest balancer appended), skipping trusted balancers, and the first other
  address is the visitor. A client may put anything in the header; what it writes stands
  left of the hops the balancers append, so it is never reached while a real address is.
- Without the variable the header is never read: a direct client cannot choose its id.
- An IPv6 visitor is its /64 network (one household or device rotates addresses within it).

deploy/workshop.sh sets the variable for its own HAProxy (which replaces the header with
the address it saw); deploy/k8s sets it for the ingress controller's pod network.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping

TRUSTED_ENV = "ATTENTION_TRUSTED_PROXIES"
LOOPBACK = "127.0.0.1"  # Streamlit reports a loopback peer as no address at all

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(environ: Mapping[str, str] | None = None) -> tuple[Network, ...]:
    """The balancers named in ATTENTION_TRUSTED_PROXIES; entries that do not parse are ignored."""
    raw = (os.environ if environ is None else environ).get(TRUSTED_ENV, "")
    nets = []
    for part in raw.split(","):
        try:
            nets.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            continue
    return tuple(nets)


def _parse(text: str | None) -> Address | None:
    if not isinstance(text, str) or not text:
        return None
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:4711"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.7:4711"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: Address, nets: Iterable[Network]) -> bool:
    return any(address.version == n.version and address in n for n in nets)


def client_address(peer: str | None, forwarded: Iterable[str], nets: tuple[Network, ...]) -> Address | None:
    """The visitor's address from the connection's peer and its X-Forwarded-For values.

    Args:
        peer: the address the connection comes from (None: loopback, as Streamlit reports it).
        forwarded: every X-Forwarded-For value of the request, in order.
        nets: the trusted balancers; the header is read only when `peer` is one of them.
    """
    current = _parse(peer or LOOPBACK)
    if current is None or not _trusted(current, nets):
        return current
    hops = [h for value in forwarded for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:  # not written by a balancer: stop at the last real hop
            return current
        current = address
        if not _trusted(address, nets):
            return address
    return current


def visitor_key(address: Address | None) -> str:
    """A short stable id for an address: "ip:<v4>", "ip6:<its /64>", or "unknown"."""
    if address is None:
        return "unknown"
    if address.version == 6:
        return f"ip6:{ipaddress.ip_network(f'{address}/64', strict=False).network_address}"
    return f"ip:{address}"


def visitor_id() -> str:
    """The current visitor's id (all their tabs share it); "unknown" outside a session.

    Call it inside a script run (it reads `st.context`); a callback that runs later (a
    deferred download) should capture it while the script runs.
    """
    import streamlit as st

    try:
        peer = st.context.ip_address
        headers = st.context.headers
        forwarded = headers.get_all("X-Forwarded-For") if hasattr(headers, "get_all") else []
    except Exception:  # no session (a bare script, a test double): no address known
        return "unknown"
    return visitor_key(client_address(peer, forwarded or [], trusted_networks()))
