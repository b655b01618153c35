"""What /vision draws of a vision run and a digit: maps over the digit, probabilities,
entropy per head, training curves, and the words on where attention and occlusion agree.
Numpy and charts only; the maths is in vision_analysis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from attention import charts
from attention.charts.digits import digit_maps, ink_map, patches_chart
from attention.lab.digits import SIDE
from attention.lab.views import ACCURACY_COLOUR, LOSS_COLOUR, head_colours, metric_frame
from attention.lab.vision_analysis import DigitView

ROLLOUT_TOP = 4  # the rollout map's brightest colour: this many times a uniform share


def patch_of(patch: int) -> np.ndarray:
    """(8, 8) int: the index of the patch each pixel belongs to (row by row)."""
    g = SIDE // patch
    rows, cols = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")  # (8, 8)
    return (rows // patch) * g + cols // patch


def spread(values: np.ndarray, patch: int) -> np.ndarray:
    """(..., n) one value per patch -> (..., 8, 8) each pixel its patch's value."""
    return np.asarray(values)[..., patch_of(patch)]


def patch_name(i: int, patch: int) -> str:
    """'patch 5 (rows 2-3, cols 2-3)' for 2x2 patches."""
    g = SIDE // patch
    r, c = divmod(int(i), g)
    def span(a):
        return f"{a * patch}" if patch == 1 else f"{a * patch}-{a * patch + patch - 1}"
    return f"patch {i} (rows {span(r)}, cols {span(c)})"


def image_chart(view: DigitView, title: str) -> charts.Chart:
    return ink_map(view.image, patch_of(view.patch), title)


def tokens_chart(view: DigitView) -> charts.Chart:
    """The digit cut into its patches, each a token (the class token, token 0, has none)."""
    return patches_chart(view.image, view.patch)


def class_token_chart(view: DigitView) -> charts.Chart:
    """Every head's class-token attention over the patches, one panel per (layer, head)."""
    layers, H, _ = view.cls_maps.shape
    titles = [f"layer {layer} head {h}" for layer in range(layers) for h in range(H)]
    values = spread(view.cls_maps.reshape(layers * H, -1), view.patch)  # (layers*H, 8, 8)
    return digit_maps(values, view.image, titles, patch_of(view.patch), columns=H,
                      title="Where the class token looks: each head, each layer")


def look_and_need_chart(view: DigitView) -> tuple[charts.Chart, charts.Chart]:
    """Rollout (where it looks, all layers) and occlusion (what the answer depends on)."""
    n = view.rollout.shape[0]
    look = digit_maps(spread(view.rollout, view.patch)[None], view.image, ["rollout"],
                      patch_of(view.patch), title="Rollout: the class token's mix of patches",
                      value_title="rollout weight", size=220,
                      domain=(0.0, ROLLOUT_TOP / n))  # brightest at 4x a uniform share
    need = digit_maps(spread(view.occlusion, view.patch)[None], view.image, ["occlusion"],
                      patch_of(view.patch), kind="signed", size=220,
                      title=f"Occlusion: drop in p({view.target}) with the patch blanked",
                      value_title="drop in probability")
    return look, need


def patch_chart(view: DigitView, layer: int, query: int) -> charts.Chart:
    """Where token `query` (0 = class token, i = patch i - 1) looks in `layer`, per head."""
    rows = view.maps[layer, :, query, 1:]  # (H, n) over the patches
    H = rows.shape[0]
    who = "the class token" if query == 0 else patch_name(query - 1, view.patch)
    return digit_maps(spread(rows, view.patch), view.image, [f"head {h}" for h in range(H)],
                      patch_of(view.patch), columns=H,
                      title=f"Layer {layer}: where {who} looks")


def probabilities_chart(view: DigitView) -> charts.Chart:
    frame = pd.DataFrame({"digit": [str(d) for d in range(10)], "position": range(10),
                          "probability": view.probabilities.astype(float)})
    return charts.bars(frame, y="probability", title="What the model answers",
                       y_title="probability", x="digit", x_title="digit",
                       highlight=view.prediction)


def entropy_chart(view: DigitView) -> charts.Chart:
    """Entropy of the class token's attention per head, against ln(n + 1)."""
    layers, H = view.cls_entropy.shape
    frame = pd.DataFrame({"head": [f"L{layer} H{h}" for layer in range(layers) for h in range(H)],
                          "position": range(layers * H),
                          "entropy": view.cls_entropy.ravel().astype(float)})
    T = view.maps.shape[-1]
    return charts.bars(frame, y="entropy", title="Entropy of the class token's attention",
                       y_title="entropy (nats)", reference=math.log(T),
                       reference_label=f"ln({T}) = {math.log(T):.2f}: uniform", x="head",
                       x_title="layer and head")


def agreement_text(view: DigitView) -> str:
    """Where rollout (where it looks) and occlusion (what the answer needs) agree, in words."""
    both, look_only, need_only = view.agreement()
    def name(ids):
        return ", ".join(patch_name(i, view.patch) for i in ids)
    parts = []
    if both:
        parts.append(f"They **agree** on {name(both)}: attended to, and needed.")
    if look_only:
        parts.append(f"The class token **looks at** {name(look_only)}, yet blanking "
                     f"{'it' if len(look_only) == 1 else 'them'} barely moves the answer.")
    if need_only:
        parts.append(f"The answer **depends on** {name(need_only)}, which rollout ranks lower: "
                     "attention is not the explanation.")
    if not need_only and not look_only:
        parts.append("Here the two rankings match at the top.")
    return " ".join(parts)


def vision_curves(run, marker: int | None = None) -> dict[str, charts.Chart]:
    """Test loss and accuracy, and the class token's entropy per head of the last layer."""
    history, cfg = run.history, run.config
    x_domain = (0.0, float(max(cfg.steps, 1)))
    mark = None if marker is None else float(marker)
    last = cfg.layers - 1
    rows = [(r.step, f"head {h}", float(v)) for r in history
            for h, v in enumerate(r.cls_entropy[last])]
    return {
        "loss": charts.curves(metric_frame(history, {"test loss": "loss"}), title="Loss",
                              y_title="cross-entropy (nats)", colours=(("test loss", LOSS_COLOUR),),
                              marker_x=mark, x_domain=x_domain),
        "accuracy": charts.curves(metric_frame(history, {"test accuracy": "accuracy"}),
                                  title="Accuracy on the 397 test digits", y_title="accuracy",
                                  colours=(("test accuracy", ACCURACY_COLOUR),),
                                  y_domain=(0.0, 1.0), marker_x=mark, x_domain=x_domain),
        "entropy": charts.curves(pd.DataFrame(rows, columns=["step", "series", "value"]),
                                 title=f"Layer {last}: class token's entropy per head",
                                 y_title="entropy (nats)", colours=head_colours(cfg.heads),
                                 y_domain=(0.0, math.log(cfg.max_len)), marker_x=mark,
                                 x_domain=x_domain),
    }


def snapshot_chart(run, index: int) -> charts.Chart:
    """The class token's attention on the probe digit at logged step `index`, per head."""
    snap = run.snapshots[index]
    maps = np.asarray(snap.weights, dtype=np.float32)[:, :, 0, 1:]  # (layers, H, n)
    layers, H, _ = maps.shape
    p = run.config.patch
    titles = [f"layer {layer} head {h}" for layer in range(layers) for h in range(H)]
    return digit_maps(spread(maps.reshape(layers * H, -1), p), run.probe.numpy(), titles,
                      patch_of(p), columns=H,
                      title=f"The class token on the probe digit at step {snap.step}")
