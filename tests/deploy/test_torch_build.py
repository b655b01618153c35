"""Which torch build `make` and the Dockerfile install: TORCH=cpu or TORCH=cuda.

`make -n` (dry run, with -B so every step prints, into a scratch venv folder) shows the
install commands of each build and of the detected default; the generated requirement
files and the Dockerfile's TORCH=cuda step run for real with a stand-in pip. Nothing is
installed and no network is used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from .dockerfile import ROOT, read_dockerfile

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs GNU make")
REQS = (ROOT / "requirements.txt").read_text()
(CPU_PIN,) = re.findall(r"^torch==(\S+)\+cpu;", REQS, flags=re.M)  # e.g. 2.13.0


def fake_tool(folder, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def make(tmp_path, *args: str, gpu: bool | None = None, check: bool = True):
    """`make -n -B VENV=<scratch> args`; gpu: a stand-in nvidia-smi that succeeds (True),
    fails (False), or none on PATH (None)."""
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    for old in tools.iterdir():
        old.unlink()
    if gpu is not None:
        fake_tool(tools, "nvidia-smi", "echo 'GPU 0: NVIDIA Test (UUID: GPU-0)'" if gpu else "exit 9")
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH", "MAKEFLAGS", "MFLAGS")}
    env["PATH"] = f"{tools}{os.pathsep}/usr/bin{os.pathsep}/bin"
    venv = tmp_path / "venv"
    r = subprocess.run([MAKE, "-n", "-B", f"VENV={venv}", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r, venv


def install_lines(out: str) -> list[str]:
    return [ln for ln in out.replace("\\\n", " ").splitlines() if "pip install" in ln]


def assert_cpu_plan(out: str, venv) -> None:
    lines = install_lines(out)
    assert any(ln.endswith("pip install --quiet --retries 1 -r requirements.txt") for ln in lines), lines
    assert any(ln.endswith("-r requirements-dev.txt") for ln in lines), lines
    assert "pypi.org" not in out and "requirements-cuda" not in out and "uninstall" not in out
    assert f"touch {venv}/.runtime-cpu" in out


def assert_cuda_plan(out: str, venv) -> None:
    lines = install_lines(out)
    (torch_line,) = [ln for ln in lines if "torch==" in ln]
    # PyPI alone, pip's configuration (find-links, extra indexes) left out, no +cpu
    assert torch_line.split()[-3:] == ["--index-url", "https://pypi.org/simple", f"torch=={CPU_PIN}"]
    assert "PIP_CONFIG_FILE=/dev/null" in torch_line and "-u PIP_FIND_LINKS" in torch_line
    assert "+cpu" not in torch_line
    assert not any(ln.endswith(" -r requirements.txt") or ln.endswith(" -r requirements-dev.txt")
                   for ln in lines), lines
    assert any(ln.endswith(f"-r {venv}/requirements-cuda.txt") for ln in lines), lines
    assert any(ln.endswith(f"-r {venv}/requirements-dev-cuda.txt") for ln in lines), lines
    assert lines.index(torch_line) < [i for i, ln in enumerate(lines) if "requirements-cuda.txt" in ln][0]
    assert "pip uninstall --quiet --yes torch" in out  # an installed +cpu build would satisfy torch==X
    assert f"touch {venv}/.runtime-cuda" in out


@pytest.mark.parametrize("target", ["test", "run"])
def test_torch_cpu_installs_requirements_as_they_are(tmp_path, target):
    r, venv = make(tmp_path, "TORCH=cpu", target, gpu=True)
    if target == "run":  # run needs the runtime only
        assert "-r requirements.txt" in r.stdout and "streamlit run streamlit_app.py" in r.stdout
        assert "pypi.org" not in r.stdout
    else:
        assert_cpu_plan(r.stdout, venv)


@pytest.mark.parametrize("target", ["test", "run"])
def test_torch_cuda_installs_pypi_torch_and_the_rest(tmp_path, target):
    r, venv = make(tmp_path, "TORCH=cuda", target, gpu=False)
    if target == "run":
        lines = install_lines(r.stdout)
        assert any(ln.endswith(f"torch=={CPU_PIN}") for ln in lines), lines
        assert any(ln.endswith(f"-r {venv}/requirements-cuda.txt") for ln in lines), lines
    else:
        assert_cuda_plan(r.stdout, venv)


@pytest.mark.parametrize(("gpu", "build"), [(True, "cuda"), (False, "cpu"), (None, "cpu")])
def test_default_follows_nvidia_smi(tmp_path, gpu, build):
    r, venv = make(tmp_path, "test", gpu=gpu)
    (assert_cuda_plan if build == "cuda" else assert_cpu_plan)(r.stdout, venv)


def test_unknown_build_is_refused(tmp_path):
    r, _ = make(tmp_path, "TORCH=gpu", "test", check=False)
    assert r.returncode != 0 and "TORCH must be cpu or cuda" in r.stderr


def test_stamp_names_the_build(tmp_path):
    """An up-to-date CPU venv is left alone with TORCH=cpu and reinstalled with TORCH=cuda."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name in ("bin/python", ".runtime-cpu", ".runtime"):
        (venv / name).write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH", "MAKEFLAGS", "MFLAGS")}

    def plan(build: str) -> str:
        return subprocess.run([MAKE, "-n", f"VENV={venv}", f"TORCH={build}", f"{venv}/.runtime"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                              check=True).stdout

    assert "pip install" not in plan("cpu")
    assert f"torch=={CPU_PIN}" in plan("cuda")


def test_generated_cuda_requirements(tmp_path):
    """The two generated files, made for real: requirements.txt less its torch lines and the
    CPU index; the dev file includes that copy. Both resolve here offline with nothing to
    install (torch already installed satisfies what the others ask of it)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH", "MAKEFLAGS", "MFLAGS")}
    subprocess.run([MAKE, f"VENV={venv}", "TORCH=cuda", f"{venv}/requirements-cuda.txt",
                    f"{venv}/requirements-dev-cuda.txt"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=60)
    cuda = (venv / "requirements-cuda.txt").read_text().splitlines()
    assert not [ln for ln in cuda if ln.startswith(("torch==", "--extra-index-url"))]
    kept = [ln for ln in REQS.splitlines() if not ln.startswith(("torch==", "--extra-index-url"))]
    assert cuda == kept
    dev = (venv / "requirements-dev-cuda.txt").read_text().splitlines()
    assert "-r requirements-cuda.txt" in dev and "-r requirements.txt" not in dev
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-r", str(venv / "requirements-dev-cuda.txt"),
                        "--dry-run", "--no-index", "--quiet", "--report", "-"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout)
    assert report["install"] == [], [i["metadata"]["name"] for i in report["install"]]


# ---------------------------------------------------------------- the Dockerfile


DOCKERFILE = read_dockerfile()


def torch_step() -> str:
    (step,) = [r for r in DOCKERFILE.all("RUN") if '"$TORCH"' in r]
    return step


def test_dockerfile_documents_and_defaults_the_build_argument():
    assert "TORCH=cpu" in DOCKERFILE.all("ARG")
    head = (ROOT / "Dockerfile").read_text().split("FROM", 1)[0]
    assert "--build-arg TORCH=cuda" in head and "--gpus all" in head


@pytest.mark.parametrize("build", ["cpu", "cuda", "gpu"])
def test_dockerfile_torch_step(tmp_path, build):
    """The step runs in /bin/sh with a stand-in pip that records its arguments."""
    tools = tmp_path / "tools"
    tools.mkdir()
    fake_tool(tools, "pip", f'echo "$@" >> {tmp_path}/pip.log')
    (tmp_path / "requirements.txt").write_text(REQS)
    env = {"PATH": f"{tools}{os.pathsep}/usr/bin{os.pathsep}/bin", "TORCH": build}
    r = subprocess.run(["/bin/sh", "-c", torch_step()], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60)
    log = tmp_path / "pip.log"
    after = (tmp_path / "requirements.txt").read_text()
    if build == "gpu":
        assert r.returncode != 0 and "TORCH must be cpu or cuda" in r.stderr
        return
    assert r.returncode == 0, r.stderr
    if build == "cpu":
        assert not log.exists() and after == REQS
    else:
        (call,) = log.read_text().splitlines()
        assert call.split()[-3:] == ["--index-url", "https://pypi.org/simple", f"torch=={CPU_PIN}"]
        assert "torch==" not in after and "--extra-index-url" not in after
        assert after.splitlines() == [ln for ln in REQS.splitlines()
                                      if not ln.startswith(("torch==", "--extra-index-url"))]
