"""Everything /lab shows of one generation, computed in one call: the page draws it.

    view = generation_view(run, [3, 17, 42, 3], 4)
    view.strip, view.step(2).change, generation_charts(view, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from attention import charts
from attention.lab.generation import earlier_rows_changes, expected_continuation, generate
from attention.lab.training import TrainingRun
from attention.lab.views import best_heads, causal_masked, head_maps, token_labels

ROUNDING = 1e-4  # a change of an earlier row below this is float rounding


@dataclass(frozen=True)
class GenerationStep:
    """What one step k of a generation shows: the maps while producing token t."""

    k: int  # 1-based
    weights: np.ndarray  # (layers, heads, t, t) float32
    labels: tuple[str, ...]  # (t,) the tokens the maps are over
    query: int  # the token at row t - 1, the step's new query
    chosen: int  # the token it produced (position t)
    change: float  # largest change of a row already computed, over steps 1..k

    @property
    def t(self) -> int:
        return self.weights.shape[-1]

    @property
    def rounding_only(self) -> bool:
        """True when earlier rows changed by float rounding at most."""
        return self.change < ROUNDING


@dataclass(frozen=True)
class GenerationView:
    """Everything /lab shows of one greedy generation; plain values, cacheable."""

    tokens: tuple[int, ...]  # (P + n_new,) the prefix, then the generated tokens
    prefix_len: int  # P
    expected: tuple[int | None, ...]  # (n_new,) what copying gives (None: no repeat)
    maps: tuple[np.ndarray, ...]  # n_new maps (layers, heads, t, t), t = P + i
    changes: tuple[float, ...]  # (n_new,) earlier_rows_changes of the maps
    labels: tuple[str, ...]  # (P + n_new,) token labels
    induction_head: tuple[int, int]  # (layer, head) of the run's strongest induction head
    heads: int  # heads per layer (the grid's columns)

    @property
    def n_new(self) -> int:
        return len(self.maps)

    @property
    def marks(self) -> tuple[str, ...]:
        """(n_new,) each new token against copying: "✓", "✗ (copying gives N)" or ""."""
        new = self.tokens[self.prefix_len:]
        return tuple("" if want is None else ("✓" if tok == want else f"✗ (copying gives {want})")
                     for tok, want in zip(new, self.expected, strict=True))

    @property
    def strip(self) -> str:
        """The sequence as Markdown: the prefix, then each new token in bold with its mark."""
        out = [" ".join(map(str, self.tokens[:self.prefix_len]))]
        for tok, mark in zip(self.tokens[self.prefix_len:], self.marks, strict=True):
            out.append(f"**{tok}**" + (f" {mark}" if mark else ""))
        return " → ".join(out)

    def step(self, k: int) -> GenerationStep:
        """Step k, 1 <= k <= n_new."""
        if not 1 <= k <= self.n_new:
            raise ValueError(f"step must lie in 1..{self.n_new}, got {k}")
        weights = self.maps[k - 1]  # (layers, heads, t, t)
        t = weights.shape[-1]
        return GenerationStep(k=k, weights=weights, labels=self.labels[:t],
                              query=self.tokens[t - 1], chosen=self.tokens[t],
                              change=self.changes[k - 1])


def generation_view(run: TrainingRun, prefix: Sequence[int], n_new: int) -> GenerationView:
    """`run` continues `prefix` greedily by `n_new` tokens, with all the page shows of it.

    Args:
        prefix: P token ids in [0, vocab); P + n_new - 1 <= max_len, n_new >= 1.
    """
    if isinstance(n_new, bool) or not isinstance(n_new, int) or n_new < 1:
        raise ValueError(f"n_new must be an integer >= 1, got {n_new!r}")
    gen = generate(run, torch.tensor(list(prefix), dtype=torch.long), n_new)
    maps = tuple(np.asarray(s, dtype=np.float32) for s in gen.steps)  # (layers, H, t, t) each
    tokens = tuple(gen.tokens.tolist())
    _, ind = best_heads(run.history[-1], run.config.layers)
    return GenerationView(tokens=tokens, prefix_len=len(prefix),
                          expected=tuple(expected_continuation(prefix, n_new)), maps=maps,
                          changes=tuple(earlier_rows_changes(maps)),
                          labels=tuple(token_labels(tokens)),
                          induction_head=(ind.layer, ind.head), heads=run.config.heads)


def generation_charts(view: GenerationView, k: int) -> tuple[charts.Chart, charts.Chart]:
    """Step k's charts: the induction head's map with its new row marked, and every head."""
    s = view.step(k)
    t, labels = s.t, list(s.labels)
    masked = causal_masked(t)  # (t, t)
    layer, head = view.induction_head
    one = charts.heatmap(s.weights[layer, head], labels, labels, masked=masked,
                         highlight_row=t - 1,
                         title=f"L{layer} H{head} (induction): step {k}'s new row")
    stacked, titles = head_maps(s.weights)  # (layers * heads, t, t)
    grid = charts.head_grid(stacked, labels, labels, titles, masked=masked,
                            columns=view.heads, axis_labels=t <= 16)
    return one, grid
