"""A network for colour and 32×32 images: written, fitted to a dataset, fed, taken apart and drawn.

An imported dataset may hold colour pictures (three channels) or 32×32 ones; a network chosen by
name learns it as it is (conv1 reads three channels, a 32×32 image is read without padding)."""

import re

import numpy as np
import pytest
import torch

from lenet_core.errors import LabError
from lenet_core.inspect import geometry
from lenet_core.inspect.activations import forward_all
from lenet_core.inspect.unit import inspect_unit
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.grammar import network_text, parse_network
from lenet_core.model.inputs import reads, standardise
from lenet_core.model.limits import fitted, input_problem
from lenet_core.model.shapes import shape_table
from lenet_core.present import pictures, scene
from lenet_core.present.view_spec import view_spec


@pytest.mark.parametrize("text, shape", [
    ("input(28,3) conv(6,5,pad=2) relu flatten fc(10)", (3, 28, 28)),
    ("input(32,3) conv(6,5) relu flatten fc(10)", (3, 32, 32)),
    ("input(32) conv(6,5) relu flatten fc(10)", (1, 32, 32)),
    ("input(28,1) conv(6,5) relu flatten fc(10)", (1, 28, 28)),
])
def test_the_text_names_the_input_and_the_first_layer_reads_its_channels(text, shape):
    arch = parse_network(text, "mine")
    assert arch.input_shape == shape and arch.layers[0].args["in_channels"] == shape[0]
    assert parse_network(network_text(arch), "mine") == arch  # text -> network -> text -> network
    assert network_text(arch).startswith("conv") == (shape == (1, 28, 28))


@pytest.mark.parametrize("text, says", [
    ("input(28,2) conv(6,5) flatten fc(10)", "input(28,2): 2 channels: the input has 1 (grey) or 3 (colour)"),
    ("input(30,3) conv(6,5) flatten fc(10)", "input(30,3): a side of 30: the input is 28 (the image as it "
                                             "is) or 32"),
])
def test_an_input_that_is_not_offered_is_refused_in_one_line(text, says):
    with pytest.raises(LabError, match=r"^" + re.escape(says)):
        parse_network(text, "mine")


def test_a_built_in_network_fitted_to_colour_32px_images_reads_them_and_keeps_its_layers():
    classic = ARCHITECTURES["lenet-classic"]
    arch = fitted(classic, classes=3, side=32, channels=3)
    assert arch.input_shape == (3, 32, 32) and arch.pad_for(32) == 0
    assert [s.module for s in arch.layers] == [s.module for s in classic.layers]
    # conv1 (pad 2) keeps 32, pool 16, conv2 12, pool 6: 16 maps of 6×6 into fc1
    assert arch.layers[0].args["in_channels"] == 3 and arch.layers[7].args["in_features"] == 16 * 6 * 6
    assert list(shape_table(arch).rows[-1].output_shape) == [1, 3]
    model = build_model(arch)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 3)
    # lenet5 reads 32×32 already: a grey 32×32 dataset leaves it as it is, padding nothing
    lenet5 = ARCHITECTURES["lenet5"]
    assert fitted(lenet5, 10, 32, 1) is lenet5 and lenet5.pad_for(32) == 0 and lenet5.pad == 2


def test_written_layers_that_do_not_read_the_datasets_images_say_what_to_write():
    grey = parse_network("conv(6,5) relu flatten fc(3)", "mine")
    assert input_problem(grey, "hues", 32, 3) == ("mine reads 1×28×28 inputs, but hues holds 3×32×32 "
                                                  "images: start its layers with input(32,3)")
    assert input_problem(grey, "mnist", 28, 1) is None
    colour = parse_network("input(28,3) conv(6,5) relu flatten fc(3)", "mine")
    assert input_problem(colour, "mnist", 28, 1) == ("mine reads 3×28×28 inputs, but mnist holds 1×28×28 "
                                                     "images: leave input(…) out of its layers")


