"""scikit-learn's handwritten digits (1,797 images, 8x8, values 0-16, shipped inside the
package: offline) as tensors, split once into 1,400 training and 397 test images."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor

SIDE = 8  # pixels per side
MAX_PIXEL = 16  # load_digits' darkest ink
CLASSES = 10
N_TRAIN, N_TEST = 1400, 397
SPLIT_SEED = 1797  # the split is fixed: every run, the baseline and the page share it
PATCHES = (1, 2, 4)  # patch sides that tile an 8x8 image


@dataclass(frozen=True)
class DigitsSplit:
    """The fixed split: images (N, 8, 8) float32 in [0, 16], labels (N,) long."""

    train_images: Tensor
    train_labels: Tensor
    test_images: Tensor
    test_labels: Tensor


@lru_cache(maxsize=1)
def load_split() -> DigitsSplit:
    """The digits, shuffled by a fixed seed and split 1,400 / 397 (read once per process)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32)  # (1797, 8, 8)
    labels = torch.tensor(data.target, dtype=torch.long)  # (1797,)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(SPLIT_SEED))
    train, test = order[:N_TRAIN], order[N_TRAIN:]
    return DigitsSplit(images[train], labels[train], images[test], labels[test])


def check_patch(patch: int) -> None:
    """Raise ValueError unless `patch` is a side that tiles the 8x8 image (1, 2 or 4)."""
    if isinstance(patch, bool) or patch not in PATCHES:
        raise ValueError(f"patch must be one of {list(PATCHES)}, got {patch!r}")


def num_patches(patch: int) -> int:
    """How many patches of side `patch` tile the image: (8 / patch)^2."""
    check_patch(patch)
    return (SIDE // patch) ** 2


def check_image(image) -> Tensor:
    """A validated (8, 8) float32 CPU image with values in [0, 16], or ValueError.

    Args:
        image: a tensor or nested sequence of numbers, (8, 8).
    """
    try:
        x = torch.as_tensor(image, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError("an image must be an 8x8 grid of numbers from 0 to 16") from None
    if x.shape != (SIDE, SIDE):
        raise ValueError(f"an image must be 8x8, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all() or x.min() < 0 or x.max() > MAX_PIXEL:
        raise ValueError("an image's values must be numbers from 0 to 16")
    return x.cpu().clone()


def patchify(images: Tensor, patch: int) -> Tensor:
    """Cut images into patches, row by row (patch 0 is the top-left one).

    Args:
        images: (B, 8, 8).
    Returns:
        (B, n, patch * patch) with n = (8 / patch)^2.
    """
    B = images.shape[0]
    g = SIDE // patch
    x = images.reshape(B, g, patch, g, patch)  # (B, gy, py, gx, px)
    x = x.permute(0, 1, 3, 2, 4)  # (B, gy, gx, py, px)
    return x.reshape(B, g * g, patch * patch)  # (B, n, p*p)


def unpatchify(values: Tensor, patch: int) -> Tensor:
    """Spread one value per patch over its pixels.

    Args:
        values: (..., n) one number per patch, n = (8 / patch)^2.
    Returns:
        (..., 8, 8).
    """
    g = SIDE // patch
    grid = values.reshape(*values.shape[:-1], g, g)  # (..., gy, gx)
    return grid.repeat_interleave(patch, dim=-2).repeat_interleave(patch, dim=-1)  # (..., 8, 8)


def parse_pixels(text: str) -> Tensor:
    """A drawn digit from text: 64 numbers from 0 to 16, row by row (8 rows of 8),
    separated by spaces, commas, semicolons or new lines.

    Returns:
        (8, 8) float32. Raises ValueError with a message a learner can act on.
    """
    if not isinstance(text, str):
        raise ValueError("a drawn digit is text: 8 rows of 8 numbers from 0 to 16")
    words = text.replace(",", " ").replace(";", " ").split()
    if len(words) != SIDE * SIDE:
        raise ValueError(f"a drawn digit needs 64 numbers (8 rows of 8), got {len(words)}")
    try:
        values = [float(w) for w in words]
    except ValueError:
        bad = next(w for w in words if not _is_number(w))
        raise ValueError(f"{bad[:12]!r} is not a number from 0 to 16") from None
    return check_image(torch.tensor(values).reshape(SIDE, SIDE))


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def format_pixels(image: Tensor) -> str:
    """(8, 8) -> 8 lines of 8 integers, each row ended by ';' (a link drops the line breaks,
    not the semicolons): the text parse_pixels reads back."""
    return ";\n".join(" ".join(str(int(round(float(v)))) for v in row) for row in image)
