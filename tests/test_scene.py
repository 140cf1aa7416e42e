"""The 3D view's deck: what the browser gets for a scene — every unit once, where geometry put it,
coloured by its plane's rule, under 500 KB an update."""

import json
import math
import re

import numpy as np
import pydeck as pdk
import pytest
import torch

from lenet_core.inspect import geometry
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model, get_architecture, pad_to_input
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.model.inputs import model_input
from lenet_core.present import scene as scene3d

CLASSES = [str(i) for i in range(10)]
def setup(name, seed=0):
    torch.manual_seed(seed)
    arch = ARCHITECTURES[name]
    model = build_model(arch).eval()
    x = pad_to_input(torch.rand(1, 1, 28, 28), arch)
    outputs, probabilities = forward_all(model, x)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    return arch, model, x, outputs, scene


def deck_json(deck) -> dict:
    return json.loads(deck.to_json())


def tile_layers(spec) -> list[dict]:
    return [layer for layer in spec["layers"] if layer["@@type"] == "SolidPolygonLayer"]


def js_to_python(expression: str) -> str:
    """deck.gl's ``@@=`` expression as Python: ``(a | 0)`` (integer part) becomes ``(a // 1)``."""
    return expression.removeprefix("@@=").replace(" | 0)", " // 1)").replace("this[0]", "u")


def test_tiles_are_one_layer_a_plane():
    arch, model, x, outputs, scene = setup("lenet-modern")
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                              {p.name for p in scene.planes})
    assert [layer["id"] for layer in tile_layers(deck_json(deck))] == [p.name for p in scene.planes]


def test_a_new_drawing_recolours_the_tiles_without_rebuilding_them():
    """deck.gl keeps a plane's tiles across updates (its data compares equal) and recomputes
    what a trigger says changed: the colours after a new input, the tiles for another network."""
    def triggers(name, seed):
        arch, model, x, outputs, scene = setup(name, seed)
        deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                                  {p.name for p in scene.planes})
        layers = tile_layers(deck_json(deck))
        assert all(layer["dataComparator"] == f"@@={scene3d.SAME_DATA}" for layer in layers)
        return {layer["id"]: layer["updateTriggers"] for layer in layers}

    first, second = triggers("lenet5", 0), triggers("lenet5", 1)
    assert [t["getPolygon"] for t in first.values()] == [t["getPolygon"] for t in second.values()]
    changed = [name for name in first if first[name]["getFillColor"] != second[name]["getFillColor"]]
    assert changed == list(first), "a new input must recolour every plane"
    again = triggers("lenet5", 0)
    assert again == first, "the same input, the same triggers: nothing to redo"
    other = triggers("lenet-classic", 0)  # a 28×28 input: the input plane's tiles move
    assert other["input"]["getPolygon"] != first["input"]["getPolygon"]


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_unit_is_sent_once_where_geometry_put_it(name):
    arch, model, x, outputs, scene = setup(name)
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                              {p.name for p in scene.planes})
    sent = {}
    for layer in tile_layers(deck_json(deck)):
        plane = layer["id"]
        u = np.array([record[0] for record in layer["data"]], dtype=np.int64)
        i = u // scene3d.PACK
        polygon = eval(js_to_python(layer["getPolygon"]), {"u": u})
        # four corners, each N×3: a square of side TILE in the plane, counter-clockwise
        corners = [np.stack([np.broadcast_to(np.asarray(c, float), i.shape) for c in point], axis=1)
                   for point in polygon]
        side = scene3d.TILE
        for k, step in enumerate([(side, 0, 0), (side, side, 0), (0, side, 0)], start=1):
            np.testing.assert_allclose(corners[k] - corners[0], np.broadcast_to(step, corners[0].shape),
                                       atol=1e-4)
        for unit, corner in zip(i, corners[0]):
            assert (plane, int(unit)) not in sent
            sent[(plane, int(unit))] = corner
    assert len(sent) == len(scene)
    inset = np.array([scene3d.TILE / 2, scene3d.TILE / 2, 0])
    for plane in scene.planes:
        start = scene.find(plane.name, (0,) * len(plane.shape))
        for unit in (0, plane.size // 2, plane.size - 1):
            np.testing.assert_allclose(sent[(plane.name, unit)] + inset, scene.position[start + unit],
                                       atol=1e-4)


def test_a_units_colour_is_its_planes_rule_at_its_value():
    arch, model, x, outputs, scene = setup("lenet5")
    scales = scene3d.plane_scales(scene, model, outputs)
    assert scales["conv1"].vmin == -1 and scales["conv1"].vmax == 1  # tanh's fixed range
    assert scales["fc3"].cmap == "sequential" and scales["fc3"].vmax == 1  # probabilities
    assert scales["input"].cmap == "grey"
    deck = scene3d.build_deck(scene, scales, {p.name for p in scene.planes})
    for layer in tile_layers(deck_json(deck)):
        plane = geometry.plane_named(arch, layer["id"])
        unpacked = [scene3d.unpack(r[0]) for r in layer["data"]]
        assert [i for i, _ in unpacked] == list(range(plane.size))
        expected = scales[plane.name].colour(scene.values_of(plane))
        np.testing.assert_array_equal(np.array([rgb for _, rgb in unpacked]), expected)
        # the browser's expression unpacks the same colour
        u = np.array([r[0] for r in layer["data"]], dtype=np.int64)
        rgb = eval(js_to_python(layer["getFillColor"]), {"u": u})
        np.testing.assert_array_equal(np.stack([np.asarray(c, float) for c in rgb], axis=1), expected)


def test_tooltips_name_layer_map_row_column_and_value():
    arch, model, x, outputs, scene = setup("lenet-classic")
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs), {"conv2", "fc3"})
    texts = [r[1] for layer in tile_layers(deck_json(deck)) for r in layer["data"]]
    value = float(outputs["sigmoid2"][3, 4, 5])
    assert f"conv2 map 4 (4, 5): {value:.3f}" in texts
    assert any(re.fullmatch(r"fc3 class 7: p = \d\.\d{3}", t) for t in texts)
    assert deck_json(deck)["views"][0]["@@type"] == "OrbitView"
    assert "mapProvider" not in deck_json(deck) or deck_json(deck)["mapProvider"] is None


