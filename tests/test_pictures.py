"""Pictures of activations: colour rules per layer, grids, strips, filters, legends and charts."""

import numpy as np
import pytest
import torch

from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import build_model
from lenet_core.present import colours, pictures
from lenet_core.present.charts.guesses import probability_chart


def outputs_of(arch):
    torch.manual_seed(0)
    model = build_model(arch).eval()
    side = 32 if arch == "lenet5" else 28
    x = torch.randn(1, 1, side, side)
    outputs, _ = forward_all(model, x)
    return model, outputs


def test_one_colour_rule_per_layer_from_what_the_layer_can_output():
    model, outputs = outputs_of("lenet-classic")
    scales = colours.layer_scales(model, outputs)
    assert list(scales) == list(outputs)
    # Sigmoid outputs and the pooling/flatten after them: fixed 0…1, whatever the input.
    for name in ("sigmoid1", "pool1", "sigmoid2", "pool2", "flatten", "sigmoid3"):
        assert (scales[name].vmin, scales[name].vmax, scales[name].cmap) == (0.0, 1.0, "sequential")
    # Convolutions and dense layers: symmetric about zero, as large as the layer's largest value.
    for name in ("conv1", "conv2", "fc1", "fc3"):
        s = scales[name]
        assert s.cmap == "diverging" and s.vmin == -s.vmax
        assert s.vmax == pytest.approx(outputs[name].abs().max().item(), rel=1e-5)


def test_tanh_is_fixed_and_relu_starts_at_zero():
    model, outputs = outputs_of("lenet5")
    scales = colours.layer_scales(model, outputs)
    assert (scales["tanh1"].vmin, scales["tanh1"].vmax, scales["pool1"].vmin) == (-1.0, 1.0, -1.0)
    model, outputs = outputs_of("lenet-modern")
    scales = colours.layer_scales(model, outputs)
    relu = scales["relu1"]
    assert relu.vmin == 0.0 and relu.vmax == pytest.approx(outputs["relu1"].max().item())
    assert scales["bn1"].cmap == "diverging"


def test_colour_maps_ends_and_middle():
    diverging = colours.ColourScale(-2.0, 2.0, "diverging", "")
    low, zero, high = diverging.colour(np.array([-5.0, 0.0, 5.0]))  # outside the range: clipped
    assert tuple(zero) == (247, 247, 247)  # white at zero
    assert low[2] > low[0] and high[0] > high[2]  # blue below, red above
    grey = colours.ColourScale(0, 1, "grey", "")
    assert tuple(grey.colour(np.array(0.0))) == (0, 0, 0) and tuple(grey.colour(np.array(1.0))) == (255,) * 3


def test_feature_map_grid_lays_out_every_map_enlarged():
    maps = np.zeros((16, 10, 10), np.float32)
    maps[5] = 1.0  # the sixth map lit up
    scale = colours.ColourScale(0, 1, "grey", "")
    image = pictures.grid(maps, scale, cols=8, zoom=8, gap=3)
    assert image.shape == (2 * 80 + 3, 8 * 80 + 7 * 3, 3) and image.dtype == np.uint8
    sixth = image[0:80, 5 * 83:5 * 83 + 80]
    assert (sixth == 255).all() and (image[0:80, 0:80] == 0).all()
    numbered = pictures.feature_maps(maps, scale)  # default zoom 8 for 10×10 maps, numbers above
    assert numbered.shape[0] == 2 * (80 + 13) + 3


def test_cell_zoom_makes_lenet_maps_similar_sizes():
    assert [pictures.cell_zoom(s) for s in (28, 14, 10, 5)] == [3, 6, 8, 17]


def test_dense_strip_one_square_per_unit():
    scale = colours.ColourScale(-1, 1, "diverging", "")
    strip = pictures.dense_strip(np.linspace(-1, 1, 120), scale)
    assert strip.shape == (16, 120 * 6, 3)
    wrapped = pictures.dense_strip(np.zeros(400), scale)  # more than 128 units wrap, 50 a row
    assert wrapped.shape[:2] == (8 * 14, 50 * 14)
    labelled = pictures.dense_strip(np.zeros(10), scale, labels=list("0123456789"))
    assert labelled.shape == (40 + 14, 400, 3)


