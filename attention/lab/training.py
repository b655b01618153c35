"""Train the lab's small causal transformer and log how its heads form.

    run = train(task="induction", layers=2, heads=4, d_model=64, steps=1500, seed=0)
    run.accuracy, run.history[-1].induction_score, run.attention(run.probe)

The loss, like every score, covers only the predictable positions (the repeat): the
random tokens around it cost ln(vocab) whatever the model does.
Training steps use the fused attention kernel (no maps); at each logged step (log-spaced,
plus evenly spaced ones so a live chart keeps moving) the run records held-out loss and
accuracy, per-head scores and a snapshot of every head's map on a fixed probe sequence,
and gradient norms from one extra backward pass on a fixed held-out batch.
Same seed, same device, same thread count: the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attention.core.device import resolve_device
from attention.core.functional import causal_mask
from attention.core.heads import head_logits
from attention.lab.config import LogRecord, Snapshot, TrainConfig
from attention.lab.loop import Job, RunProgress, train_loop
from attention.lab.model import LabTransformer
from attention.lab.tasks import induction_score, make_batch, make_probe, previous_token_score

HELD_OUT = 256  # held-out sequences for loss and accuracy


@dataclass
class TrainingRun(RunProgress):
    """A text run, finished or in progress; `accuracy` covers the predictable positions."""

    config: TrainConfig
    probe: Tensor  # (max_len,) long
    probe_predictable: Tensor  # (max_len,) bool
    # and, from RunProgress: history (LogRecord per logged step), snapshots, model
    # (a LabTransformer), stopped_early, stop_reason

    @property
    def vocab_size(self) -> int:
        return self.config.vocab_size

    @property
    def max_len(self) -> int:
        return self.config.max_len

    def check_tokens(self, tokens: Tensor) -> Tensor:
        """Validated (L,) long tokens on the CPU, 1 <= L <= max_len, or ValueError."""
        max_len = self.max_len
        if not isinstance(tokens, Tensor) or tokens.dim() != 1 or tokens.is_floating_point() \
                or tokens.dtype == torch.bool:
            raise ValueError("tokens must be a 1-D integer tensor (L,)")
        if not 1 <= len(tokens) <= max_len:
            raise ValueError(f"tokens must hold 1 to {max_len} positions, got {len(tokens)}")
        if int(tokens.min()) < 0 or int(tokens.max()) >= self.vocab_size:
            raise ValueError(f"tokens must lie in [0, {self.vocab_size - 1}]")
        return tokens.long().cpu()

    def attention(self, tokens: Tensor) -> Tensor:
        """The trained model's maps on `tokens` (L,): (layers, heads, L, L), CPU float32."""
        if self.model is None:
            raise ValueError("this run has no model weights (saved without them)")
        tokens = self.check_tokens(tokens)
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            _, results = self.model(tokens[None].to(device), need_weights=True)
        return torch.stack([r.weights[0] for r in results]).float().cpu()


def train(task: str = "induction", layers: int = 2, heads: int = 4, d_model: int = 64,
          steps: int = 1500, seed: int = 0, scaled: bool = True, *,
          on_log: Callable[[TrainingRun], None] | None = None,
          should_stop: Callable[[], bool] | None = None, max_seconds: float | None = None,
          log_points: int = 32, **config) -> TrainingRun:
    """Train on `task` (a text task, or "digits": a vision transformer, returned as a
    VisionRun); the other TrainConfig fields (patch, lr, ...) as keywords. See run_training."""
    cfg = TrainConfig(task=task, layers=layers, heads=heads, d_model=d_model, steps=steps,
                      seed=seed, scaled=scaled, **config)
    return run_training(cfg, on_log=on_log, should_stop=should_stop, max_seconds=max_seconds,
                        log_points=log_points)