def test_hidden_layers_are_not_sent_and_cannot_be_picked():
    arch, model, x, outputs, scene = setup("lenet5")
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs), {"conv1", "fc1"})
    planes = {layer["id"] for layer in tile_layers(deck_json(deck))}
    assert planes == {"conv1", "fc1"}
    assert all(layer["pickable"] for layer in tile_layers(deck_json(deck)))


def test_a_selected_unit_gets_a_frame_and_one_line_per_visible_input():
    arch, model, x, outputs, scene = setup("lenet5")
    edges = geometry.unit_edges(model, arch, x, outputs, scene, "conv2", (2, 3, 3))
    scales = scene3d.plane_scales(scene, model, outputs)
    spec = deck_json(scene3d.build_deck(scene, scales, {p.name for p in scene.planes}, edges=edges))
    lines = next(layer for layer in spec["layers"] if layer["id"] == "lines")
    assert len(lines["data"]) == 150
    widths = sorted({r["w"] for r in lines["data"]})
    assert widths == [scene3d.LINE_WIDTH, 3 * scene3d.LINE_WIDTH]
    assert sum(r["w"] > scene3d.LINE_WIDTH for r in lines["data"]) == geometry.STRONGEST
    hidden = deck_json(scene3d.build_deck(scene, scales, {"conv2"}, edges=edges))
    assert next(layer for layer in hidden["layers"] if layer["id"] == "lines")["data"] == []


def test_line_colours_say_whether_a_product_raises_or_lowers_the_sum():
    rgba = scene3d.line_colours(np.array([-2.0, -0.1, 0.1, 2.0]))
    assert rgba[0, 2] > rgba[0, 0] and rgba[3, 0] > rgba[3, 2]  # blue lowers, red raises
    assert (rgba[:, 3] == 255).all()


