"""What the deployments give the app for per-visitor limits and memory: the balancer sets
X-Forwarded-For (replaced, never appended) and the processes behind it trust it; malloc
keeps two arenas; /_stcore/metrics stays closed at the balancer and the ingress."""

from __future__ import annotations

import ipaddress
import os
import subprocess

from attention.dashboard.visitor import client_address, trusted_networks, visitor_key

from .dockerfile import ROOT, read_dockerfile
from .test_k8s import one

HAPROXY = (ROOT / "deploy" / "haproxy.cfg.template").read_text()


def _workshop_env(*args: str) -> dict[str, str]:
    out = subprocess.run(["deploy/workshop.sh", "--dry-run", *args], cwd=ROOT,
                         env={**os.environ, "ATTENTION_TRUSTED_PROXIES": ""},
                         capture_output=True, text=True, check=True, timeout=60).stdout
    (line,) = [ln for ln in out.splitlines() if ln.startswith("# environment:")]
    return dict(w.split("=", 1) for w in line.split(":", 1)[1].split() if "=" in w)


def test_haproxy_replaces_the_forwarded_header_and_blocks_metrics():
    assert "http-request set-header X-Forwarded-For %[src]" in HAPROXY
    assert "option forwardfor" not in HAPROXY  # appending would keep a client's own value
    assert "deny_status 404 if { path_beg /_stcore/metrics }" in HAPROXY


def test_workshop_processes_trust_their_own_haproxy_only():
    env = _workshop_env("-n", "2")
    assert env["MALLOC_ARENA_MAX"] == "2"
    nets = trusted_networks({"ATTENTION_TRUSTED_PROXIES": env["ATTENTION_TRUSTED_PROXIES"]})
    # HAProxy on loopback: each student is their own visitor ...
    assert visitor_key(client_address(None, ["192.168.1.20"], nets)) == "ip:192.168.1.20"
    # ... and a direct (LAN) connection to a process cannot choose its id.
    assert visitor_key(client_address("192.168.1.21", ["1.2.3.4"], nets)) == "ip:192.168.1.21"
    # An app machine with no proxy here trusts nobody unless told.
    assert _workshop_env("-n", "1", "--no-proxy")["ATTENTION_TRUSTED_PROXIES"] == ""


def test_image_and_pods_tune_malloc_and_pods_trust_the_ingress():
    assert read_dockerfile().env["MALLOC_ARENA_MAX"] == "2"
    (c,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["MALLOC_ARENA_MAX"] == "2"
    nets = trusted_networks({"ATTENTION_TRUSTED_PROXIES": env["ATTENTION_TRUSTED_PROXIES"]})
    assert ipaddress.ip_address("10.244.1.7") in nets[0]  # a typical pod address
    assert not any(ipaddress.ip_address("203.0.113.9") in n for n in nets)


def test_ingress_blocks_metrics():
    snippet = one("Ingress")["metadata"]["annotations"]["nginx.ingress.kubernetes.io/server-snippet"]
    assert "location /_stcore/metrics { return 404; }" in snippet
