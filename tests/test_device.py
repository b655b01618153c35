"""Device choice: cuda, then mps, then cpu."""

import pytest
import torch

from attention import available_devices, resolve_device


def test_auto_returns_an_available_device():
    names = available_devices()
    assert names[-1] == "cpu"
    dev = resolve_device("auto")
    assert isinstance(dev, torch.device) and dev.type == names[0]
    assert resolve_device(None) == dev
    torch.ones(1, device=dev)  # usable


def test_cpu_by_name_and_by_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.fixture
def cpu_only(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_unavailable_device_raises(cpu_only):
    assert available_devices() == ["cpu"]
    assert resolve_device("auto") == torch.device("cpu")
    for name in ("cuda", "cuda:1", "mps", "tpu"):
        with pytest.raises(ValueError, match="not available"):
            resolve_device(name)


def test_cuda_first_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert available_devices() == ["cuda", "mps", "cpu"]
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device("mps") == torch.device("mps")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_attention_on_cuda_matches_cpu():
    from attention import MultiHeadAttention, causal_mask
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 4)
    x = torch.randn(2, 9, 32)
    with torch.no_grad():
        cpu = mha(x, mask=causal_mask(9))
        gpu = mha.to("cuda")(x.cuda(), mask=causal_mask(9))  # the mask follows the input
    torch.testing.assert_close(gpu.output.cpu(), cpu.output, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(gpu.weights.cpu(), cpu.weights, atol=1e-5, rtol=1e-4)


def test_describe_device_names_the_device_and_the_build():
    from attention.core.device import describe_device, torch_build
    build = torch_build()
    assert build.endswith("build")
    line = describe_device("cpu")
    assert line.startswith("cpu, torch ") and torch.__version__ in line and build in line
    assert describe_device(torch.device("cpu")) == line
    if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
        assert build in ("CPU build", "MPS build")


def test_a_cuda_build_says_so(monkeypatch):
    from attention.core import device
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.torch_build() == "CUDA 12.8 build"
    assert device.describe_device("cpu").endswith("CUDA 12.8 build (no CUDA device visible)")
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "NVIDIA Test GPU")
    assert device.describe_device("cuda:0").startswith("cuda:0 (NVIDIA Test GPU), torch ")


def test_cpu_build_without_gpu_backends(monkeypatch):
    from attention.core import device
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None, raising=False)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: False)
    assert device.torch_build() == "CPU build"
    assert device.describe_device("cpu") == f"cpu, torch {torch.__version__}, CPU build"