def test_a_pick_names_the_plane_and_the_unit():
    planes = geometry.planes(ARCHITECTURES["lenet5"])
    u = int(scene3d.pack(np.array([790]), np.array([[1, 2, 3]]))[0])
    assert scene3d.unpack(u) == (790, [1, 2, 3])
    selection = {"indices": {"conv1": [790]}, "objects": {"conv1": [[u, "..."]]}}
    assert scene3d.picked_unit(planes, selection) == ("conv1", (1, 0, 6))
    assert scene3d.picked_unit(planes, {"indices": {}, "objects": {}}) is None
    assert scene3d.picked_unit(planes, {"objects": {"labels": [{"t": "conv1 6@28x28"}]}}) is None


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_an_update_stays_under_500_kb_with_the_largest_set_of_lines(name):
    arch, model, x, outputs, scene = setup(name)
    edges = geometry.unit_edges(model, arch, x, outputs, scene, "fc1", (0,))  # 400 lines
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                              {p.name for p in scene.planes}, edges=edges)
    assert scene3d.payload_bytes(deck) < scene3d.payload_goal(scene.planes)
    indented = pdk.Deck.to_json(deck)  # what pydeck itself would send
    assert scene3d.payload_bytes(deck) < len(indented.encode()) / 2


def test_the_bundled_digit_model_on_a_drawn_seven_fits_too():
    model, meta = load_model(pretrained_path("digits"))
    pixels = np.zeros((28, 28), np.uint8)
    pixels[5:8, 6:22] = 255
    pixels[8:23, 16:19] = 255
    x = model_input(pixels, meta)
    outputs, probabilities = forward_all(model, x)
    scene = geometry.build_scene(get_architecture(meta.arch), x, outputs, probabilities, meta.classes)
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                              {p.name for p in scene.planes})
    assert scene3d.payload_bytes(deck) < scene3d.payload_goal(scene.planes)  # its units' share of the goal


def test_difference_scales_are_signed_for_every_plane():
    arch, model, x, outputs, scene = setup("lenet-classic")
    other = geometry.build_scene(arch, x * 0.5, *forward_all(model, x * 0.5), CLASSES)
    diff = geometry.difference(scene, other)
    scales = scene3d.plane_scales(diff, model, outputs, difference=True)
    assert all(s.cmap == "diverging" and s.vmin == -s.vmax for s in scales.values())


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_camera_presets_zoom_out_for_a_wider_network_so_it_fits_the_view(name):
    scene = setup(name)[4]
    span = scene3d.scene_span(scene)
    zooms = {view: json.loads(pdk.Deck(initial_view_state=scene3d.view_state(scene, view)).to_json())
             ["initialViewState"]["zoom"] for view in scene3d.VIEWS}
    for view, zoom in zooms.items():
        # deck.gl's zoom is a power of two: a network twice as wide gets ZOOM_OUT of a step less
        expected = scene3d.VIEWS[view]["zoom"] - scene3d.ZOOM_OUT * max(0.0, math.log2(span))
        assert zoom == pytest.approx(expected, abs=0.01)
    if name == "lenet-wide":  # 16 maps a row beside LeNet's 6: 2.3 times as wide
        assert span == pytest.approx(507 / 219) and zooms["3/4"] < scene3d.VIEWS["3/4"]["zoom"] - 0.5
    else:  # LeNet's own layouts keep the presets as they were tuned
        assert zooms == {view: preset["zoom"] for view, preset in scene3d.VIEWS.items()}


def test_camera_presets_aim_at_the_middle_of_the_network():
    arch, model, x, outputs, scene = setup("lenet5")
    for view in scene3d.VIEWS:
        state = json.loads(pdk.Deck(initial_view_state=scene3d.view_state(scene, view)).to_json())
        assert state["initialViewState"]["target"][2] == pytest.approx(-3.5 * geometry.DEPTH)
