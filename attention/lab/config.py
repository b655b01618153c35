"""What a lab run is asked to do (TrainConfig) and what it logs (LogRecord, Snapshot)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from attention.core.modules import check_heads
from attention.lab.digits import check_patch, num_patches
from attention.lab.tasks import check_task
from attention.settings import Limits

MAX_VOCAB = 65536
VISION_TASKS = {"digits": "classify scikit-learn's 8x8 handwritten digits with a small "
                          "vision transformer (patches + a class token)"}
# the defaults a field left at None takes, for text tasks (False) and vision (True)
TASK_DEFAULTS = {False: {"lr": 1e-3, "mlp": False, "layernorm": False},
                 True: {"lr": 3e-3, "mlp": True, "layernorm": True}}


def _int(name: str, value, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bounds}, got {value}")


@dataclass(frozen=True)
class TrainConfig:
    """One lab run. Validated on construction: a bad field raises ValueError."""

    task: str = "induction"  # a text task of TASKS, or "digits" (a vision transformer)
    layers: int = 2
    heads: int = 4
    d_model: int = 64
    vocab_size: int = 64  # text tasks only
    max_len: int | None = None  # text: 32 unless given; digits: patches + 1, always
    batch_size: int = 64
    lr: float | None = None  # None: the task's own (1e-3 text, 3e-3 digits)
    steps: int = 1500
    seed: int = 0
    scaled: bool = True  # False: logits q k^T without 1/sqrt(d_head)
    mlp: bool | None = None  # None: the task's own (text: off; digits: on, 2x wide)
    layernorm: bool | None = None  # None: the task's own (text: off; digits: pre-norm)
    patch: int = 2  # digits only: the side of a square patch, 1, 2 or 4 pixels
    device: str = "cpu"  # "auto", "cpu", "cuda", "mps" (resolved when training starts)

    def __post_init__(self) -> None:
        if not isinstance(self.task, str):
            raise ValueError(f"task must be a string, got {self.task!r}")
        vision = self.task in VISION_TASKS
        if vision:
            check_patch(self.patch)
            object.__setattr__(self, "max_len", num_patches(self.patch) + 1)
        elif self.max_len is None:
            object.__setattr__(self, "max_len", 32)
        for name in ("lr", "mlp", "layernorm"):  # the task's own defaults
            if getattr(self, name) is None:
                object.__setattr__(self, name, TASK_DEFAULTS[vision][name])
        _int("layers", self.layers, 1)
        _int("heads", self.heads, 1)
        _int("d_model", self.d_model, 1)
        check_heads(self.d_model, self.heads)
        _int("vocab_size", self.vocab_size, 2, MAX_VOCAB)
        _int("max_len", self.max_len, 2)
        if not vision:
            check_task(self.task, self.max_len)
        _int("patch", self.patch, 1)
        _int("batch_size", self.batch_size, 1)
        _int("steps", self.steps, 0)
        _int("seed", self.seed, 0, 2**63 - 1 - 3_000_000)
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) \
                or not math.isfinite(self.lr) or not 0 < self.lr <= 1:
            raise ValueError(f"lr must be a number in (0, 1], got {self.lr!r}")
        for name in ("scaled", "mlp", "layernorm"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not isinstance(self.device, str):
            raise ValueError(f"device must be a string such as 'cpu', got {self.device!r}")

    @property
    def d_head(self) -> int:
        return self.d_model // self.heads

    @property
    def vision(self) -> bool:
        """True for an image task (a vision transformer), False for a text task."""
        return self.task in VISION_TASKS


def check_caps(config: TrainConfig, limits: Limits) -> None:
    """Raise ValueError naming the first field of `config` above the profile's caps."""
    caps = [("steps", config.steps, limits.max_train_steps),
            ("d_model", config.d_model, limits.max_train_d_model),
            ("layers", config.layers, limits.max_train_layers),
            ("heads", config.heads, limits.max_heads),
            ("max_len", config.max_len, limits.max_tokens)]
    for name, value, cap in caps:
        if value > cap:
            raise ValueError(f"{name} = {value} is above this server's cap of {cap}")


@dataclass(frozen=True)
class LogRecord:
    """What the run measured at one logged step (after `step` updates)."""

    step: int
    loss: float  # held-out cross-entropy at predictable positions (chance: ln vocab)
    accuracy: float  # held-out next-token accuracy at predictable positions
    prev_token_score: list[list[float]]  # (layers, heads) on the probe
    induction_score: list[list[float]]  # (layers, heads) on the probe
    grad_norm: float  # global gradient norm on a fixed held-out batch
    logit_grad_norm: float  # norm of the gradient at the attention logits (all heads)
    # median over attention rows the loss reaches of their logit-gradient norm: a few
    # unsaturated rows can dominate the norm, the median shows the typical row vanish
    logit_grad_median: float
    logit_std: float  # std of the pre-softmax logits on the probe (unmasked entries)
    max_weight: float  # mean over probe rows 1..L-1 (all heads) of the largest weight
    seconds: float  # wall time since training started


@dataclass(frozen=True)
class Snapshot:
    """Every head's map on the probe at one logged step."""

    step: int
    weights: np.ndarray  # (layers, heads, L, L) float16