def test_filter_grid_rows_are_input_channels_columns_filters():
    model = build_model("lenet-classic")
    image, scale = pictures.filter_grid(model.conv2.weight.detach())
    assert scale.vmin == -scale.vmax == -model.conv2.weight.abs().max().item()
    zoom = pictures.cell_zoom(5, 40)
    assert image.shape[1] == 16 * 5 * zoom + 15 * 6 + 2  # 16 filters across, framed
    assert image.shape[0] == 13 + 6 * 5 * zoom + 5 * 6 + 2  # 6 input channels down, numbers on top only


def test_each_filter_is_framed_and_set_apart_even_where_its_weights_are_white():
    weights = np.zeros((2, 1, 5, 5), np.float32)  # all zero: white on the diverging scale
    weights[0, 0, 0, 0] = 1.0
    image, _ = pictures.filter_grid(weights)
    zoom = pictures.cell_zoom(5, 40)
    top = 13 + 1  # the numbers' band, then the frame
    first_right, second_left = 1 + 5 * zoom, 1 + 5 * zoom + 6
    row = image[top + 20]
    assert tuple(row[first_right]) == pictures.FRAME_COLOUR  # just outside filter 1
    assert tuple(row[second_left - 1]) == pictures.FRAME_COLOUR  # just outside filter 2
    assert all(tuple(px) == pictures.GAP_COLOUR for px in row[first_right + 1:second_left - 1])
    assert tuple(row[first_right - 1]) == (247, 247, 247)  # a white-ish zero weight, inside


def test_a_picture_as_a_png_data_url_reads_back_the_same():
    import base64
    import io

    from PIL import Image

    picture = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    url = pictures.png_data_url(picture)
    assert url.startswith("data:image/png;base64,")
    back = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    assert np.array_equal(back, picture)


def test_a_sized_picture_states_its_box_before_it_loads_and_escapes_its_words():
    import re

    tile = np.zeros((58, 287), np.uint8)  # five 56-px drawings and their gaps
    tag = pictures.sized_img_html(tile, 285, 'my "digits" <5>')
    assert re.fullmatch(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" width="285" height="58" '
                        r'alt="my &quot;digits&quot; &lt;5&gt;" style="[^"]+">', tag)
    row = pictures.captioned_row_html([tile[:, :56], tile[:, :56]], ["#3 (1): 1 → 7", "#8 <2>"], 56)
    assert row.count('width="56" height="58"') == 2 and row.count("<figcaption") == 2
    assert "#3 (1): 1 → 7</figcaption>" in row and "#8 &lt;2&gt;</figcaption>" in row


def test_pixel_view_draws_a_border_around_every_pixel():
    image = np.ones((28, 28), np.float32)
    view = pictures.pixel_view(image, cell=10)
    assert view.shape == (280, 280, 3)
    assert (view[9::10, :] == 70).all() and (view[:, 9::10] == 70).all()
    assert (view[0:9, 0:9] == 255).all()


def test_saliency_overlay_is_red_for_support_and_blue_against():
    image = np.zeros((28, 28), np.float32)
    image[5:20, 5:8] = image[5:20, 20:23] = 1
    heat = np.zeros((28, 28), np.float32)
    heat[5:20, 5:8], heat[5:20, 20:23] = 0.4, -0.2
    overlay, strength = pictures.saliency_overlay(image, heat, cell=10)
    assert strength == pytest.approx(0.4)
    red, blue, background = overlay[100, 60], overlay[100, 210], overlay[255, 255]
    assert red[0] > 150 > red[2] and blue[2] > blue[0]
    assert background[0] == background[1] == background[2]  # plain grey where there is no evidence


