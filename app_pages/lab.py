"""The learning lab: train a small causal transformer and watch its heads form."""

import streamlit as st

from attention.dashboard import lab_data
from attention.dashboard.control import PageControls
from attention.dashboard.display import show
from attention.dashboard.lab_live import LiveView
from attention.dashboard.lab_runner import (
    AlreadyTraining,
    await_previous_training,
    fit_size,
    shared_gate,
    train_live,
    training_in_this_session,
)
from attention.dashboard.lab_sections import (
    MAX_NEW_TOKENS,
    fresh_seed,
    generate_section,
    scaling_section,
)
from attention.dashboard.page_parts import LIMITS, lesson, page_controls, question, shared
from attention.lab import TrainConfig
from attention.lab import views as lv

LIVE_KEY, LIVE_ID = "lab_live_run", "_lab_live_id"
GUESS_KEY = "_lab_first_guess"  # the learner's first prediction of the jump, kept
TRAIN_KEY = "_lab_train_request"  # set by Train or Retrain: this run trains


def keep_first_guess() -> None:
    choice = st.session_state.get("predict")
    if choice in lv.PREDICT_CHOICES and GUESS_KEY not in st.session_state:
        st.session_state[GUESS_KEY] = choice


def request_training(ctl: PageControls, fresh: bool) -> None:
    """Train (a fresh seed, written into the seed box and the link) or Retrain (the box's)."""
    if fresh:
        ctl.set("run_seed", fresh_seed())
    st.session_state[TRAIN_KEY] = True


def predict_radio() -> str | None:
    """The prediction, asked before the curves that answer it; the first guess is kept."""
    first = st.session_state.get(GUESS_KEY)
    st.radio("**Predict first:** accuracy sits low for a while, then jumps. When does the jump "
             "happen in this run?", lv.PREDICT_CHOICES, horizontal=True, key="predict",
             index=None if first is None else lv.PREDICT_CHOICES.index(first),
             disabled=first is not None, on_change=keep_first_guess)
    return st.session_state.get(GUESS_KEY)


@st.fragment(key="repeat")
def repeat_section(ctl: PageControls, run, name: str | None) -> None:
    """The loss at each position of a sequence repeated twice, heads knocked out or not
    (the Knock out control is drawn here: it reruns this section only)."""
    left, right = st.columns([1.6, 1])
    with right:
        choice = ctl.draw("knockout", st)
        heads = lv.knockout_heads(run, choice)
    rep = lab_data.repeat_loss_of(run, name, heads)
    show(lv.repeat_loss_chart(rep), key="chart_repeat_loss", container=left, width="stretch")
    n = rep.repeat_start
    said = (f"On {n} random tokens followed by the same {n} again, this model predicts the next "
            f"token of the second copy with accuracy **{rep.accuracy:.2f}** (loss "
            f"{rep.mean_loss('second'):.2f} nats there, against {rep.mean_loss('first'):.2f} on "
            f"the first copy, which no model can predict; a uniform guess costs {rep.chance:.2f}).")
    if heads:
        names = ", ".join(f"layer {layer} head {h}" for layer, h in heads)
        said += (f" With **{names}** knocked out (output zeroed), accuracy on the second copy is "
                 f"**{rep.knocked_accuracy:.2f}** and its loss {rep.mean_loss('second', True):.2f}.")
    elif choice != "none":
        said += f" No head of layer {run.config.layers - 1} scores {lv.FORMED} or more: nothing to knock out."
    right.markdown(said)


@st.fragment(key="run")
def run_section(ctl: PageControls, run, run_id: str, guess: str | None,
                reference: lv.Reference) -> None:
    """The run scrubbed by the Training step slider (drawn here: it reruns this section)."""
    steps_logged = [s.step for s in run.snapshots]
    if st.session_state.get("_lab_step_for") not in (None, run_id):
        ctl.reset("step")  # a new run opens at its end (the slider's default)
    st.session_state["_lab_step_for"] = run_id
    step = ctl.draw("step", hi=steps_logged[-1], default=steps_logged[-1])
    idx = lv.snapshot_index(steps_logged, step)
    record, rc = run.history[idx], run.config
    phase = lv.phase_change(run.history, reference)
    if guess is None:
        st.info("Pick your prediction above: the loss, accuracy and head-score curves of this run "
                "are drawn once you have.", icon=":material/visibility_off:")
    else:
        verdict = "right" if lv.predicted_right(guess, phase) else "not quite"
        st.markdown(f"You said *{guess}*: {verdict}; "
                    f"{lv.jump_summary(run.history, phase, reference)}.")
        curves = lv.curve_charts(run, marker=steps_logged[idx], phase=phase)
        for pair in (("loss", "accuracy"), ("prev", "induction")):
            for col, key in zip(st.columns(2), pair, strict=True):
                show(curves[key], key=f"chart_{key}", container=col, width="stretch")
    prev, ind = lv.best_heads(record, rc.layers, reference)
    st.subheader(f"Every head on the probe sequence at step {record.step}")
    left, right = st.columns([1, 1.2])
    show(lv.induction_chart(run, idx, ind), key="chart_ideal", container=left)
    right.markdown(lv.heads_summary(record, prev, ind, rc.layers, reference))
    show(lv.maps_chart(run, idx), key="chart_maps")


