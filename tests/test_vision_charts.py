"""/vision's charts and words, without Streamlit: specs stay the same when only the digit
changes, maps sit on the right pixels, and bad drawings get a learner's message."""

import numpy as np
import pytest
import torch

from attention.charts.digits import digit_maps, patches_chart
from attention.lab import train
from attention.lab import vision_view as vv
from attention.lab.digits import format_pixels, load_split, parse_pixels
from attention.lab.vision_analysis import digit_view, held_out_digit

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def run():
    return train(task="digits", steps=30, log_points=4)


def test_pixels_round_trip_and_messages():
    image = load_split().test_images[11]
    text = format_pixels(image)
    assert text.count(";") == 7
    assert torch.equal(parse_pixels(text), image)
    assert torch.equal(parse_pixels(text.replace("\n", "")), image)  # a link drops line breaks
    for bad, said in [("1 2 3", "64 numbers"), (" ".join(["x"] * 64), "'x' is not a number"),
                      (" ".join(["20"] * 64), "0 to 16"), (" ".join(["-1"] * 64), "0 to 16")]:
        with pytest.raises(ValueError, match=said):
            parse_pixels(bad)


def test_a_patch_value_covers_its_pixels():
    spread = vv.spread(np.arange(16.0), 2)  # (8, 8)
    assert spread[0, 0] == spread[1, 1] == 0 and spread[0, 2] == 1 and spread[7, 7] == 15
    assert vv.patch_name(5, 2) == "patch 5 (rows 2-3, cols 2-3)"
    assert vv.patch_name(9, 1) == "patch 9 (rows 1, cols 1)"


def test_specs_do_not_change_with_the_digit(run):
    a, b = (digit_view(run, *held_out_digit(i)) for i in (0, 1))
    for make in (vv.class_token_chart, vv.entropy_chart, vv.tokens_chart,
                 lambda v: vv.patch_chart(v, 1, 0), lambda v: vv.look_and_need_chart(v)[0]):
        ca, cb = make(a), make(b)
        assert ca.spec == cb.spec and not ca.data.equals(cb.data)
        assert np.isfinite(ca.data.select_dtypes("number").to_numpy(dtype=float)).all()
    cls = vv.class_token_chart(a).data
    assert len(cls) == 2 * 4 * 64 and cls["ink"].max() == 16
    # the pixel's value is its patch's weight on the class token's row
    first = cls[cls["panel"] == "layer 0 head 0"]
    np.testing.assert_allclose(first["value"].to_numpy()[:2], a.cls_maps[0, 0, 0], rtol=1e-6)
    assert len(patches_chart(a.image, 2).data) == 64


def test_agreement_names_patches_and_occlusion_is_signed(run):
    view = digit_view(run, *held_out_digit(2))
    text = vv.agreement_text(view)
    assert "patch" in text
    look, need = vv.look_and_need_chart(view)
    assert "redblue" in str(need.spec) and "viridis" in str(look.spec)
    signed = digit_maps(np.full((1, 8, 8), -0.3), view.image, ["x"], vv.patch_of(2), kind="signed")
    assert signed.data["value"].min() == -0.3
