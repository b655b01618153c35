"""Every control of the app, declared once: the sidebar's, then each page's.

A control's URL name is its key. Where it is drawn (the shared sidebar, or which pages) is
said in `page_registry`. Two pages may share a declaration (`QUERY`); a key that means
different things on two pages gets two declarations of the same kind (`STEP`,
`TRAINING_STEP`). Ranges that bound work name their cap in `settings.Limits`.
"""

from __future__ import annotations

from attention.core.device import available_devices
from attention.dashboard.control import Control
from attention.lab.tasks import TASKS
from attention.pretrained.views import STATISTICS
from attention.toy.views import DEFAULT_TEXT

MAX_SEED = 2**31 - 1  # the seed's domain (torch takes any 64-bit value), not a cap on work

# The shared sidebar, on every page (`page_registry.SIDEBAR` orders it).
WORKSHOP = Control("workshop", "Workshop mode", "toggle", default=False,
                   help="A guided ~90-minute path: each page says its step and links to the next.")
TEXT = Control("text", "Sentence", "text_area", default=DEFAULT_TEXT, cap="max_text_chars",
               help="Words and punctuation become tokens.")
TOKENS = Control("tokens", "Sequence length", "number", default=None, lo=1, cap="max_tokens",
                 step=1, allow_empty=True,
                 help="When set, a random sequence of this many positions replaces the sentence "
                      "(useful for long inputs).")
POSITIONAL = Control("pos", "Positional encoding", "toggle", default=True,
                     help="Add sinusoidal position vectors to the token embeddings.")
D_MODEL = Control("d_model", "Model width (d_model)", "number", default=64, lo=2,
                  cap="max_d_model", step=8)
HEADS = Control("heads", "Heads", "number", default=4, lo=1, cap="max_heads", step=1)
SEED = Control("seed", "Seed", "number", default=0, lo=0, hi=MAX_SEED, step=1,
               help="Seeds the random projections and sequences.")
DEVICE = Control("device", "Device", "select", default="auto",
                 options=("auto", *available_devices()))

# Classroom mode: drawn under the shared sidebar by `classroom.sidebar_section`, not in
# `SIDEBAR` (a mode of the session, and `class` cannot name a field of `Controls`).
CLASS = Control("class", "Class code", "text_input", default="", hi=16,
                help="The code your instructor shows: your predictions join the class's.")

# The toy pages.
D_K = Control("dk", "d_k", "number", default=16, lo=1, cap="max_d_k", step=1,
              help="Width of queries and keys (and values).")
TEMPERATURE = Control("temperature", "Temperature", "slider", kind="float", default=1.0, lo=0.05,
                      hi=20.0, step=0.05,
                      help="Divides the logits: < 1 sharpens the softmax, > 1 flattens it.")
SCALED = Control("scaled", "√d_k scaling", "toggle", default=True)
CAUSAL = Control("causal", "Causal mask", "toggle", default=False)
QUERY = Control("query", "Query token", "slider", default=0,  # 0..n-1 for n tokens
                help="Highlights this query's row (or click a row of a map).")
PRESETS = {"Random projections": "random", "Designed heads": "designed"}  # label -> preset
PRESET = Control("preset", "Heads", "segmented", default="Random projections",
                 options=tuple(PRESETS))
HEAD_A = Control("head_a", "Compare head", "number", default=0)  # 0..heads-1
HEAD_B = Control("head_b", "with head", "number", default=1)
RELATIVE = Control("relative", "Relative colours (weight × n)", "toggle", default=False,
                   help="Colour each weight times the number of keys its row sees, so a uniform "
                        "row is 1 on every map; off, all maps share [0, 1].")
STEP = Control("step", "Generation step", "slider", default=3, lo=1,  # 1..n
               help="How many tokens the model has produced so far: rows appear one by one.")
PAD = Control("pad", "Padded positions at the end", "number", default=0)  # 0..n-1

# The pretrained model.
LAYER = Control("layer", "Layer", "slider", default=0)  # 0..layers-1
HEAD = Control("head", "Head", "slider", default=0)  # 0..heads-1
HIDE_SPECIAL = Control("hide_special", "Hide special tokens", "toggle", default=False,
                       help="Drop [CLS] and [SEP] from the maps and renormalise each row.")
STATISTIC = Control("stat", "Statistic", "segmented", default="Entropy", options=tuple(STATISTICS))
ROLLOUT_PLAIN = Control("rollout_plain", "Rollout without special tokens", "toggle", default=False,
                        help="Drop [CLS] and [SEP] from every layer's maps, renormalise, then "
                             "roll out.")

