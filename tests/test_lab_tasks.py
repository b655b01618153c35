"""The lab's task generators, probe and head scores."""

import pytest
import torch

from attention.lab.tasks import (
    MAX_SEGMENT,
    MIN_LEN,
    MIN_SEGMENT,
    TASKS,
    induction_score,
    induction_targets,
    make_batch,
    make_probe,
    previous_token_score,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_induction_batch_repeats_a_segment_at_a_random_offset():
    tokens, predictable = make_batch("induction", 128, 32, 64, gen())
    assert tokens.shape == predictable.shape == (128, 32) and tokens.dtype == torch.long
    assert 0 <= int(tokens.min()) and int(tokens.max()) < 64
    counts = predictable.sum(1)  # a segment of n tokens makes n - 1 predictable positions
    assert int(counts.min()) == MIN_SEGMENT - 1 and int(counts.max()) == MAX_SEGMENT - 1
    offsets = set()
    for row, pred in zip(tokens, predictable, strict=True):
        t = pred.nonzero().flatten()
        assert torch.equal(t, torch.arange(int(t[0]), int(t[-1]) + 1))  # one contiguous run
        # the repeat: some offset d makes row[t - d .. t + 1 - d] == row[t .. t + 1]
        ds = [d for d in range(1, int(t[0]) + 1)
              if torch.equal(row[t[0] - d: t[-1] + 2 - d], row[t[0]: t[-1] + 2])]
        assert ds
        offsets.add(ds[0])
        assert not pred[-1]  # the last position has no next token
    assert len(offsets) > 10  # the offset varies: no positional shortcut


@pytest.mark.parametrize("max_len", [MIN_LEN["induction"], 20, 31])
def test_a_short_context_bounds_the_segment_by_half_of_it(max_len):
    _, predictable = make_batch("induction", 256, max_len, 64, gen())
    longest = int(predictable.sum(1).max()) + 1  # n - 1 predictable positions per segment
    assert MIN_SEGMENT <= longest <= min(MAX_SEGMENT, max_len // 2)
    assert f"{MIN_SEGMENT} to {MAX_SEGMENT}" in TASKS["induction"]
    assert "half the context" in TASKS["induction"]


def test_copy_batch_repeats_the_first_half():
    tokens, predictable = make_batch("copy", 16, 33, 64, gen())
    assert torch.equal(tokens[:, 16:32], tokens[:, :16])
    assert predictable[:, 16:31].all() and predictable.sum() == 16 * 15


def test_batches_follow_the_generator_only():
    a = make_batch("induction", 8, 32, 64, gen(1))
    torch.manual_seed(123)
    b = make_batch("induction", 8, 32, 64, gen(1))
    c = make_batch("induction", 8, 32, 64, gen(2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and not torch.equal(a[0], c[0])


def test_probe_is_fixed_and_unambiguous():
    tokens, predictable = make_probe("induction", 32, 64)
    again, _ = make_probe("induction", 32, 64)
    assert torch.equal(tokens, again)
    assert torch.equal(tokens[18:30], tokens[2:14])  # 12 tokens at 2..13 repeated at 18..29
    assert len(set(tokens[:18].tolist())) == 18  # distinct before the repeat
    assert predictable.nonzero().flatten().tolist() == list(range(18, 29))
    small, _ = make_probe("induction", 32, 8)  # vocabulary smaller than the context
    assert int(small.max()) < 8


def test_scores_of_ideal_heads():
    tokens, _ = make_probe("induction", 32, 64)
    L = 32
    prev = torch.zeros(L, L)
    prev[0, 0] = 1
    prev[torch.arange(1, L), torch.arange(L - 1)] = 1  # every query on the key before it
    assert previous_token_score(prev).item() == pytest.approx(1.0)
    targets = induction_targets(tokens)
    ind = targets.float()
    ind[~targets.any(-1)] = torch.eye(L)[~targets.any(-1)]  # other rows on themselves
    assert induction_score(ind, tokens).item() == pytest.approx(1.0)
    assert induction_score(prev, tokens).item() == pytest.approx(0.0)
    assert previous_token_score(ind).item() < 0.1
    uniform = torch.ones(L, L).tril()
    uniform = uniform / uniform.sum(-1, keepdim=True)
    both = torch.stack([prev, ind, uniform])  # (3, L, L): batched
    assert induction_score(both, tokens).shape == (3,)
    # query 18 repeats token 2: its one target is key 3
    assert targets[18].nonzero().flatten().tolist() == [3]


def test_induction_score_without_repeats_is_zero():
    tokens = torch.arange(10)
    assert induction_score(torch.eye(10), tokens).item() == 0.0
