"""Attention in vision: a small vision transformer on 8x8 digits, where its heads look."""

import streamlit as st

from attention.dashboard import vision_data as vd
from attention.dashboard.display import show
from attention.dashboard.lab_runner import (
    await_previous_training,
    fit_size,
    shared_gate,
    train_live,
    training_in_this_session,
)
from attention.dashboard.page_parts import LIMITS, lesson, page_controls, question, shared
from attention.lab import TrainConfig
from attention.lab import views as lv
from attention.lab import vision_view as vv
from attention.lab.digits import N_TEST, format_pixels

LIVE_KEY, LIVE_ID = "vision_live_run", "_vision_live_id"
MAX_TOKENS = 65  # 1-pixel patches and the class token

c = shared()
ctl = page_controls("vision", hi={"digit": N_TEST - 1, "step": LIMITS.max_train_steps,
                                  "layer": LIMITS.max_train_layers - 1, "query": MAX_TOKENS - 1})

st.title("Attention in vision: a small ViT on digits")
lesson("vision")

# -- the run on screen: the shipped one, or this session's own (its controls are below) --
await_previous_training()  # a run interrupted by this one is still saving what it trained
live = st.session_state.get(LIVE_KEY)
shipped = live is None or not live.history
run = vd.shipped_run() if shipped else live
run_id = vd.SHIPPED_RUN if shipped else f"live{st.session_state.get(LIVE_ID, 0)}"
rc = run.config
what = (f"{rc.layers} layers, {rc.heads} heads, d_model {rc.d_model}, {rc.patch}x{rc.patch} "
        f"patches, seed {rc.seed}, {run.steps_done} steps: test accuracy **{run.accuracy:.3f}** "
        f"on the 397 held-out digits (a classic SVC on the same split: {vd.baseline():.3f})")

# -- the digit -------------------------------------------------------------------------------
st.header("A digit, cut into patches")
st.caption(f"The maps below are {'the shipped run' if shipped else 'your run'}'s (test accuracy "
           f"{run.accuracy:.3f}); train your own settings under **Watch the maps sharpen**.")
left, right = st.columns([1, 1.3])
index = ctl.draw("digit", left)
pixels = ctl.draw("pixels", right, height=110,
                  placeholder=format_pixels(vd.digit_input(index, "")[0]))
try:
    view = vd.view_of(run, shipped, index, pixels)
except ValueError as e:
    st.error(f"That drawing cannot be read: {e}. Showing test digit {index} instead.",
             icon=":material/error:")
    view = vd.view_of(run, shipped, index, "")
with left.expander("Edit the digit cell by cell"):  # beside the box: the charts stay high
    vd.grid_editor(st, view.image, ctl.setter("pixels"))
    st.caption("Each edit copies the whole digit into the box above (the link keeps it).")
truth = "drawn by you" if view.label is None else f"labelled **{view.label}**"
left, mid, right = st.columns([1, 1.1, 1.3])
show(vv.image_chart(view, f"{'Your drawing' if view.label is None else f'Test digit {index}'}"),
     key="chart_digit", container=left)
show(vv.tokens_chart(view), key="chart_tokens", container=mid)
show(vv.probabilities_chart(view), key="chart_probs", container=right, width="stretch")
st.markdown(f"The digit is {truth}; the model answers **{view.prediction}** "
            f"({view.probabilities[view.prediction]:.0%}). Its {view.maps.shape[-1] - 1} patches "
            f"of {view.patch}x{view.patch} pixels are tokens 1 to {view.maps.shape[-1] - 1}, row by "
            "row from the top left (hover a pixel for its patch); token 0 is the class token, "
            "whose last state the model classifies.")

# -- where it looks, and what the answer needs -------------------------------------------------
st.header("Where the class token looks")
show(vv.class_token_chart(view), key="chart_cls")
st.caption("Colour: the class token's weight on each patch (white dots: the digit's ink). "
           "Each head spreads one unit of weight over the class token and the patches.")
