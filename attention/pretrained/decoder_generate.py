"""Generation with a KV cache, one new query row of attention per new token.

    lm = load_decoder()
    gen = generate(lm, lm.encode("Once upon a time"), new_tokens=20)          # greedy
    gen = generate(lm, ids, new_tokens=20, temperature=0.8, seed=3, sample=True)
    gen.weights        # (layers, H, T, T), row i computed when token i was fed
    gen.top_ids[s]     # the 5 likeliest next tokens after step s (prompt + s new tokens)
    gen.row_drift      # max |row as computed at its step - the same row from one full pass|
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import Tensor

from attention.pretrained.decoder import DecoderModel

TOP = 5  # next-token candidates kept per step


@dataclass(frozen=True, eq=False)  # tensors: compare by identity
class Generation:
    """A prompt and its continuation, with every row of attention as it was computed."""

    prompt_length: int  # P
    input_ids: Tensor  # (T,) int64, T = P + new tokens
    tokens: list[str]
    weights: Tensor  # (layers, H, T, T); row i from the step that fed token i, 0 above the diagonal
    top_ids: Tensor  # (N + 1, TOP) the likeliest next tokens after prompt + s new tokens
    top_probs: Tensor  # (N + 1, TOP) their probabilities (softmax of logits / temperature)
    picked_prob: Tensor  # (N,) the probability of the token each step took
    seconds: float  # wall time of the generation loop
    row_drift: float  # max |W_step - W_full| over the computed rows
    stopped_at_eos: bool
    temperature: float
    sample: bool

    @property
    def new_tokens(self) -> int:
        """How many tokens were generated, N."""
        return len(self.tokens) - self.prompt_length


def _probs(logits: Tensor, temperature: float) -> Tensor:
    """Next-token probabilities (vocab,) of last-position logits (vocab,) at a temperature."""
    return torch.softmax(logits.float() / temperature, dim=-1)


def generate(lm: DecoderModel, prompt: Tensor, new_tokens: int, *, temperature: float = 1.0,
             seed: int = 0, sample: bool = False, top: int = TOP) -> Generation:
    """Continue `prompt` token by token, keeping each step's attention rows and top-k.

    Step 0 runs the prompt (P rows); each later step feeds the token just chosen through the
    KV cache, so it computes exactly one new query row per layer and head. The last chosen
    token is fed too, so every token has its row. Greedy unless `sample`; stops at EOS.

    Args:
        prompt: (P,) LongTensor of token ids.
        new_tokens: how many tokens to add, >= 1.
        temperature: divides the logits before the softmax (> 0); used when sampling and for
            the top-k probabilities shown.
        seed: seeds the sampler (a torch.Generator of its own: nothing global).
        sample: draw from the distribution; off, take the likeliest token.
    Returns:
        Generation on the CPU.
    """
    from transformers import DynamicCache

    if not isinstance(new_tokens, int) or new_tokens < 1:
        raise ValueError(f"new_tokens must be a positive int, got {new_tokens!r}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    x = lm.check_ids(prompt)  # (1, P)
    P = x.shape[1]
    if P + new_tokens > lm.max_length:
        raise ValueError(f"prompt plus new tokens must fit in {lm.max_length} positions")
    gen = torch.Generator().manual_seed(int(seed))
    T_max = P + new_tokens
    weights = torch.zeros(lm.num_layers, lm.num_heads, T_max, T_max)  # (layers, H, T, T)
    ids, top_ids, top_probs, picked = x[0].cpu().tolist(), [], [], []
    cache, stopped = DynamicCache(), False
    t0 = time.perf_counter()
    with torch.inference_mode():
        for step in range(new_tokens + 1):
            start = len(ids) - x.shape[1]  # the first row this step computes
            out = lm.model(input_ids=x, past_key_values=cache, use_cache=True,
                           output_attentions=True, logits_to_keep=1)  # logits (1, 1, vocab)
            cache = out.past_key_values
            rows = torch.stack(out.attentions)[:, 0].float().cpu()  # (layers, H, rows, start + rows)
            weights[:, :, start:len(ids), :len(ids)] = rows
            probs = _probs(out.logits[0, -1], temperature if sample else 1.0).cpu()  # (vocab,)
            p, i = probs.topk(top)  # (top,) each
            top_ids.append(i)
            top_probs.append(p)
            if step == new_tokens or stopped:
                break
            nxt = int(torch.multinomial(probs, 1, generator=gen)) if sample else int(i[0])
            picked.append(float(probs[nxt]))
            ids.append(nxt)
            stopped = nxt == lm.eos_id
            x = torch.tensor([[nxt]], device=lm.device)  # (1, 1)
    seconds = time.perf_counter() - t0
    T = len(ids)
    weights = weights[:, :, :T, :T].contiguous()  # (layers, H, T, T)
    full = lm.attention(torch.tensor(ids))  # (layers, H, T, T) in one pass, no cache
    drift = float((weights - full).abs().max())
    ids_t = torch.tensor(ids, dtype=torch.long)  # (T,)
    return Generation(prompt_length=P, input_ids=ids_t, tokens=lm.tokens(ids_t), weights=weights,
                      top_ids=torch.stack(top_ids), top_probs=torch.stack(top_probs),
                      picked_prob=torch.tensor(picked), seconds=seconds, row_drift=drift,
                      stopped_at_eos=stopped, temperature=float(temperature), sample=bool(sample))
