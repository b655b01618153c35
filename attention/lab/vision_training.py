"""Training the lab's vision transformer on the digits, through the lab's one loop.

    run = train(task="digits", layers=2, heads=4, d_model=64, patch=2, steps=400, seed=0)
    run.accuracy, run.attention(image), run.history[-1].cls_entropy

At each logged step the run records the test set's loss and accuracy, the entropy of the
class token's attention per head (mean over the test images), and a snapshot of every
head's map on a fixed probe digit (the first test image).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from attention.core.stats import entropy
from attention.lab.config import Snapshot, TrainConfig
from attention.lab.digits import check_image, load_split
from attention.lab.loop import Job, RunProgress
from attention.lab.vision import VisionTransformer

PROBE_INDEX = 0  # the test image the snapshots are taken on


@dataclass(frozen=True)
class VisionRecord:
    """What a vision run measured at one logged step (after `step` updates)."""

    step: int
    loss: float  # test-set cross-entropy (chance: ln 10)
    accuracy: float  # test-set accuracy
    train_loss: float | None  # cross-entropy of the last training batch (None at step 0)
    cls_entropy: list[list[float]]  # (layers, heads): the class token's row, mean over tests
    seconds: float  # wall time since training started


@dataclass
class VisionRun(RunProgress):
    """A vision run, finished or in progress; `accuracy` is on the held-out test set."""

    config: TrainConfig
    probe: Tensor  # (8, 8) float32, the digit the snapshots are taken on
    probe_label: int
    # and, from RunProgress: history (VisionRecord per logged step), snapshots (maps
    # (layers, H, n + 1, n + 1)), model (a VisionTransformer), stopped_early, stop_reason

    @property
    def tokens(self) -> int:
        """Tokens per image: the patches and the class token."""
        return self.config.max_len

    def _forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """images (B, 8, 8) -> probabilities (B, 10) and maps (B, layers, H, T, T)."""
        if self.model is None:
            raise ValueError("this run has no model weights (saved without them)")
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            logits, results = self.model(images.to(device), need_weights=True)
        maps = torch.stack([r.weights for r in results], dim=1)  # (B, layers, H, T, T)
        return logits.float().softmax(-1).cpu(), maps.float().cpu()

    def attention(self, image) -> Tensor:
        """Every head's map on `image` (8, 8), values 0-16: (layers, heads, n + 1, n + 1),
        CPU float32, the class token first."""
        return self._forward(check_image(image)[None])[1][0]

    def probabilities(self, image) -> Tensor:
        """The model's class probabilities (10,) for `image` (8, 8), values 0-16."""
        return self._forward(check_image(image)[None])[0][0]

    def predict_batch(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Validated-free batch path. images (B, 8, 8) -> probabilities (B, 10), maps
        (B, layers, H, n + 1, n + 1)."""
        return self._forward(images.float())


def digits_job(c: TrainConfig, device: torch.device) -> Job:
    """The digits task's job for the lab's loop: the model, batches drawn from the training
    split by the config's seed, and the test set's measures."""
    data = load_split()
    model = VisionTransformer.from_config(c).to(device)
    data_gen = torch.Generator().manual_seed(c.seed)
    train_x, train_y = data.train_images.to(device), data.train_labels.to(device)
    test_x, test_y = data.test_images.to(device), data.test_labels.to(device)
    run = VisionRun(config=c, probe=data.test_images[PROBE_INDEX],
                    probe_label=int(data.test_labels[PROBE_INDEX]), model=model)
    last = {"loss": None}

    def batch_loss() -> Tensor:
        idx = torch.randint(len(train_y), (c.batch_size,), generator=data_gen).to(device)  # (B,)
        logits, _ = model(train_x[idx])  # (B, 10)
        loss = F.cross_entropy(logits, train_y[idx])
        last["loss"] = loss.item()
        return loss

    def measure(step: int, seconds: float) -> tuple[VisionRecord, Snapshot]:
        with torch.no_grad():
            logits, results = model(test_x, need_weights=True)  # (N, 10)
            loss = F.cross_entropy(logits, test_y).item()
            accuracy = (logits.argmax(-1) == test_y).float().mean().item()
            cls_rows = torch.stack([r.weights[:, :, 0] for r in results])  # (layers, N, H, T)
            cls_entropy = entropy(cls_rows).mean(dim=1)  # (layers, H)
            _, probe_res = model(test_x[PROBE_INDEX:PROBE_INDEX + 1], need_weights=True)
            maps = torch.stack([r.weights[0] for r in probe_res])  # (layers, H, T, T)
        rec = VisionRecord(step=step, loss=loss, accuracy=accuracy, train_loss=last["loss"],
                           cls_entropy=cls_entropy.cpu().tolist(), seconds=seconds)
        return rec, Snapshot(step=step, weights=maps.cpu().numpy().astype(np.float16))

    return Job(run, batch_loss, measure)