def test_a_colour_picture_is_one_image_and_grey_becomes_three_equal_channels():
    arch = fitted(ARCHITECTURES["lenet-modern"], 3, 32, 3)
    picture = np.random.default_rng(0).integers(0, 256, (3, 32, 32), dtype=np.uint8)
    x = standardise(picture, 0.5, 0.25, arch)
    assert x.shape == (1, 3, 32, 32)
    assert torch.allclose(x[0, 2], (torch.from_numpy(picture[2]).float() / 255 - 0.5) / 0.25)
    stack = standardise(np.stack([picture] * 5), 0.0, 1.0, arch)
    assert stack.shape == (5, 3, 32, 32)
    drawing = np.random.default_rng(1).random((28, 28)).astype(np.float32)  # a grey 28×28 drawing
    x = standardise(drawing, 0.0, 1.0, arch)
    assert x.shape == (1, 3, 32, 32) and torch.equal(x[0, 0], x[0, 2])
    assert torch.equal(x[0, 1, 2:30, 2:30], torch.from_numpy(drawing)) and x[0, :, :2].abs().sum() == 0
    assert reads(arch, 28, 1) and reads(arch, 32, 3) and not reads(ARCHITECTURES["lenet-modern"], 32, 3)
    with pytest.raises(LabError, match=r"lenet-modern reads 1×28×28 inputs, not 3×32×32 images"):
        standardise(picture[None], 0.0, 1.0, "lenet-modern")


def test_a_unit_of_a_colour_network_reads_all_three_channels_and_its_field_is_on_the_32px_image():
    torch.manual_seed(0)
    arch = fitted(ARCHITECTURES["lenet-modern"], 3, 32, 3)
    model = build_model(arch).eval()
    x = standardise(np.random.default_rng(2).integers(0, 256, (3, 32, 32), dtype=np.uint8), 0.0, 1.0, arch)
    outputs, _ = forward_all(model, x)
    report = inspect_unit(model, arch, x, outputs, "conv1", (0, 0, 31), image_side=32)
    assert report.inputs.shape == (3, 5, 5) and report.weights.shape == (3, 5, 5)
    assert report.value == pytest.approx(float(outputs["conv1"][0, 0, 31]), abs=1e-5)
    assert (report.image_field.top, report.image_field.right) == (0, 31)  # clipped to the image
    assert report.receptive_field.right == 33  # its window reaches into conv1's padding


def test_the_3d_view_and_the_layer_pictures_show_a_colour_input_as_red_green_and_blue():
    arch = fitted(ARCHITECTURES["lenet-modern"], 3, 32, 3)
    planes = geometry.planes(arch)
    assert planes[0].shape == (3, 32, 32)
    assert scene.unit_where(planes[0], 32 * 32 + 5, ["a", "b", "c"]) == "green (0, 5)"
    assert scene.unit_where(geometry.planes(ARCHITECTURES["lenet-modern"])[0], 5, []) == "(0, 5)"
    spec = view_spec(arch, ["a", "b", "c"])
    assert spec["planes"][0]["map_names"] == ["red", "green", "blue"]
    assert spec["planes"][1]["map_names"] is None
    assert spec["colour_tables"]["green"][256] == [0, 255, 0]  # the green map's brightest value
    assert "green" not in view_spec(ARCHITECTURES["lenet-modern"], list("0123456789"))["colour_tables"]
    red = np.zeros((3, 4, 4), np.float32)
    red[0] = 1.0
    view = pictures.pixel_view(red, cell=5)
    assert view.shape == (20, 20, 3) and tuple(view[1, 1]) == (255, 0, 0)
    grid = pictures.feature_maps(red, pictures.ColourScale(0, 1, "grey", ""), names=["red", "green", "blue"])
    numbered = pictures.feature_maps(red, pictures.ColourScale(0, 1, "grey", ""))
    assert grid.shape == numbered.shape and not np.array_equal(grid, numbered)  # labelled, not numbered
