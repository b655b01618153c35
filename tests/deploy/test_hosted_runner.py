"""Every way of starting a hosted server turns off fast reruns and fixes the training slots.

With Streamlit's default `runner.fastReruns`, each rerun a client sends starts another script
thread while the interrupted ones finish their torch work: one tab sending reruns fast stalled
every other visitor. The hosted profile's training slots are a constant, not the cores of
whatever node the container lands on.
"""

from __future__ import annotations

import os
import subprocess

import yaml
from streamlit import config as st_config

from attention.settings import HOSTED_LIVE_TRAININGS

from .dockerfile import ROOT, read_dockerfile


def test_the_option_is_streamlits_own():
    assert "runner.fastReruns" in st_config._config_options_template


def test_make_run_hosted_turns_fast_reruns_off_and_local_keeps_them():
    def dry_run(profile: str) -> str:
        return subprocess.run(["make", "-n", "run", f"PROFILE={profile}"], cwd=ROOT, text=True,
                              capture_output=True, check=True, timeout=60).stdout
    assert "--runner.fastReruns false" in dry_run("hosted")
    assert "fastReruns" not in dry_run("local")


def test_workshop_hosted_turns_fast_reruns_off_in_every_process():
    env = {**os.environ, "ATTENTION_PROFILE": "hosted"}
    out = subprocess.run(["deploy/workshop.sh", "--dry-run", "-n", "2"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    lines = [ln for ln in out.splitlines() if " run streamlit_app.py " in ln]
    assert len(lines) == 2 and all("--runner.fastReruns false" in ln for ln in lines)


def test_the_container_turns_fast_reruns_off_and_fixes_the_slots():
    env = read_dockerfile().env
    assert env["STREAMLIT_RUNNER_FAST_RERUNS"] == "false"
    assert env["ATTENTION_MAX_LIVE_TRAININGS"] == str(HOSTED_LIVE_TRAININGS)


def test_the_kubernetes_pod_fixes_the_slots():
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["ATTENTION_MAX_LIVE_TRAININGS"] == str(HOSTED_LIVE_TRAININGS)


def test_the_balancer_and_the_ingress_hide_streamlits_metrics():
    template = (ROOT / "deploy" / "haproxy.cfg.template").read_text()
    assert "http-request deny deny_status 404 if { path_beg /_stcore/metrics }" in template
    ingress = yaml.safe_load((ROOT / "deploy" / "k8s" / "ingress.yaml").read_text())
    snippet = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/server-snippet"]
    assert "location /_stcore/metrics { return 404; }" in snippet
