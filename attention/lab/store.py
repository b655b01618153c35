"""Save and load lab runs: JSON (config, history, probe), npz (snapshots) and, for small
models, safetensors (weights). Nothing is ever unpickled."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from attention.lab.config import LogRecord, Snapshot, TrainConfig
from attention.lab.digits import check_image
from attention.lab.model import LabTransformer
from attention.lab.training import TrainingRun
from attention.lab.vision import VisionTransformer
from attention.lab.vision_training import VisionRecord, VisionRun

FORMAT, VERSION = "attention-explorer/lab-run", 1
WEIGHTS_MAX_PARAMS = 250_000  # "auto" saves the weights of models up to this size
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _paths(directory: str | Path, name: str) -> tuple[Path, Path, Path]:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"run name must be 1-64 letters, digits, '_' or '-', got {name!r}")
    base = Path(directory) / name
    return base.with_suffix(".json"), base.with_suffix(".npz"), base.with_suffix(".safetensors")


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed with fixed timestamps, so the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)


def save_run(run: TrainingRun | VisionRun, directory: str | Path, name: str,
             weights: bool | str = "auto") -> list[Path]:
    """Write <name>.json, <name>.npz and (weights=True, or "auto" for a small model)
    <name>.safetensors into `directory`. Returns the paths written."""
    from safetensors.torch import save_file

    json_path, npz_path, st_path = _paths(directory, name)
    Path(directory).mkdir(parents=True, exist_ok=True)
    model = run.model
    n_params = sum(p.numel() for p in model.parameters()) if model is not None else 0
    keep = model is not None and (weights is True or (weights == "auto"
                                                      and n_params <= WEIGHTS_MAX_PARAMS))
    doc = {"format": FORMAT, "version": VERSION, "config": asdict(run.config),
           "accuracy": run.accuracy, "stopped_early": run.stopped_early,
           "stop_reason": run.stop_reason, "probe": run.probe.tolist(),
           **({"probe_label": run.probe_label} if run.config.vision else
              {"probe_predictable": run.probe_predictable.tolist()}),
           "history": [asdict(r) for r in run.history], "has_weights": keep}
    json_path.write_text(json.dumps(doc, indent=1) + "\n")
    steps = np.array([s.step for s in run.snapshots], dtype=np.int64)  # (S,)
    maps = np.stack([s.weights.astype(np.float16) for s in run.snapshots])  # (S, l, H, L, L)
    _write_npz(npz_path, {"steps": steps, "weights": maps})
    written = [json_path, npz_path]
    if keep:
        state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(st_path), metadata={"format": FORMAT})
        written.append(st_path)
    elif st_path.exists():
        st_path.unlink()  # a stale file from an earlier save would not match this run
    return written


def load_run(directory: str | Path, name: str,
             device: str = "cpu") -> TrainingRun | VisionRun:
    """A run saved by save_run; run.model is None when its weights were not saved.

    Raises:
        ValueError: missing files, or files that are not a lab run of this format.
    """
    from safetensors.torch import load_file

    json_path, npz_path, st_path = _paths(directory, name)
    try:
        doc = json.loads(json_path.read_text())
        with np.load(npz_path, allow_pickle=False) as z:
            steps, maps = z["steps"], z["weights"]
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"cannot read lab run {name!r} in {directory}: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise ValueError(f"{json_path} is not a lab run of format {FORMAT} v{VERSION}")
    try:
        config = TrainConfig(**doc["config"])
        record = VisionRecord if config.vision else LogRecord
        history = [record(**r) for r in doc["history"]]
        snapshots = [Snapshot(int(s), m) for s, m in zip(steps, maps, strict=True)]
        common = {"config": config, "history": history, "snapshots": snapshots,
                  "stopped_early": doc["stopped_early"], "stop_reason": doc["stop_reason"]}
        if config.vision:
            run = VisionRun(probe=check_image(doc["probe"]), probe_label=int(doc["probe_label"]),
                            **common)
        else:
            run = TrainingRun(probe=torch.tensor(doc["probe"], dtype=torch.long),
                              probe_predictable=torch.tensor(doc["probe_predictable"],
                                                             dtype=torch.bool), **common)
    except (TypeError, KeyError, ValueError) as e:
        raise ValueError(f"{json_path} does not hold a valid lab run: {e}") from None
    L = config.max_len
    if maps.shape != (len(steps), config.layers, config.heads, L, L) \
            or steps.tolist() != [r.step for r in history]:
        raise ValueError(f"{npz_path} does not match {json_path}")
    if doc.get("has_weights"):
        if not st_path.exists():
            raise ValueError(f"{st_path} is missing")
        model = (VisionTransformer if config.vision else LabTransformer).from_config(config)
        try:
            model.load_state_dict(load_file(str(st_path)))
        except (RuntimeError, OSError) as e:  # wrong shapes or names, or a damaged file
            raise ValueError(f"{st_path} does not match {json_path}: {e}") from None
        run.model = model.to(device).eval()
    return run