# The GPT-style model (/gpt). Its temperature is TEMPERATURE: the same softmax as /entropy's.
GPT_VIEWS = ("Generate", "Induction heads", "Attention sinks", "GQA & RoPE", "Model view",
             "Entropy")
GPT_MODEL = Control("gpt_model", "Model: a local directory or a Hugging Face name", "text_input",
                    default="", hi=300,  # drawn only where Limits.allow_model_choice
                    help="Empty: the packaged SmolLM2 (offline). Otherwise a causal LM, e.g. a "
                         "folder saved with save_pretrained(); a hub name needs a network unless "
                         "it is already in the cache.")
GPT_VIEW = Control("gpt_view", "View", "segmented", default="Generate", options=GPT_VIEWS)
PROMPT = Control("prompt", "Prompt", "text_area", default="Once upon a time, there was a little "
                 "girl who", cap="max_text_chars",
                 help="The model continues this text; it sees at most the first tokens the "
                      "limit allows.")
NEW_TOKENS = Control("new_tokens", "New tokens", "number", default=16, lo=1,
                     cap="max_new_tokens", step=1,
                     help="How many tokens the model adds, one forward step each.")
SAMPLE = Control("sample", "Sample (off: greedy)", "toggle", default=False,
                 help="Off: always the likeliest token. On: draw from softmax(logits / "
                      "temperature) with the seed.")
GPT_SEED = Control("gpt_seed", "Seed", "number", default=0, lo=0, hi=MAX_SEED, step=1,
                   help="Seeds the sampler and the random sequence of the induction test.")
GPT_STEP = Control("gpt_step", "Generation step", "slider", default=64, lo=0,  # 0..new tokens
                   help="Step s shows the prompt and the first s new tokens: each step adds one "
                        "query row.")
COPY_TOKENS = Control("copy_tokens", "Tokens per copy", "number", default=40, lo=4,
                      cap="max_copy_tokens", step=1,
                      help="Length of the random sequence that is repeated once.")

# The learning lab.
MIN_TRAIN_STEPS = 10
TASK = Control("task", "Task", "select", default="induction", options=tuple(TASKS),
               help="; ".join(f"{k}: {v}" for k, v in TASKS.items()))
LAYERS = Control("layers", "Layers", "radio", kind="int", default=2, options=(2, 1),
                 help="1 layer is the control: it cannot form an induction head.")
TRAIN_STEPS = Control("steps", "Steps", "number", default=1500, lo=MIN_TRAIN_STEPS,
                      cap="max_train_steps", step=100)
TRAINING_STEP = Control("step", "Training step", "slider", default=0,  # 0..the run's last step
                        help="Scrub the run: curves mark the step, maps show the snapshot taken "
                             "at or before it.")
PREFIX = Control("prefix", "Prefix (token ids)", "text_input", default="", hi=200,
                 help="Empty: the random prefix shown in grey.")
GENERATE = Control("gen", "New tokens", "number", default=8, lo=1)  # 1..room left in the model
GENERATION_STEP = Control("gen_step", "Generation step", "slider", default=16, lo=1,  # 1..gen
                          help="Each step adds one query row: the new token's look back at "
                               "everything before it.")
RUN_SEED = Control("run_seed", "Seed of your run", "number", default=None, lo=0, hi=MAX_SEED,
                   step=1, allow_empty=True,
                   help="Train draws a fresh seed and writes it here (and in the link); "
                        "Retrain trains this seed again with the settings above: the same "
                        "numbers on the same machine.")
KNOCKOUT = Control("knockout", "Knock out induction heads", "segmented", default="none",
                   options=("none", "best", "all"),
                   help="Zero the output of the last layer's best induction head, or of all its "
                        "heads scoring 0.3 or more, and measure the loss again.")

# The vision page.
DIGIT = Control("digit", "Test digit", "number", default=0, lo=0, step=1,  # 0..test digits - 1
                help="One of the 397 test digits the model never trained on.")
PIXELS = Control("pixels", "Or draw a digit: 8 rows of 8 numbers from 0 to 16", "text_area",
                 default="", hi=400,
                 help="0 is blank paper, 16 the darkest ink; end each row with ; (a shared link "
                      "keeps the semicolons, not the line breaks). Empty: the test digit.")
PATCH = Control("patch", "Patch size (pixels)", "radio", default="2", options=("2", "1", "4"),
                help="Each token is a square patch: 2 gives 16 patches, 1 gives 64 (finer maps, "
                     "slower to learn), 4 gives 4.")
VISION_STEPS = Control("steps", "Steps", "number", default=400, lo=MIN_TRAIN_STEPS,
                       cap="max_train_steps", step=100)
