"""Every control placed once: the shared sidebar (`SIDEBAR`) and every page (`PAGES`).

Navigation, the overview's links, the workshop path, the sidebar, the link validation and
the tests all read these lists: a control declared in `control_catalog` appears in the
app once it is named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from attention.dashboard import control_catalog as cc
from attention.dashboard.control import Control

# The shared sidebar, drawn on every page in this order, under each header ("" for none).
# The workshop toggle says how the app runs; the controls under a header are inputs, which
# a page that ignores them leaves out of its `reads` (they show disabled there).
SIDEBAR: dict[str, tuple[Control, ...]] = {
    "": (cc.WORKSHOP,),
    "Input": (cc.TEXT, cc.TOKENS, cc.POSITIONAL),
    "Toy model": (cc.D_MODEL, cc.HEADS, cc.SEED, cc.DEVICE),
}
SHARED = tuple(c for group in SIDEBAR.values() for c in group)
INPUTS = tuple(c for header, group in SIDEBAR.items() if header for c in group)
SHARED_INPUTS = frozenset(c.key for c in INPUTS)


@dataclass(frozen=True)
class Page:
    url_path: str  # "" for the overview, the default page
    title: str
    icon: str
    summary: str  # the overview's link help
    minutes: int  # its step of the workshop path (or, off the path, a visit's time)
    goal: str  # what the workshop step is for
    controls: tuple[Control, ...] = ()  # its own controls, validated from the link first
    reads: tuple[Control, ...] | None = None  # the sidebar inputs it reads; None: all of them
    unused_why: str | None = None  # why the others are disabled on it
    on_path: bool = True  # a step of the 90-minute workshop path; False: "after the workshop"

    def __post_init__(self):
        if self.reads is not None and not {c.key for c in self.reads} <= SHARED_INPUTS:
            raise ValueError(f"page {self.name!r} reads controls that are not sidebar inputs")

    @property
    def unused(self) -> frozenset[str]:
        """The sidebar inputs it ignores: disabled while it runs."""
        return frozenset() if self.reads is None else SHARED_INPUTS - {c.key for c in self.reads}

    @property
    def name(self) -> str:
        """Its key in LESSONS and in the tests: the url path, or "overview"."""
        return self.url_path or "overview"

    @property
    def file(self) -> str:
        """The script, as st.Page and st.page_link name it."""
        return f"app_pages/{self.name}.py"


PAGES = (
    Page("", "Overview", ":material/home:", "What attention computes, and where to look next.",
         10, "Queries, keys and values; the formula, read once together.",
         reads=(),
         unused_why="The overview computes nothing: these controls act on the other pages."),
    Page("single_head", "Single head", ":material/center_focus_strong:",
         "QKᵀ, scaling, masking, softmax and output, step by step.",
         15, "Follow one query from q·k to its output; see why we divide by √d_k.",
         controls=(cc.D_K, cc.TEMPERATURE, cc.SCALED, cc.CAUSAL, cc.QUERY)),
    Page("multi_head", "Multi head", ":material/grid_view:",
         "One map per head; local and global heads.",
         15, "Heads that look near or far, and position as the thing they read; then $W^O$ mixes them.",
         controls=(cc.PRESET, cc.CAUSAL, cc.HEAD_A, cc.HEAD_B, cc.QUERY, cc.RELATIVE)),
    Page("causal", "Causal", ":material/arrow_forward:",
         "Masked attention for autoregressive models.",
         10, "The mask of a generating model, row by row; padding.",
         controls=(cc.STEP, cc.PAD, cc.D_K)),
    Page("entropy", "Entropy", ":material/bar_chart:",
         "How focused or spread each query's attention is.",
         10, "Measure focus: entropy against its maximum, temperature, heads.",
         controls=(cc.TEMPERATURE, cc.CAUSAL, cc.PRESET, cc.D_K)),
    Page("pretrained", "Pretrained model", ":material/model_training:",
         "A real BERT: every layer and head, its q and k, rollout.",
         15, "A real BERT: sinks, previous-token heads, what a pronoun looks at.",
         controls=(cc.LAYER, cc.HEAD, cc.HIDE_SPECIAL, cc.STATISTIC, cc.QUERY, cc.ROLLOUT_PLAIN),
         reads=(cc.TEXT,),
         unused_why="The real model has its own width, heads and weights: only the Sentence is "
                    "used here."),
    Page("lab", "Learning lab", ":material/school:",
         "Train a small transformer and watch induction heads form, live.",
         15, "Train a tiny model and watch an induction head form.",
         controls=(cc.TASK, cc.LAYERS, cc.TRAIN_STEPS, cc.SCALED, cc.TRAINING_STEP, cc.PREFIX,
                   cc.GENERATE, cc.GENERATION_STEP, cc.RUN_SEED, cc.KNOCKOUT),
         reads=(cc.D_MODEL, cc.HEADS, cc.SEED),
         unused_why="The lab trains on random token sequences with learned positions, on the "
                    "CPU: it takes Heads, d_model and Seed from here."),
    Page("gpt", "GPT-style model", ":material/auto_stories:",
         "A real GPT-style LM offline: generation row by row, induction heads, sinks, GQA.",
         10, "Watch a real LM generate one row per token; find its induction heads and sinks.",
         controls=(cc.GPT_MODEL, cc.GPT_VIEW, cc.PROMPT, cc.NEW_TOKENS, cc.SAMPLE,
                   cc.TEMPERATURE, cc.GPT_SEED, cc.GPT_STEP, cc.LAYER, cc.HEAD, cc.COPY_TOKENS),
         reads=(),
         unused_why="The real model has its own width, heads and weights, and its own prompt "
                    "box: the sidebar's inputs are not used here.",
         on_path=False),
    Page("vision", "Vision", ":material/image:",
         "A small vision transformer on handwritten digits: where its heads look.",
         10, "A patch is a token: where the class token looks, against what the answer needs.",
         controls=(cc.DIGIT, cc.PIXELS, cc.PATCH, cc.VISION_STEPS, cc.LAYER, cc.QUERY,
                   cc.TRAINING_STEP),
         reads=(cc.D_MODEL, cc.HEADS, cc.SEED),
         unused_why="The vision model reads 8x8 digits, not sentences: it takes Heads, d_model "
                    "and Seed from here.",
         on_path=False),
)
BY_NAME = {p.name: p for p in PAGES}
# The workshop path: 90 minutes in all (tests/pages/test_teaching_pages.py checks). A new page
# joins it only by taking minutes from another step; otherwise on_path=False.
PATH = tuple(p for p in PAGES if p.on_path)


def page(url_path: str) -> Page | None:
    """The registered page at `url_path` ("" for the overview), or None."""
    return BY_NAME.get(url_path or "overview")