st.subheader("Rollout against occlusion")
left, right = st.columns(2)
look, need = vv.look_and_need_chart(view)
show(look, key="chart_rollout", container=left)
show(need, key="chart_occlusion", container=right)
st.markdown(vv.agreement_text(view))

st.subheader("Patch to patch")
left, right = st.columns(2)
layer = ctl.draw("layer", left, hi=rc.layers - 1, label="Layer")
query = ctl.draw("query", right, hi=view.maps.shape[-1] - 1, label="Token (0 = class token)")
show(vv.patch_chart(view, layer, query), key="chart_patch")

st.subheader("How focused is each head?")
show(vv.entropy_chart(view), key="chart_entropy", width="stretch")
st.caption(f"Entropy of the class token's row, per head: ln({view.maps.shape[-1]}) "
           f"= {view.max_entropy:.2f} nats means it looks everywhere equally; near 0, at one "
           "token.")

# -- training: the digit's maps come first, so they sit above a projector's fold ------------
st.header("Watch the maps sharpen")
cols = st.columns([1, 1, 3])
patch = int(ctl.draw("patch", cols[0], horizontal=True))
steps = ctl.draw("steps", cols[1])
cfg, notes = fit_size(TrainConfig(task="digits", patch=patch, heads=c.heads, d_model=c.d_model,
                                  layers=2, steps=steps, seed=c.seed), LIMITS)
cols[2].caption(f"Trains 2 layers, {cfg.heads} heads, d_model {cfg.d_model}, seed {cfg.seed} "
                f"(from the sidebar), {cfg.max_len - 1} patches + a class token; at most "
                f"{LIMITS.max_train_seconds} s per training on this server."
                + "".join(f" Note: {n}." for n in notes))
buttons = st.columns([1, 1, 1.8, 3])
train_now = buttons[0].button("Train", type="primary", key="vision_train",
                              icon=":material/play_arrow:")
buttons[1].button("Stop", key="vision_stop", icon=":material/stop:",
                  help="Stops a training in progress; what it learned so far stays on screen.")
if st.session_state.get(LIVE_KEY) is not None:
    if buttons[2].button("Back to the shipped run", key="vision_forget"):
        st.session_state.pop(LIVE_KEY, None)
        st.rerun()
live_slot = st.empty()

if shipped:
    st.info(f"Showing the shipped run ({what}). Press **Train** to train your settings live.",
            icon=":material/inventory_2:")
else:
    stopped = " (stopped early)" if run.stopped_early else ""
    st.success(f"Showing your run{stopped}: {what}.", icon=":material/model_training:")

steps_logged = [s.step for s in run.snapshots]
if st.session_state.get("_vision_step_for") not in (None, run_id):
    ctl.reset("step")  # a new run opens at its end
st.session_state["_vision_step_for"] = run_id
step = ctl.draw("step", hi=steps_logged[-1], default=steps_logged[-1])
idx = lv.snapshot_index(steps_logged, step)
curves = vv.vision_curves(run, marker=steps_logged[idx])
left, right = st.columns(2)
show(curves["accuracy"], key="chart_vision_accuracy", container=left, width="stretch")
show(curves["entropy"], key="chart_vision_entropy", container=right, width="stretch")
show(vv.snapshot_chart(run, idx), key="chart_snapshot")

question("vision")

if train_now:
    st.session_state[LIVE_ID] = st.session_state.get(LIVE_ID, 0) + 1
    live_view = vd.VisionLiveView(live_slot.container(), cfg.steps, LIVE_KEY)
    try:
        with training_in_this_session():
            new = train_live(shared_gate(LIMITS.max_live_trainings), LIMITS, cfg,
                             on_log=live_view.on_log, should_stop=live_view.should_stop,
                             on_wait=live_view.on_wait)
    except ValueError as e:  # above this server's caps: say so, keep the page
        live_slot.error(f"Cannot train that: {e}.", icon=":material/error:")
    else:
        if new is not None:
            st.session_state[LIVE_KEY] = new
        live_view.resume()
        st.rerun()
