"""The caps on what one request may ask for, by deployment profile.

Pick a profile with the environment variable ATTENTION_PROFILE (local | hosted), or
`profile = "hosted"` in .streamlit/secrets.toml; the variable wins. Each cap can be
overridden by an environment variable ATTENTION_<CAP> (e.g. ATTENTION_MAX_TOKENS=2048),
never above the local profile's value times 4.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

SECRETS = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Limits:
    """What one page run may compute and accept."""

    profile: str
    max_tokens: int  # positions in a random sequence or a sentence
    max_heads: int
    max_d_model: int
    max_d_k: int  # width of the single head's queries and keys on the toy pages
    max_text_chars: int  # characters of a sentence
    max_pretrained_tokens: int  # tokenizer tokens fed to the real model
    allow_model_choice: bool  # a model by local path or hub name
    torch_threads: int  # per server process: a server shares its cores among sessions
    max_train_steps: int  # training steps of one lab run
    max_train_d_model: int  # width of a lab model
    max_train_layers: int
    max_train_seconds: int  # wall time of one live training
    max_live_trainings: int  # live trainings at once per server process; the rest queue
    export_workers: int = 1  # processes that draw downloads (PNG/SVG/CSV/NPY) off the server's lock
    export_cache_mb: int = 64  # finished downloads kept for the next visitor who asks
    export_csv_mb: int = 8  # largest tensor CSV offered (estimated); above it, NPY only
    max_prompt_tokens: int = 256  # tokens of a prompt fed to the GPT-style model (/gpt)
    max_new_tokens: int = 64  # tokens it generates for one request
    max_copy_tokens: int = 200  # tokens of one copy in /gpt's repeated random sequence
    # Classroom mode (a class code in the link, the instructor's view): ATTENTION_ALLOW_CLASSES=0
    # turns it off, e.g. on a public demo with no database of its own.
    allow_classes: bool = True
    # Forwards of the real models (/pretrained, /gpt) at once per server process; 0 = no
    # limit. Each visitor also runs one at a time (attention/dashboard/forward_gate.py).
    max_model_forwards: int = 0


# A hosted server's live trainings at once: a constant, never the machine's core count (a
# 1-CPU pod on an 8-core node sees 8 cores; 8 trainings there starved every visitor and
# each run reached ~90 of its steps). Each training holds one torch thread.
HOSTED_LIVE_TRAININGS = 1

PROFILES = {
    "local": Limits("local", max_tokens=1024, max_heads=16, max_d_model=1024, max_d_k=512,
                    max_text_chars=5000, max_pretrained_tokens=512,
                    allow_model_choice=True, torch_threads=min(4, os.cpu_count() or 1),
                    max_train_steps=20000, max_train_d_model=512, max_train_layers=4,
                    max_train_seconds=600, max_live_trainings=max(2, os.cpu_count() or 1),
                    export_workers=min(2, os.cpu_count() or 1), export_cache_mb=128, export_csv_mb=64,
                    max_prompt_tokens=256, max_new_tokens=64, max_copy_tokens=200,
                    max_model_forwards=max(2, os.cpu_count() or 1)),
    # Sized so one request stays well under a second of one core.
    "hosted": Limits("hosted", max_tokens=256, max_heads=12, max_d_model=512, max_d_k=512,
                     max_text_chars=1000, max_pretrained_tokens=128,
                     allow_model_choice=False, torch_threads=1,
                     max_train_steps=1500, max_train_d_model=128, max_train_layers=2,
                     # The cap is the steps: a busy server gives everyone the same run, slower.
                     # The wall time is a guard (1500 steps at the caps take ~85 s alone).
                     max_train_seconds=120, max_live_trainings=HOSTED_LIVE_TRAININGS,
                     export_workers=1, export_cache_mb=64, export_csv_mb=8,
                     # /gpt: 16 greedy tokens with attentions ~1 s of one core (135M model)
                     max_prompt_tokens=48, max_new_tokens=16, max_copy_tokens=40,
                     max_model_forwards=2),
}

# Streamlit's `server.maxMessageSize` (MB) each profile needs: the largest websocket message
# the app sent at the profile's caps was 4.3 MB (local) and 0.59 MB (hosted), both the
# /pretrained model view of a sentence of random words at the token cap (bench/footprint.py
# gives the per-view figures); about twice that. The
# server also takes it as the largest frame it reads from a client before dropping it
# (clients send at most a few kB). Server options are read once, when the server starts:
# .streamlit/config.toml carries the local value, and what starts a hosted server (the
# Dockerfile, `make run PROFILE=hosted`, deploy/workshop.sh) passes the hosted one.
# Raising a cap above its profile (ATTENTION_MAX_TOKENS=...) may need a larger value.
SERVER_MESSAGE_MB = {"local": 8, "hosted": 2}


def _secrets_profile() -> str | None:
    try:
        with SECRETS.open("rb") as f:
            return tomllib.load(f).get("profile")
    except (OSError, tomllib.TOMLDecodeError):
        return None


def load_limits(environ: dict[str, str] | None = None) -> Limits:
    """The active profile's limits, with per-cap environment overrides applied."""
    env = os.environ if environ is None else environ
    name = (env.get("ATTENTION_PROFILE") or _secrets_profile() or "local").strip().lower()
    base = PROFILES.get(name, PROFILES["hosted"])  # an unknown name gets the safe profile
    changes = {}
    for f in fields(Limits):
        raw = env.get(f"ATTENTION_{f.name.upper()}")
        if raw is None or f.name == "profile":
            continue
        if f.type == "bool" or isinstance(getattr(base, f.name), bool):
            changes[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
        else:
            try:
                value = int(raw)
            except ValueError:
                continue
            ceiling = getattr(PROFILES["local"], f.name) * 4
            changes[f.name] = max(1, min(value, ceiling))
    return replace(base, **changes)