c = shared()
ctl = page_controls("lab", hi={"step": LIMITS.max_train_steps, "gen": MAX_NEW_TOKENS,
                               "gen_step": MAX_NEW_TOKENS})

st.title("The learning lab")
lesson("lab")

await_previous_training()  # a run interrupted by this one is still saving what it trained
training = bool(st.session_state.pop(TRAIN_KEY, False))
live = st.session_state.get(LIVE_KEY)
if live is not None and live.history:
    run, name, run_id = live, None, f"live{st.session_state.get(LIVE_ID, 0)}"
else:
    layers_now = ctl.current("layers")
    name = lab_data.ONE_LAYER_RUN if layers_now == 1 else lab_data.DEFAULT_RUN
    run, run_id = lab_data.shipped(name), name
reference = lv.Reference.of(lab_data.shipped(lab_data.DEFAULT_RUN).history)

# -- the run on screen, its key chart first (hidden while a new run trains) ------------------
key_slot = st.empty()
if training:
    key_slot.info("Training your run: it is drawn below as it trains; the run that was on "
                  "screen is not.", icon=":material/model_training:")
else:
    with key_slot.container():
        rc, last = run.config, run.history[-1]
        what = (f"{rc.layers} layers × {rc.heads} heads · d_model {rc.d_model} · "
                f"{'' if rc.scaled else 'unscaled · '}{rc.task} · **seed {rc.seed}** · "
                f"{last.step} steps · accuracy {last.accuracy:.2f}")
        if name:
            st.info(f"Showing the shipped run **{name}**: {what}", icon=":material/inventory_2:")
        else:
            stopped = " (stopped early)" if run.stopped_early else ""
            st.success(f"Showing your run{stopped}: {what}.", icon=":material/model_training:")
        repeat_section(ctl, run, name)

# -- train your own ------------------------------------------------------------------------
st.header("Train your own")
cols = st.columns([1.5, 1, 1.2, 1])
task = ctl.draw("task", cols[0])
layers = ctl.draw("layers", cols[1], horizontal=True)
steps = ctl.draw("steps", cols[2])
scaled = ctl.draw("scaled", cols[3])
buttons = st.columns([1, 1, 1.3, 1.6, 1.7])
buttons[0].button("Train", type="primary", key="train_button", icon=":material/play_arrow:",
                  on_click=request_training, args=(ctl, True),
                  help="Trains these settings with a fresh seed, shown here and kept in the link.")
buttons[1].button("Stop", key="stop_button", icon=":material/stop:",
                  help="Stops a training in progress; what it learned so far stays on screen.")
run_seed = ctl.draw("run_seed", buttons[3], label="Seed of your run", placeholder="none yet")
buttons[2].button("Retrain", key="retrain_button", icon=":material/replay:",
                  disabled=run_seed is None, on_click=request_training, args=(ctl, False),
                  help="Trains the seed in the box again with these settings: a copied link "
                       "reproduces its run.")
if live is not None and buttons[4].button("Back to the shipped run", key="forget_button"):
    st.session_state.pop(LIVE_KEY, None)
    st.rerun()
# The controls bound every value; training caps the sidebar's width more tightly.
cfg, notes = fit_size(TrainConfig(task=task, layers=layers, heads=c.heads, d_model=c.d_model,
                                  steps=steps, seed=run_seed or 0, scaled=scaled), LIMITS)
linked = (f" This link names seed {run_seed}: **Retrain** trains it again."
          if run_seed is not None and (name is not None or run.config.seed != run_seed) else "")
st.caption(f"Heads ({cfg.heads}) and d_model ({cfg.d_model}) come from the sidebar; each **Train** "
           f"draws a fresh seed. At most {LIMITS.max_train_steps} steps and "
           f"{LIMITS.max_train_seconds} s per training on this server.{linked}"
           + "".join(f" Note: {n}." for n in notes))

# -- watch heads form ------------------------------------------------------------------------
st.header("Watch heads form")
guess = predict_radio()
run_slot = st.empty()
if training:
    live_box = run_slot.container()
    if guess is None:
        live_box.info("Predict first (above) to see the curves as it trains.",
                      icon=":material/visibility_off:")
else:
    with run_slot.container():
        run_section(ctl, run, run_id, guess, reference)

st.header("Why √d_k, trained")
scaling_section(LIMITS)

st.header("Generate")
gen_slot = st.empty()
if training:
    gen_slot.caption("Generation uses the run on screen: it returns when the training ends.")
else:
    with gen_slot.container():
        generate_section(ctl, run, name, c.seed)

question("lab")

# The page above is drawn; now train, live, where the run on screen was. Pressing anything ends it.
if training:
    st.session_state[LIVE_ID] = st.session_state.get(LIVE_ID, 0) + 1
    view = LiveView(live_box, cfg.steps, LIVE_KEY, charts=guess is not None)
    with training_in_this_session():
        try:
            run = train_live(shared_gate(LIMITS.max_live_trainings), LIMITS, cfg,
                             on_log=view.on_log, should_stop=view.should_stop,
                             on_wait=view.on_wait)
        except AlreadyTraining as e:  # one place per visitor: say so, keep the page
            live_box.warning(f"Not started: {e}.", icon=":material/hourglass_top:")
            st.stop()
    if run is not None:
        st.session_state[LIVE_KEY] = run
    view.resume()
    st.rerun()
