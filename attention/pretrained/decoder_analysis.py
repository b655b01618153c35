"""What a causal LM's heads do: induction and previous-token scores on a repeated random
sequence, the share of weight parked on the first token (sinks), row entropy.

    lm = load_decoder()
    ind = induction(lm, length=40, batch=4, seed=0)
    ind.copy_loss          # (2,) nats: high on the first copy, low on the second
    ind.induction          # (layers, H) mean weight on the token after the earlier copy
    sink_share(lm.attention(ids))   # (layers, H) mean weight on position 0
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from attention.core.stats import entropy
from attention.pretrained.decoder import DecoderModel


@dataclass(frozen=True, eq=False)  # tensors: compare by identity
class Induction:
    """A batch of random token sequences, each repeated twice, through the model."""

    input_ids: Tensor  # (B, 2n) int64; [:, n:] == [:, :n]
    tokens: list[str]  # the first sequence's tokens
    weights: Tensor  # (layers, H, 2n, 2n) the first sequence's maps
    copy_loss: Tensor  # (2,) mean next-token loss (nats) on each copy
    position_loss: Tensor  # (2n - 1,) loss at each position, mean over the batch
    induction: Tensor  # (layers, H) mean weight from i in the second copy to i - n + 1
    previous_token: Tensor  # (layers, H) mean weight w[i, i - 1], i >= 1

    @property
    def length(self) -> int:
        """n, the length of one copy."""
        return self.input_ids.shape[1] // 2


def random_repeated(lm: DecoderModel, length: int, batch: int, seed: int) -> Tensor:
    """(batch, 2 * length) random ordinary token ids, each row a sequence followed by itself."""
    gen = torch.Generator().manual_seed(int(seed))
    allowed = torch.tensor([i for i in range(lm.vocab_size) if i not in lm.special_ids])  # (V',)
    pick = torch.randint(len(allowed), (batch, length), generator=gen)  # (B, n)
    half = allowed[pick]  # (B, n)
    return torch.cat([half, half], dim=1)  # (B, 2n)


def induction_scores(weights: Tensor, n: int) -> Tensor:
    """Mean weight from each query i of the second copy on key i - n + 1 (the token that
    followed the current token last time).

    Args:
        weights: (..., 2n, 2n) causal attention weights.
        n: the length of one copy.
    Returns:
        (...) scores in [0, 1].
    """
    i = torch.arange(n, 2 * n, device=weights.device)  # queries of the second copy
    return weights[..., i, i - n + 1].mean(-1)  # (..., n) -> (...)


def previous_token_scores(weights: Tensor) -> Tensor:
    """Mean weight w[i, i - 1] over rows i >= 1; (..., L, L) -> (...)."""
    return weights.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)  # (..., L - 1) -> (...)


def sink_share(weights: Tensor) -> Tensor:
    """Mean weight on the first token over rows i >= 1 (row 0 sees only itself).

    Args:
        weights: (..., L, L) with L >= 2.
    Returns:
        (...) shares in [0, 1].
    """
    if weights.shape[-1] < 2:
        raise ValueError("a sink share needs at least 2 tokens")
    return weights[..., 1:, 0].mean(-1)  # (..., L - 1) -> (...)


def row_entropy(weights: Tensor) -> tuple[Tensor, Tensor]:
    """Entropy of each query row (nats) and its maximum ln(i + 1) under the causal mask.

    Args:
        weights: (..., L, L) causal weights.
    Returns:
        entropy (..., L) and the maximum (L,).
    """
    L = weights.shape[-1]
    return entropy(weights.float()), torch.log(torch.arange(1, L + 1, dtype=torch.float32))


def induction(lm: DecoderModel, length: int = 40, batch: int = 4, seed: int = 0) -> Induction:
    """Run `batch` random sequences repeated twice; loss per copy and every head's scores.

    Args:
        length: n, tokens in one copy (>= 2).
        batch: sequences averaged over (>= 1).
        seed: seeds the random tokens.
    """
    if length < 2 or batch < 1:
        raise ValueError("induction needs length >= 2 and batch >= 1")
    ids = random_repeated(lm, length, batch, seed)  # (B, 2n)
    out = lm.forward(ids)
    weights = torch.stack(out.attentions).float().cpu()  # (layers, B, H, 2n, 2n)
    logp = out.logits[:, :-1].float().log_softmax(-1).cpu()  # (B, 2n - 1, vocab)
    loss = -logp.gather(-1, ids[:, 1:, None])[..., 0]  # (B, 2n - 1)
    n = length
    # Position i predicts i + 1: the first copy's predictions are positions 0..n-2; the
    # prediction at n - 1 (the first token of the copy) cannot be known; n..2n-2 copy.
    copy_loss = torch.stack([loss[:, : n - 1].mean(), loss[:, n:].mean()])  # (2,)
    return Induction(input_ids=ids, tokens=lm.tokens(ids[0]), weights=weights[:, 0].clone(),
                     copy_loss=copy_loss, position_loss=loss.mean(0),
                     induction=induction_scores(weights, n).mean(1),  # (layers, B, H) -> (layers, H)
                     previous_token=previous_token_scores(weights).mean(1))


def top_heads(scores: Tensor, k: int = 3) -> list[tuple[int, int, float]]:
    """The k highest (layer, head, score) of a (layers, H) table, best first."""
    H = scores.shape[1]
    values, flat = scores.flatten().topk(min(k, scores.numel()))
    return [(int(f) // H, int(f) % H, float(v)) for v, f in zip(values, flat, strict=True)]

