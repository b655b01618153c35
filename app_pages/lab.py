"""The learning lab: train a small causal transformer and watch its heads form."""

import streamlit as st

from attention.dashboard import lab_data
from attention.dashboard.display import show
from attention.dashboard.lab_live import LiveView
from attention.dashboard.lab_runner import (
    await_previous_training,
    fit_size,
    shared_gate,
    train_live,
    training_in_this_session,
)
from attention.dashboard.lab_sections import MAX_NEW_TOKENS, generate_section, scaling_section
from attention.dashboard.page_parts import LIMITS, lesson, page_controls, question, shared
from attention.lab import TrainConfig
from attention.lab import views as lv

LIVE_KEY, LIVE_ID = "lab_live_run", "_lab_live_id"
GUESS_KEY = "_lab_first_guess"  # the learner's first prediction of the jump, kept


def keep_first_guess() -> None:
    choice = st.session_state.get("predict")
    if choice in lv.PREDICT_CHOICES and GUESS_KEY not in st.session_state:
        st.session_state[GUESS_KEY] = choice


c = shared()
ctl = page_controls("lab", hi={"step": LIMITS.max_train_steps, "gen": MAX_NEW_TOKENS,
                               "gen_step": MAX_NEW_TOKENS})

st.title("The learning lab")
lesson("lab")

cols = st.columns([1.5, 1, 1.2, 1])
task = ctl.draw("task", cols[0])
layers = ctl.draw("layers", cols[1], horizontal=True)
steps = ctl.draw("steps", cols[2])
scaled = ctl.draw("scaled", cols[3])
# The controls bound every value; training caps the sidebar's width more tightly.
cfg, notes = fit_size(TrainConfig(task=task, layers=layers, heads=c.heads, d_model=c.d_model,
                                  steps=steps, seed=c.seed, scaled=scaled), LIMITS)
st.caption(f"Heads ({cfg.heads}), d_model ({cfg.d_model}) and seed ({cfg.seed}) come from the "
           f"sidebar. At most {LIMITS.max_train_seconds} s per training on this server."
           + "".join(f" Note: {n}." for n in notes))

await_previous_training()  # a run interrupted by this one is still saving what it trained
buttons = st.columns([1, 1, 1.6, 4])
train_now = buttons[0].button("Train", type="primary", key="train_button", icon=":material/play_arrow:")
buttons[1].button("Stop", key="stop_button", icon=":material/stop:",
                  help="Stops a training in progress; what it learned so far stays on screen.")
if st.session_state.get(LIVE_KEY) is not None:
    if buttons[2].button("Back to the shipped run", key="forget_button"):
        st.session_state.pop(LIVE_KEY, None)
        st.rerun()

live_slot = st.empty()  # a training draws its live view here, above the run on screen
with st.container():  # the run on screen
    live = st.session_state.get(LIVE_KEY)
    if live is not None and live.history:
        run, name, run_id = live, None, f"live{st.session_state.get(LIVE_ID, 0)}"
    else:
        name = lab_data.ONE_LAYER_RUN if cfg.layers == 1 else lab_data.DEFAULT_RUN
        run, run_id = lab_data.shipped(name), name
    rc, last = run.config, run.history[-1]
    what = (f"{rc.layers}-layer model, {rc.heads} heads, d_model {rc.d_model}, "
            f"{'scaled' if rc.scaled else 'unscaled'}, task {rc.task}, seed {rc.seed}: "
            f"{last.step} steps, final held-out accuracy {last.accuracy:.2f}")
    if name:
        st.info(f"Showing the shipped run **{name}** ({what}). Press **Train** to train your settings "
                "live.", icon=":material/inventory_2:")
    else:
        stopped = " (stopped early)" if run.stopped_early else ""
        st.success(f"Showing your run{stopped}: {what}.", icon=":material/model_training:")

    st.header("Watch heads form")
    steps_logged = [s.step for s in run.snapshots]
    if st.session_state.get("_lab_step_for") not in (None, run_id):
        st.session_state.pop("step", None)  # a new run opens at its end (the slider's default)
    st.session_state["_lab_step_for"] = run_id
    step = ctl.draw("step", hi=steps_logged[-1], default=steps_logged[-1])
    idx = lv.snapshot_index(steps_logged, step)
    record = run.history[idx]

    # The prediction comes before the curves that answer it: they are drawn once it is made,
    # and the first guess is kept.
    first = st.session_state.get(GUESS_KEY)
    st.radio("**Predict first:** accuracy sits low for a while, then jumps. When does the jump "
             "happen in this run?", lv.PREDICT_CHOICES, horizontal=True, key="predict",
             index=None if first is None else lv.PREDICT_CHOICES.index(first),
             disabled=first is not None, on_change=keep_first_guess)
    guess = st.session_state.get(GUESS_KEY)
    phase = lv.phase_change(run.history)
    if guess is None:
        st.info("Pick your prediction above: the loss, accuracy and head-score curves of this run "
                "are drawn once you have.", icon=":material/visibility_off:")
    else:
        verdict = "right" if lv.predicted_right(guess, phase) else "not quite"
        said = (f"the jump happens at step **{phase}** (the first logged step where accuracy passes "
                "halfway from its start to its end)" if phase is not None
                else "accuracy never rises by much: there is no phase change in this run")
        st.markdown(f"You said *{guess}*: {verdict}; {said}.")
        curves = lv.curve_charts(run, marker=steps_logged[idx], phase=phase)
        left, right = st.columns(2)
        show(curves["loss"], key="chart_loss", container=left, width="stretch")
        show(curves["accuracy"], key="chart_accuracy", container=right, width="stretch")
        left, right = st.columns(2)
        show(curves["prev"], key="chart_prev", container=left, width="stretch")
        show(curves["induction"], key="chart_induction", container=right, width="stretch")

    prev, ind = lv.best_heads(record, rc.layers)
    st.subheader(f"Every head on the probe sequence at step {record.step}")
    show(lv.maps_chart(run, idx), key="chart_maps")
    st.markdown(lv.heads_summary(record.step, prev, ind, rc.layers))

    st.header("Why √d_k, trained")
    scaling_section(LIMITS, cfg.seed)

    st.header("Generate")
    generate_section(ctl, run, name, cfg.seed)

    question("lab")

# The page above is drawn; now train, live, in the slot at the top. Pressing anything ends it.
if train_now:
    st.session_state[LIVE_ID] = st.session_state.get(LIVE_ID, 0) + 1
    view = LiveView(live_slot.container(), cfg.steps, LIVE_KEY)
    with training_in_this_session():
        run = train_live(shared_gate(LIMITS.max_live_trainings), LIMITS, cfg,
                         on_log=view.on_log, should_stop=view.should_stop, on_wait=view.on_wait)
    if run is not None:
        st.session_state[LIVE_KEY] = run
    view.resume()
    st.rerun()
