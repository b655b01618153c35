"""Each hosting recipe carries the hosted profile's server limits, and its files are there:
Community Cloud (config.toml + requirements.txt), Hugging Face Spaces, make run, workshop."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tomllib

import pytest
import yaml
from streamlit import config as st_config

from attention.settings import SERVER_MESSAGE_MB

from .dockerfile import ROOT, build_context, read_dockerfile


def test_config_limits_are_real_streamlit_options_with_the_profile_values():
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    for key in server:
        assert f"server.{key}" in st_config._config_options_template, key  # no typos
    assert server["maxUploadSize"] == 0  # the app has no uploader
    assert server["maxMessageSize"] == SERVER_MESSAGE_MB["local"]
    assert server["maxWidgetStateSize"] == 1
    assert SERVER_MESSAGE_MB["hosted"] < SERVER_MESSAGE_MB["local"]


def test_make_run_hosted_passes_the_hosted_server_limits():
    out = subprocess.run(["make", "-n", "run", "PROFILE=hosted"], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert f"--server.maxMessageSize {SERVER_MESSAGE_MB['hosted']}" in out
    assert "--client.showErrorDetails none" in out
    local = subprocess.run(["make", "-n", "run", "PROFILE=local"], cwd=ROOT, capture_output=True,
                           text=True, check=True, timeout=60).stdout
    assert "--server.maxMessageSize" not in local  # config.toml's value serves local


def test_workshop_hosted_passes_the_hosted_server_limits():
    env = {**os.environ, "ATTENTION_PROFILE": "hosted"}
    out = subprocess.run(["deploy/workshop.sh", "--dry-run", "-n", "2"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    lines = [ln for ln in out.splitlines() if " run streamlit_app.py " in ln]
    assert len(lines) == 2
    assert all(f"--server.maxMessageSize {SERVER_MESSAGE_MB['hosted']}" in ln for ln in lines)


def test_community_cloud_finds_requirements_txt_first():
    # Community Cloud takes the first of uv.lock, Pipfile, environment.yml, requirements.txt,
    # pyproject.toml beside the entry file, then at the root (here both are the root).
    assert (ROOT / "streamlit_app.py").is_file() and (ROOT / "requirements.txt").is_file()
    for earlier in ("uv.lock", "Pipfile", "environment.yml", "environment.yaml"):
        assert not (ROOT / earlier).exists(), f"{earlier} would shadow requirements.txt"


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_spaces_prepare_builds_a_docker_space(tmp_path):
    space = tmp_path / "space"
    (space / ".git").mkdir(parents=True)  # a clone's .git stays untouched
    (space / ".git" / "marker").write_text("x")
    (space / "stale.txt").write_text("from an earlier run")
    subprocess.run(["deploy/spaces/prepare.sh", str(space)], cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    meta = _front_matter((space / "README.md").read_text())
    assert meta["sdk"] == "docker"
    assert meta["app_port"] == int(read_dockerfile().last("EXPOSE"))
    assert len(meta["short_description"]) <= 60
    assert (space / ".git" / "marker").exists() and not (space / "stale.txt").exists()
    copied = {str(p.relative_to(space)) for p in space.rglob("*")
              if p.is_file() and ".git" not in p.relative_to(space).parts[:1]}
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.split())
    # Everything the image needs that is committed; no binary files (Spaces refuse them).
    assert "Dockerfile" in copied and ".dockerignore" in copied
    assert (set(build_context()) & tracked) <= copied
    # Binary files only where .gitattributes sends them through Git LFS (the lab's runs).
    lfs = [line.split()[0] for line in (space / ".gitattributes").read_text().splitlines()
           if "filter=lfs" in line]
    assert {"*.npz", "*.safetensors"} <= set(lfs)
    for rel in copied:
        if not any(fnmatch.fnmatch(os.path.basename(rel), pattern) for pattern in lfs):
            assert b"\0" not in (space / rel).read_bytes()[:8192], rel


def _haproxy_config() -> str:
    out = subprocess.run(["deploy/workshop.sh", "--dry-run", "-n", "2"], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return out.split("# haproxy.cfg\n", 1)[1].split("\n# environment:", 1)[0]


def test_haproxy_limits_each_client_address():
    cfg = _haproxy_config()
    assert "tcp-request connection track-sc0 src" in cfg
    assert "tcp-request connection reject if { sc0_conn_cur gt" in cfg
    assert "deny_status 429 if { sc0_http_req_rate gt" in cfg
    assert "deny_status 413 if { req.hdr_val(content-length) gt" in cfg


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_haproxy_accepts_the_rendered_config(tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(_haproxy_config())
    r = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
