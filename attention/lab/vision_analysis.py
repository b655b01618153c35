"""What a trained vision transformer's attention says about one digit, against what its
answer depends on: the class token's maps, attention rollout, an occlusion map, the
entropy of the class token's rows, and a classic baseline on the same split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from attention.core.rollout import attention_rollout
from attention.core.stats import entropy
from attention.lab.digits import check_image, load_split, patchify, unpatchify
from attention.lab.vision_training import VisionRun

DISAGREE_TOP = 3  # patches compared at the top of each ranking


@dataclass(frozen=True)
class DigitView:
    """Every stage a learner wants to see of one digit through one run (numpy, float32).

    n patches of side `patch`; T = n + 1 tokens, the class token first.
    """

    image: np.ndarray  # (8, 8) values 0-16
    patch: int
    label: int | None  # the true class when known (a test digit), else None
    probabilities: np.ndarray  # (10,)
    maps: np.ndarray  # (layers, H, T, T) every head's attention
    cls_maps: np.ndarray  # (layers, H, n) the class token's row over the patches
    rollout: np.ndarray  # (n,) the class token's row of the rollout, over the patches
    occlusion: np.ndarray  # (n,) drop in the target class's probability per blanked patch
    target: int  # the class occlusion measures: the label, else the prediction
    cls_entropy: np.ndarray  # (layers, H) nats; the most a row can have is ln(T)
    ink: np.ndarray  # (n,) total ink per patch (0 = blank)

    @property
    def prediction(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def max_entropy(self) -> float:
        """ln(n + 1): the entropy of a class token that attends to every token equally."""
        return math.log(self.maps.shape[-1])

    def agreement(self, top: int = DISAGREE_TOP) -> tuple[list[int], list[int], list[int]]:
        """Patches at the top of both rankings (rollout and occlusion), of rollout only, of
        occlusion only; each at most `top` long, patch indices."""
        look = [int(i) for i in np.argsort(-self.rollout, kind="stable")[:top]]
        need = [int(i) for i in np.argsort(-self.occlusion, kind="stable")[:top]
                if self.occlusion[i] > 0]
        both = [i for i in look if i in need]
        return both, [i for i in look if i not in need], [i for i in need if i not in look]


def occlusion(run: VisionRun, image: torch.Tensor, target: int) -> np.ndarray:
    """Drop in the probability of class `target` when each patch is blanked (set to 0).

    Args:
        image: (8, 8) values 0-16.
    Returns:
        (n,) p(target | image) - p(target | image with patch i blank); 0 for a patch that
        is blank already.
    """
    p = run.config.patch
    n = (8 // p) ** 2
    keep = 1.0 - unpatchify(torch.eye(n), p)  # (n, 8, 8): 0 on patch i, 1 elsewhere
    batch = torch.cat([image[None], image[None] * keep])  # (1 + n, 8, 8)
    probs, _ = run.predict_batch(batch)  # (1 + n, 10)
    return (probs[0, target] - probs[1:, target]).numpy()  # (n,)


def digit_view(run: VisionRun, image, label: int | None = None) -> DigitView:
    """One digit through `run`: prediction, maps, rollout, occlusion and entropies.

    Args:
        image: (8, 8) values 0-16 (ValueError otherwise).
        label: its true class, if known.
    """
    x = check_image(image)  # (8, 8)
    probs, maps = run.predict_batch(x[None])  # (1, 10), (1, layers, H, T, T)
    probs, maps = probs[0], maps[0]
    target = int(probs.argmax()) if label is None else int(label)
    rollout = attention_rollout(maps)[0, 1:]  # (n,) the class token's row over the patches
    ink = patchify(x[None], run.config.patch)[0].sum(-1)  # (n,)
    return DigitView(image=x.numpy(), patch=run.config.patch, label=label,
                     probabilities=probs.numpy(), maps=maps.numpy(),
                     cls_maps=maps[:, :, 0, 1:].numpy(), rollout=rollout.numpy(),
                     occlusion=occlusion(run, x, target), target=target,
                     cls_entropy=entropy(maps[:, :, 0]).numpy(), ink=ink.numpy())


def held_out_digit(index: int) -> tuple[torch.Tensor, int]:
    """The test split's image `index` (8, 8) and its label; ValueError out of range."""
    data = load_split()
    n = len(data.test_labels)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise ValueError(f"a test digit's index must be an integer from 0 to {n - 1}, "
                         f"got {index!r}")
    return data.test_images[index], int(data.test_labels[index])


@lru_cache(maxsize=1)
def svc_baseline() -> float:
    """Test accuracy of scikit-learn's SVC (RBF kernel, its defaults) trained on the same
    1,400 training digits: the classic baseline (deterministic)."""
    from sklearn.svm import SVC

    data = load_split()
    flat = [t.reshape(len(t), -1).numpy() for t in (data.train_images, data.test_images)]
    model = SVC().fit(flat[0], data.train_labels.numpy())
    return float((model.predict(flat[1]) == data.test_labels.numpy()).mean())
