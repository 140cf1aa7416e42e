"""AppTest: the Network in 3D page — the element it draws, the weights it sends once per model,
and a click's unit opened in the unit inspector."""

import json

import numpy as np
from helpers import click_unit, element_args, open_page

from lenet_core.data import read_split
from lenet_core.data.preprocess import mnist_style
from pages.ui import state

PAGE = "pages/views/network3d.py"
ELEMENT = state.key(state.LIVE, state.NET3D_ELEMENT)


def a_digit() -> np.ndarray:
    images, _ = read_split("mnist-5k", "test")
    return mnist_style(np.asarray(images[0])).image


def test_the_page_sends_the_network_and_its_weights_once(lab_home):
    at = open_page(PAGE)
    assert not at.exception
    first = element_args(at, state.LIVE)
    assert first["mode"] == "live"
    bundle, spec = json.loads(first["bundle"]), json.loads(first["spec"])
    assert bundle["arch"] == spec["arch"] == "lenet-wide"  # the bundled digit model
    assert len(first["bundle"]) < 1_000_000  # a model's weights: under 1 MB
    at.session_state[ELEMENT] = {"have": first["model_id"]}  # what the element says once it holds them
    at.run()
    again = element_args(at, state.LIVE)
    assert again["model_id"] == first["model_id"] and again["bundle"] is None and again["spec"] is None
    assert "Click a unit in the view" in " ".join(c.value for c in at.caption)


def test_an_element_that_lost_the_model_is_sent_it_again(lab_home):
    at = open_page(PAGE)
    at.session_state[ELEMENT] = {"have": None}  # a rebuilt element asks again
    at.run()
    assert element_args(at, state.LIVE)["bundle"] is not None


def test_a_clicked_unit_opens_in_the_unit_inspector(lab_home):
    at = open_page(PAGE)
    click_unit(at, state.LIVE, "conv2", [5, 3, 4], a_digit())
    assert not at.exception
    assert at.session_state[state.key(state.LIVE, state.UNIT_OPEN)] is True
    layer = at.selectbox(key=state.key(state.key(state.LIVE, state.UNIT), state.UNIT_LAYER))
    assert layer.value == "conv2"
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "conv2" in text
    # a later rerun (the inspector's own widgets) keeps the person's own choice of layer
    layer.set_value("conv1").run()
    assert at.selectbox(key=state.key(state.key(state.LIVE, state.UNIT), state.UNIT_LAYER)).value == "conv1"


def test_a_clicked_input_pixel_says_it_reads_nothing(lab_home):
    at = open_page(PAGE)
    click_unit(at, state.LIVE, "input", [0, 14, 14], a_digit())
    assert not at.exception
    assert any("input pixel" in c.value for c in at.caption)


def test_a_click_without_a_drawing_asks_for_one(lab_home):
    at = open_page(PAGE)
    click_unit(at, state.LIVE, "conv2", [5, 3, 4], None)
    assert not at.exception
    assert any("Click a unit in the view" in c.value for c in at.caption)
