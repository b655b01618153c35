"""Seeded float64 tensors for the tests, and torch on one thread (the one copy of each)."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch

D64 = torch.float64


def randn(*shape, seed=0, dtype=D64):
    """Standard normal values from `seed`, drawn in float64 then cast: equal across dtypes."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread for the block (as the lab trains, so numbers repeat), then as before."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def random_mask(*shape, seed=0, p=0.5):
    """A bool mask with at least one allowed key in every row (torch gives NaN otherwise)."""
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(*shape, generator=g) < p
    mask[..., 0] = True
    return mask[..., torch.randperm(shape[-1], generator=g)]


def qkv(B=(2, 3), Lq=5, Lk=7, d_k=8, d_v=6, seed=0, dtype=D64):
    return (randn(*B, Lq, d_k, seed=seed, dtype=dtype),
            randn(*B, Lk, d_k, seed=seed + 1, dtype=dtype),
            randn(*B, Lk, d_v, seed=seed + 2, dtype=dtype))