def task_loss(model: nn.Module, tokens: Tensor, predictable: Tensor,
              need_weights: bool = False) -> tuple[Tensor, Tensor, list]:
    """Cross-entropy of the next token at predictable positions.

    Args:
        tokens, predictable: (B, L).
    Returns:
        loss (scalar), correct (N,) bool per predictable position, per-layer results.
    """
    x, results = model.features(tokens, need_weights=need_weights)  # (B, L, d_model)
    target = tokens.roll(-1, dims=1)[predictable]  # (N,) the next tokens
    picked = model.unembed(x[predictable])  # (N, d_model) -> (N, V): scored positions only
    loss = F.cross_entropy(picked, target)
    return loss, picked.argmax(dim=-1) == target, results


def run_training(config: TrainConfig, *, on_log: Callable[[TrainingRun], None] | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 max_seconds: float | None = None, log_points: int = 32) -> TrainingRun:
    """Train `config`'s model, logging at log_steps(config.steps, log_points).

    on_log(run) is called after each record; should_stop() is polled every step and
    max_seconds bounds the wall time: either ends the run early, with a last record at
    the step reached (run.stopped_early, run.stop_reason). An image task ("digits")
    trains a vision transformer and returns a `VisionRun` (attention.lab.vision_training).
    """
    if max_seconds is not None and not (isinstance(max_seconds, (int, float))
                                        and max_seconds > 0):
        raise ValueError(f"max_seconds must be a number > 0 or None, got {max_seconds!r}")
    if isinstance(log_points, bool) or not isinstance(log_points, int) or log_points < 1:
        raise ValueError(f"log_points must be an integer >= 1, got {log_points!r}")
    device = resolve_device(config.device)
    if config.vision:
        from attention.lab.vision_training import digits_job  # imports the vision model only then

        job = digits_job(config, device)
    else:
        job = _text_job(config, device)
    return train_loop(job, on_log=on_log, should_stop=should_stop, max_seconds=max_seconds,
                      log_points=log_points)


def _text_job(c: TrainConfig, device: torch.device) -> Job:
    """A text task's job: the causal transformer, its batches, held-out set and probe."""
    model = LabTransformer.from_config(c).to(device)
    data_gen = torch.Generator().manual_seed(c.seed)
    held_gen = torch.Generator().manual_seed(c.seed + 2_000_003)
    held = [t.to(device) for t in make_batch(c.task, HELD_OUT, c.max_len, c.vocab_size, held_gen)]
    probe, probe_pred = make_probe(c.task, c.max_len, c.vocab_size)
    run = TrainingRun(config=c, probe=probe, probe_predictable=probe_pred, model=model)

    def batch_loss() -> Tensor:
        tokens, predictable = make_batch(c.task, c.batch_size, c.max_len, c.vocab_size, data_gen)
        return task_loss(model, tokens.to(device), predictable.to(device))[0]

    def measure(step: int, seconds: float) -> tuple[LogRecord, Snapshot]:
        return _measure(model, step, held, probe.to(device), seconds, c.batch_size)

    return Job(run, batch_loss, measure)


def _measure(model: LabTransformer, step: int, held: list[Tensor], probe: Tensor,
             seconds: float, batch: int) -> tuple[LogRecord, Snapshot]:
    """What the run logs after `step` updates.

    Args:
        held: the fixed held-out tokens and predictable positions, (N, L) each; the
            gradients use its first `batch` rows.
        probe: (L,) long, the sequence the maps and scores are taken on.
    """
    tokens, predictable = held
    loss, accuracy = _held_out(model, tokens, predictable)
    grad_norm, logit_grad_norm, logit_grad_median = _gradients(model, tokens[:batch],
                                                               predictable[:batch])
    weights, logit_std, max_weight = _probe_maps(model, probe)  # (layers, H, L, L)
    prev, ind = _scores(weights, probe)
    rec = LogRecord(step=step, loss=loss, accuracy=accuracy, prev_token_score=prev,
                    induction_score=ind, grad_norm=grad_norm, logit_grad_norm=logit_grad_norm,
                    logit_grad_median=logit_grad_median, logit_std=logit_std,
                    max_weight=max_weight, seconds=seconds)
    snap = Snapshot(step=step, weights=weights.cpu().numpy().astype(np.float16))
    return rec, snap


