"""deploy/k8s: rendered as kustomize would, validated against Kubernetes' own schemas, and
checked for what Streamlit behind a balancer needs (probes, affinity, long timeouts)."""

from __future__ import annotations

import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from .dockerfile import ROOT, read_dockerfile

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.37.0"
HEALTH = "/_stcore/health"
MEASURED_RSS_GIB = 1.31  # bench/gpt.py --memory, hosted, after every view with /gpt (deploy/README.md)


def _gib(quantity: str) -> float:
    units = {"Mi": 1 / 1024, "Gi": 1.0, "M": 1e6 / 2**30, "G": 1e9 / 2**30}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity[: -len(suffix)]) * factor
    return float(quantity) / 2**30


def render() -> list[dict]:
    """kustomization.yaml's resources with its `images` applied (all this recipe uses)."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(kustomization) <= {"apiVersion", "kind", "resources", "images"}, \
        "this renderer knows resources and images only; teach it the new field"
    images = {i["name"]: i for i in kustomization.get("images", [])}
    docs = []
    for name in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    for doc in docs:
        for c in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            base = c["image"].rsplit(":", 1)[0]
            if base in images:
                i = images[base]
                c["image"] = f"{i.get('newName', base)}:{i['newTag']}"
    return docs


DOCS = render()


def one(kind: str) -> dict:
    (doc,) = [d for d in DOCS if d["kind"] == kind]
    return doc


def test_every_manifest_is_valid_kubernetes():
    kinds = sorted(d["kind"] for d in DOCS)
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "Ingress", "PodDisruptionBudget",
                     "Service"]
    for doc in DOCS:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_validation_catches_a_typo():
    bad = yaml.safe_load(yaml.safe_dump(one("Deployment")))
    bad["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_render_matches_kubectl_kustomize():
    out = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
    assert sorted(yaml.safe_load_all(out), key=key) == sorted(DOCS, key=key)


def test_pods_match_the_image_and_are_probed_on_health():
    dockerfile = read_dockerfile()
    dep = one("Deployment")
    pod = dep["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": int(dockerfile.last("EXPOSE"))}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": HEALTH, "port": "http"}, probe
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(dockerfile.last("USER"))
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert dep["spec"]["replicas"] >= 2


def test_resources_are_sized_from_the_measurement():
    (c,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    req, lim = c["resources"]["requests"], c["resources"]["limits"]
    assert float(req["cpu"]) == 1  # one Streamlit process uses about one core at most
    assert _gib(req["memory"]) >= MEASURED_RSS_GIB
    assert _gib(lim["memory"]) > _gib(req["memory"])


def test_balancer_keeps_a_browser_on_its_pod():
    ann = one("Ingress")["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert ann[prefix + "affinity"] == "cookie"
    assert ann[prefix + "affinity-mode"] == "persistent"
    assert int(ann[prefix + "proxy-read-timeout"]) >= 3600
    assert int(ann[prefix + "proxy-send-timeout"]) >= 3600
    for limit in ("proxy-body-size", "limit-connections", "limit-rps"):
        assert prefix + limit in ann
    svc = one("Service")
    assert svc["spec"]["sessionAffinity"] == "ClientIP"
    assert svc["spec"]["selector"] == one("Deployment")["spec"]["selector"]["matchLabels"]
    backend = one("Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == svc["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in svc["spec"]["ports"]}


def test_autoscaler_scales_the_deployment_on_cpu():
    hpa, dep = one("HorizontalPodAutoscaler"), one("Deployment")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": dep["metadata"]["name"]}
    assert hpa["spec"]["minReplicas"] == dep["spec"]["replicas"] < hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert 0 < metric["resource"]["target"]["averageUtilization"] <= 80
