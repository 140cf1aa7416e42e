"""The 3D element's view of a network (lenet_core/present/view_spec.py): what the browser is sent
once per network — planes, where each unit sits, colour rules, presets — and the element's value
as the page reads it (pages/ui/net3d.py)."""

import base64

import numpy as np
import pytest

from lenet_core.inspect import geometry
from lenet_core.model.architectures import ARCHITECTURES, get_architecture
from lenet_core.model.grammar import parse_network
from lenet_core.present import camera, colours
from lenet_core.present.view_spec import digest, spec_json, view_spec
from pages.ui.net3d import JS_MISSING, Selected, js_missing, selected_unit

CLASSES = [str(d) for d in range(10)]


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_the_view_names_every_plane_of_the_network_in_depth_order(name):
    arch = ARCHITECTURES[name]
    spec = view_spec(arch, CLASSES)
    planes = geometry.planes(arch)
    assert [(p["name"], p["shape"], p["size"]) for p in spec["planes"]] == \
        [(p.name, list(p.shape), p.size) for p in planes]
    assert set(spec["views"]) == set(camera.VIEWS) and spec["default_view"] == camera.DEFAULT_VIEW
    for view, preset in spec["views"].items():
        assert np.allclose(preset["rotation"], camera.rotation(view), atol=1e-6)
        assert {label["plane"] for label in preset["labels"] if not label["tile"]} <= {p.name for p in planes}
    assert [label["text"] for label in spec["views"]["3/4"]["labels"] if label["tile"]] == CLASSES
    assert len(spec_json(arch, CLASSES)) < 25_000  # sent once per network, beside its weights


def test_each_plane_is_coloured_by_what_its_last_layer_outputs():
    rules = {name: {p["name"]: p["rule"] for p in view_spec(ARCHITECTURES[name], CLASSES)["planes"]}
             for name in ("lenet-classic", "lenet5", "lenet-modern")}
    assert rules["lenet-classic"] == {"input": "grey", "conv1": "unit", "pool1": "unit", "conv2": "unit",
                                      "pool2": "unit", "fc1": "unit", "fc2": "unit", "fc3": "probability"}
    assert rules["lenet5"]["conv1"] == "tanh" and rules["lenet5"]["pool1"] == "tanh"
    assert rules["lenet-modern"]["conv1"] == "positive"  # conv, batch norm, ReLU: the ReLU's output
    spec = view_spec(ARCHITECTURES["lenet5"], CLASSES)
    assert {spec["rule_maps"][p["rule"]] for p in spec["planes"]} <= set(spec["colour_tables"])
    assert spec["colour_tables"]["diverging"] == colours.colour_table("diverging").tolist()


def test_a_plane_of_a_convolution_without_activation_is_signed():
    arch = parse_network("conv(4,5,pad=2) maxpool(2) flatten fc(10)", "bare")
    rules = {p["name"]: p["rule"] for p in view_spec(arch, CLASSES)["planes"]}
    assert rules["conv1"] == "signed" and rules["pool1"] == "signed"


def test_a_network_over_the_unit_budget_says_why_in_one_line():
    arch = parse_network("conv(64,3,pad=1) relu conv(64,3,pad=1) relu flatten fc(10)", "huge")
    assert view_spec(arch, CLASSES)["too_large"].startswith("this network has 101,146 units to draw")
    assert view_spec(get_architecture("lenet5"), CLASSES)["too_large"] is None


def test_the_digest_changes_with_the_bundle():
    assert digest("a", "b") == digest("a", "b") != digest("a", "c")


def test_the_elements_value_gives_the_selected_unit_and_its_image():
    image = np.linspace(0, 1, 784, dtype=np.float32)
    value = {"have": "x", "selected": {"plane": "conv2", "unit": [1, 2, 3]},
             "image": base64.b64encode(image.astype("<f4").tobytes()).decode()}
    chosen = selected_unit(value)
    assert isinstance(chosen, Selected) and (chosen.plane, chosen.unit) == ("conv2", (1, 2, 3))
    assert np.array_equal(chosen.image, image.reshape(28, 28))


@pytest.mark.parametrize("value", [None, "conv2", {"have": "x"}, {"selected": None},
                                   {"selected": {"plane": 3, "unit": [1]}},
                                   {"selected": {"plane": "fc1", "unit": ["1"]}},
                                   {"selected": {"plane": "fc1", "unit": 1}}])
def test_a_value_that_is_not_a_selection_selects_nothing(value):
    assert selected_unit(value) is None


@pytest.mark.parametrize("image", ["not base64!", base64.b64encode(b"\0" * 12).decode(),
                                   base64.b64encode(np.full(784, np.nan, "<f4").tobytes()).decode(), 7])
def test_a_selection_with_a_broken_image_keeps_the_unit_and_drops_the_image(image):
    chosen = selected_unit({"selected": {"plane": "fc1", "unit": [4]}, "image": image})
    assert chosen == Selected("fc1", (4,), None) or (chosen.unit == (4,) and chosen.image is None)


def test_without_three_js_the_page_says_how_to_install_it(tmp_path):
    assert js_missing() is None  # this checkout ran scripts/setup.sh
    assert js_missing(tmp_path) == JS_MISSING and "bash scripts/setup.sh" in JS_MISSING