def test_legend_shows_the_range_and_the_rule():
    html = colours.legend_html(colours.signed_scale(np.array([-0.5, 2.0]), "signed output"))
    assert "−2" in html and ">2<" in html and ">0<" in html and "signed output" in html
    fixed = colours.legend_html(colours.fixed_scale(0, 1, "sigmoid range"))
    assert "same for every input" in fixed and ">0<" in fixed


def test_probability_chart_highlights_first_and_second_guess():
    p = np.array([0.01, 0.02, 0.7, 0.01, 0.2, 0.01, 0.01, 0.02, 0.01, 0.01])
    spec = probability_chart(p, [str(i) for i in range(10)]).to_dict()
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    roles = {row["class"]: row["role"] for row in rows}
    assert roles["2"] == "first guess" and roles["4"] == "second guess"
    assert sum(r == "other" for r in roles.values()) == 8
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, 1]


def test_with_a_label_the_guess_is_green_when_right_and_red_when_wrong():
    p = np.array([0.01, 0.02, 0.7, 0.01, 0.2, 0.01, 0.01, 0.02, 0.01, 0.01])
    classes = [str(i) for i in range(10)]

    def roles(truth):
        spec = probability_chart(p, classes, truth=truth).to_dict()
        rows = spec["datasets"][next(iter(spec["datasets"]))]
        scale = spec["layer"][0]["encoding"]["color"]["scale"]
        colour = dict(zip(scale["domain"], scale["range"]))
        return {row["class"]: colour.get(row["role"]) for row in rows if row["role"] != "other"}

    assert roles(2) == {"2": "#2ca02c"}  # right: green, and nothing red beside it
    assert roles(4) == {"2": "#d62728", "4": "#98df8a"}  # wrong: red guess, the label light green


def test_every_probability_bar_carries_its_value_even_when_too_small_to_see():
    p = np.array([0.9994, 0.0004, 0.0002] + [0.0] * 7)
    spec = probability_chart(p, [str(i) for i in range(10)]).to_dict()
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    labels = {row["class"]: row["label"] for row in rows}
    assert labels["0"] == ">99.9%" and labels["1"] == "<0.1%" and labels["2"] == "<0.1%"
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert [t["encoding"]["text"]["field"] for t in texts] == ["label", "label"]
    # the long bar's value inside it, every other one beside its bar: every class gets one
    filters = [t["transform"][0]["filter"] for t in texts]
    assert filters == ["datum.probability <= 0.8", "datum.probability > 0.8"]


def test_probability_axis_always_labels_zero_and_one_hundred_percent():
    # In the Draw page's narrow column the axis read 0%, 40%, 80%: no 100% for a sure guess.
    spec = probability_chart(np.full(10, 0.1), [str(i) for i in range(10)]).to_dict()
    values = spec["encoding"]["x"]["axis"]["values"]
    assert values[0] == 0 and values[-1] == 1


def test_one_sample_enlarged_for_the_page_grey_as_it_is_colour_with_its_channels_last():
    grey = np.arange(4, dtype=np.uint8).reshape(2, 2)
    assert pictures.sample_picture(grey, 3).shape == (6, 6) and pictures.sample_picture(grey, 3)[5, 5] == 3
    colour = np.zeros((3, 2, 2), np.uint8)
    colour[2, 0, 1] = 200  # blue, top right
    shown = pictures.sample_picture(colour, 2)
    assert shown.shape == (4, 4, 3) and tuple(shown[0, 3]) == (0, 0, 200) and tuple(shown[3, 0]) == (0, 0, 0)


def test_colour_images_tile_into_a_colour_grid():
    red = np.zeros((2, 3, 4, 4), np.uint8)
    red[:, 0] = 255
    grid = pictures.tile(red, ncols=2, scale=2)
    assert grid.shape == (8, 17, 3)  # two 8-px cells and a 1-px gap
    assert grid[0, 0].tolist() == [255, 0, 0] and grid[0, 8].tolist() == [pictures.GAP_VALUE] * 3
