"""Which device runs the maths: cuda, then mps, then cpu."""

from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """Device names usable on this machine, best first, cpu always last."""
    names = []
    if torch.cuda.is_available():
        names.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    return names + ["cpu"]


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """"auto" (or None) picks the best available device; otherwise the one named.

    Raises:
        ValueError: the named device is not available here.
    """
    if isinstance(name, torch.device):
        name = str(name)
    if name in (None, "auto"):
        return torch.device(available_devices()[0])
    kind = str(name).split(":")[0]
    if kind not in available_devices():
        raise ValueError(f"device {name!r} is not available here; choose from "
                         f"{['auto', *available_devices()]}")
    return torch.device(name)


def torch_build() -> str:
    """What the installed torch was built for: "CUDA 12.8 build", "ROCm 6.4 build",
    "MPS build" (Apple's GPU) or "CPU build"."""
    if torch.version.cuda:
        return f"CUDA {torch.version.cuda} build"
    hip = getattr(torch.version, "hip", None)
    if hip:
        return f"ROCm {hip} build"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_built():
        return "MPS build"
    return "CPU build"


def describe_device(device: str | torch.device) -> str:
    """One line on what runs the maths: the device (with the GPU's name) and the torch build,
    e.g. "cuda:0 (NVIDIA H100 80GB HBM3), torch 2.13.0, CUDA 12.8 build" or
    "cpu, torch 2.13.0+cpu, CPU build". A GPU build running on the CPU says why it might.
    """
    dev = torch.device(device)
    text = str(dev)
    if dev.type == "cuda":
        try:
            text += f" ({torch.cuda.get_device_name(dev)})"
        except (RuntimeError, AssertionError):  # not initialised here: the name is a nicety
            pass
    text += f", torch {torch.__version__}, {torch_build()}"
    if dev.type == "cpu" and torch.version.cuda and not torch.cuda.is_available():
        text += " (no CUDA device visible)"
    return text