def _held_out(model: LabTransformer, tokens: Tensor, predictable: Tensor) -> tuple[float, float]:
    """Loss and accuracy at the predictable positions, without a gradient.

    Args:
        tokens, predictable: (N, L) the held-out batch.
    """
    with torch.no_grad():
        loss, correct, _ = task_loss(model, tokens, predictable)  # scalar, (P,) bool
    return loss.item(), correct.float().mean().item()


def _gradients(model: LabTransformer, tokens: Tensor,
               predictable: Tensor) -> tuple[float, float, float]:
    """Gradient norms of one backward pass that updates nothing.

    Args:
        tokens, predictable: (B, L) a fixed batch.
    Returns:
        the global norm over the parameters; the norm at the attention logits of every
        head; the median, over the attention rows the loss reaches, of a row's norm there.
    """
    # The maps are kept so the gradient at the logits can be recovered:
    # for w = softmax(z), dL/dz = w * (dL/dw - sum_j w_j dL/dw_j).
    loss, _, results = task_loss(model, tokens, predictable, need_weights=True)
    maps = [r.weights for r in results]  # per layer (B, H, L, L)
    for w in maps:
        w.retain_grad()
    model.zero_grad(set_to_none=True)
    loss.backward()
    with torch.no_grad():  # float32 sums: mps has no float64
        grad_norm = torch.sqrt(sum((p.grad.float() ** 2).sum() for p in model.parameters()
                                   if p.grad is not None))
        logit_sq, rows = 0.0, []
        for w in maps:  # (B, H, L, L) weights and their gradient
            gz = (w.grad - (w.grad * w).sum(-1, keepdim=True)) * w  # (B, H, L, L): dL/dlogits
            logit_sq = logit_sq + (gz.float() ** 2).sum()
            reached = w.grad[..., 1:, :].abs().sum(-1) > 0  # (B, H, L-1) rows the loss reaches
            rows.append(gz[..., 1:, :].norm(dim=-1)[reached])  # (R,); row 0 has one key: always 0
        rows = torch.cat(rows)  # (R,) over every layer
        median = rows.median().item() if rows.numel() else 0.0
    model.zero_grad(set_to_none=True)
    return grad_norm.item(), math.sqrt(float(logit_sq)), median


def _probe_maps(model: LabTransformer, probe: Tensor) -> tuple[Tensor, float, float]:
    """Every head's map on the probe, and how peaked its softmax is.

    Args:
        probe: (L,) long.
    Returns:
        weights (layers, H, L, L); the std of the pre-softmax logits at the entries a
        causal query sees; the mean over rows 1..L-1 (all heads) of a row's largest weight.
    """
    with torch.no_grad():
        _, results = model(probe[None], need_weights=True)
        weights = torch.stack([r.weights[0] for r in results])  # (layers, H, L, L)
        L = probe.shape[0]
        allowed = causal_mask(L, device=probe.device)  # (L, L)
        logits = torch.stack([head_logits(r.q[0], r.k[0], blk.attn.scale)  # (H, L, L)
                              for r, blk in zip(results, model.blocks, strict=True)])  # (layers, H, L, L)
        logit_std = logits[..., allowed].std().item()
        max_weight = weights[..., 1:, :].amax(dim=-1).mean().item()  # rows 1..L-1
    return weights, logit_std, max_weight


def _scores(weights: Tensor, probe: Tensor) -> tuple[list[list[float]], list[list[float]]]:
    """Previous-token and induction score of every head, each (layers, H) as lists.

    Args:
        weights: (layers, H, L, L) the maps on `probe` (L,).
    """
    return previous_token_score(weights).tolist(), induction_score(weights, probe).tolist()
