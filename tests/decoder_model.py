"""The packaged decoder, loaded once per test process (516 MB in float32)."""

from __future__ import annotations

import functools

import pytest

from attention.pretrained import load_decoder

PROMPT = "Once upon a time, there was a little girl who"


@functools.lru_cache(maxsize=1)
def shared_decoder():
    return load_decoder()


@pytest.fixture(scope="module")
def lm():
    return shared_decoder()
