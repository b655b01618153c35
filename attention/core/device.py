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
