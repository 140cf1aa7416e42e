"""The 3D view's deck: what the browser gets for a scene — every unit once, where geometry put it,
coloured by its plane's rule, under 500 KB an update."""

import json
import math
import re
from dataclasses import replace

import numpy as np
import pydeck as pdk
import pytest
import torch

from lenet_core import data
from lenet_core.inspect import geometry, selection
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model, get_architecture, pad_to_input
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.model.inputs import model_input
from lenet_core.present import camera
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


def plane_of(layer: dict) -> str:
    return layer["id"].split(scene3d.ID_SEP)[0]


def js_to_python(expression: str) -> str:
    """deck.gl's ``@@=`` expression as Python: ``(a | 0)`` (integer part) becomes ``(a // 1)``."""
    return expression.removeprefix("@@=").replace(" | 0)", " // 1)").replace("this[0]", "u")


def test_tiles_are_one_layer_a_plane_and_another_network_gets_new_layers():
    """A layer keeps its data while SAME_DATA says "same": a model of another architecture must
    not colour the old network's units, so its layers have other ids."""
    def ids(name):
        arch, model, x, outputs, scene = setup(name)
        deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                                  {p.name for p in scene.planes})
        layers = tile_layers(deck_json(deck))
        assert [plane_of(layer) for layer in layers] == [p.name for p in scene.planes]
        return {layer["id"] for layer in layers}

    assert not ids("lenet-modern") & ids("lenet-wide")


def test_a_new_drawing_recolours_the_tiles_without_rebuilding_them():
    """deck.gl keeps a plane's tiles across updates (its data compares equal) and recomputes
    what a trigger says changed: the colours after a new input, the tiles for another network."""
    def triggers(name, seed):
        arch, model, x, outputs, scene = setup(name, seed)
        deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                                  {p.name for p in scene.planes})
        layers = tile_layers(deck_json(deck))
        assert all(layer["dataComparator"] == f"@@={scene3d.SAME_DATA}" for layer in layers)
        return {plane_of(layer): layer["updateTriggers"] for layer in layers}

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
        plane = plane_of(layer)
        u = np.array([record[0] for record in layer["data"]], dtype=np.int64)
        i = u // scene3d.PACK
        polygon = eval(js_to_python(layer["getPolygon"]), {"u": u})
        # four corners, each N×3: a square of side TILE in the plane, counter-clockwise
        corners = [np.stack([np.broadcast_to(np.asarray(c, float), i.shape) for c in point], axis=1)
                   for point in polygon]
        side = geometry.TILE
        for k, step in enumerate([(side, 0, 0), (side, side, 0), (0, side, 0)], start=1):
            np.testing.assert_allclose(corners[k] - corners[0], np.broadcast_to(step, corners[0].shape),
                                       atol=1e-4)
        for unit, corner in zip(i, corners[0]):
            assert (plane, int(unit)) not in sent
            sent[(plane, int(unit))] = corner
    assert len(sent) == len(scene)
    inset = np.array([geometry.TILE / 2, geometry.TILE / 2, 0])
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
        plane = geometry.plane_named(arch, plane_of(layer))
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
    assert f"conv2 map 3 (4, 5): {value:.3f}" in texts  # from 0, as PyTorch indexes (every view does)
    assert any(re.fullmatch(r"fc3 class 7: p = \d\.\d{3}", t) for t in texts)
    assert deck_json(deck)["views"][0]["@@type"] == "OrbitView"
    assert "mapProvider" not in deck_json(deck) or deck_json(deck)["mapProvider"] is None


def test_hidden_layers_are_not_sent_and_cannot_be_picked():
    arch, model, x, outputs, scene = setup("lenet5")
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs), {"conv1", "fc1"})
    planes = {plane_of(layer) for layer in tile_layers(deck_json(deck))}
    assert planes == {"conv1", "fc1"}
    assert all(layer["pickable"] for layer in tile_layers(deck_json(deck)))


def test_a_selected_unit_gets_a_frame_and_one_line_per_visible_input():
    arch, model, x, outputs, scene = setup("lenet5")
    edges = selection.unit_edges(model, arch, x, outputs, scene, "conv2", (2, 3, 3))
    scales = scene3d.plane_scales(scene, model, outputs)
    spec = deck_json(scene3d.build_deck(scene, scales, {p.name for p in scene.planes}, edges=edges))
    lines = next(layer for layer in spec["layers"] if layer["id"] == "lines")
    assert len(lines["data"]) == 150
    widths = sorted({r["w"] for r in lines["data"]})
    assert widths == [scene3d.LINE_WIDTH, 3 * scene3d.LINE_WIDTH]
    assert sum(r["w"] > scene3d.LINE_WIDTH for r in lines["data"]) == selection.STRONGEST
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
    picked = {"indices": {"conv1": [790]}, "objects": {"conv1": [[u, "..."]]}}
    assert scene3d.picked_unit(planes, picked) == ("conv1", (1, 0, 6))
    assert scene3d.picked_unit(planes, {"indices": {}, "objects": {}}) is None
    assert scene3d.picked_unit(planes, {"objects": {"labels": [{"t": "conv1 6@28x28"}]}}) is None


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_an_update_stays_under_500_kb_with_the_largest_set_of_lines(name):
    arch, model, x, outputs, scene = setup(name)
    edges = selection.unit_edges(model, arch, x, outputs, scene, "fc1", (0,))  # 400 lines
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


# ---- the camera: deck.gl's orthographic OrbitView, framed to each network -------------------

def deck_gl_pixels(points, view, zoom, target, width, height, fovy=50.0):
    """Where deck.gl's OrbitViewport puts points, written out as its source does it (math.gl's
    column-vector matrices): view = lookAt(eye at focalDistance on z) · rotateX · rotateY ·
    scale(2^zoom / height) · translate(-target); orthographic({fovy, aspect, focalDistance});
    pixels from the top-left corner."""
    def rotate(axis, degrees):
        c, s_ = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        m = np.eye(4)
        i, j = {"x": (1, 2), "y": (2, 0)}[axis]
        m[i, i], m[i, j], m[j, i], m[j, j] = c, -s_, s_, c
        return m

    focal = 0.5 / math.tan(math.radians(fovy) / 2)  # fovyToAltitude
    look = np.eye(4)
    look[2, 3] = -focal  # lookAt({eye: [0, 0, focal], up: [0, 1, 0]})
    scale, move = np.diag([2.0 ** zoom / height] * 3 + [1]), np.eye(4)
    move[:3, 3] = -np.asarray(target)
    preset = camera.VIEWS[view]
    turn = rotate("x", preset["rotationX"]) @ rotate("y", preset["rotationOrbit"])
    view_matrix = look @ turn @ scale @ move
    top = focal * math.tan(math.radians(fovy) / 2)
    right, near, far = top * width / height, camera.NEAR, camera.FAR
    ortho = np.diag([1 / right, 1 / top, -2 / (far - near), 1.0])
    ortho[2, 3] = -(far + near) / (far - near)
    clip = (ortho @ view_matrix @ np.c_[points, np.ones(len(points))].T).T
    ndc = clip[:, :3] / clip[:, 3:]
    pixels = np.stack([(ndc[:, 0] + 1) * width / 2, (1 - ndc[:, 1]) * height / 2], axis=1)
    return pixels, clip[:, 3], ndc[:, 2]


@pytest.mark.parametrize("view", list(camera.VIEWS))
def test_points_land_where_deck_gls_orbit_viewport_puts_them(view):
    points = np.random.default_rng(0).uniform(-200, 200, (50, 3))
    target, zoom, width, height = (12.0, -3.0, -100.0), 1.3, 820, 400
    expected, w, _ = deck_gl_pixels(points, view, zoom, target, width, height)
    got = camera.to_screen(points, view, zoom, target) + [width / 2, height / 2]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert (w == 1).all()  # orthographic: no point is ever behind the camera
    other_fovy, *_ = deck_gl_pixels(points, view, zoom, target, width, height, fovy=20)
    np.testing.assert_allclose(other_fovy, expected, atol=1e-6)  # fovy plays no part


def tile_corners(scene) -> np.ndarray:
    h = geometry.TILE / 2
    return np.concatenate([scene.position + [dx, dy, 0] for dx in (-h, h) for dy in (-h, h)])


def assert_framed(scene, view) -> camera.Frame:
    """Every tile corner and label box of ``scene`` inside the narrowest view with the margin,
    no two labels overlapping, each plane named once, and the frame the largest that fits."""
    framed = scene3d.scene_frame(scene, view)
    width, height = camera.NARROWEST, framed.height
    assert camera.HEIGHTS[0] <= height <= camera.HEIGHTS[1]
    inside = np.array([width, height]) / 2 - camera.MARGIN + 1e-6
    tiles = camera.to_screen(tile_corners(scene), view, framed.zoom, framed.target)
    assert (np.abs(tiles) <= inside).all(), "a tile falls outside the view"
    boxes = [camera.label_box(label, view, framed.zoom, framed.target) for label in framed.labels]
    assert all((np.abs(box) <= np.tile(inside, 2)).all() for box in boxes), "a label falls outside"
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], "two labels overlap"
    assert [label.plane for label in framed.labels if not label.tile] == [p.name for p in scene.planes]
    # the largest such zoom: a step more and the network or its labels leave the view
    bigger = framed.zoom + camera.ZOOM_STEP
    corners = np.concatenate([camera.plane_corners(plane) for plane in scene.planes])
    box = camera.bounds(corners, camera.place_labels(tuple(scene.planes), scene.classes, view, bigger),
                        view, bigger)
    assert ((box[2:] - box[:2]) > np.array([width, camera.HEIGHTS[1]]) - 2 * camera.MARGIN).any()
    return framed


@pytest.mark.parametrize("view", list(camera.VIEWS))
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_tile_and_label_fits_the_narrowest_view_and_no_two_labels_overlap(name, view):
    framed = assert_framed(setup(name)[4], view)
    classes = [label.text for label in framed.labels if label.tile]
    assert classes == (CLASSES if view in ("3/4", "top") else [])  # hidden in front, edge-on at side


def test_long_class_names_are_left_out_where_they_would_overlap():
    fashion = data.get_dataset("fashion-mnist").classes
    scene = replace(setup("lenet-modern")[4], classes=fashion)
    for view in camera.VIEWS:
        framed = assert_framed(scene, view)
        shown = [label.text for label in framed.labels if label.tile]
        assert shown == (list(fashion) if view == "top" else []), view


def test_the_view_is_as_tall_as_the_network_needs():
    scenes = {name: setup(name)[4] for name in ("lenet5", "lenet-wide")}
    assert scene3d.view_height(scenes["lenet5"], "top") > 500  # a stack of eight planes seen from above
    assert scene3d.view_height(scenes["lenet-wide"], "3/4") == camera.HEIGHTS[0]  # wide and low


def test_a_lines_width_is_in_pixels_at_every_zoom():
    """pydeck reads a bare string as an expression: ``width_units="pixels"`` became
    "@@=pixels" and deck.gl drew the lines in scene units, wider with each zoom step."""
    arch, model, x, outputs, scene = setup("lenet5")
    edges = selection.unit_edges(model, arch, x, outputs, scene, "conv2", (2, 3, 3))
    spec = deck_json(scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                                        {p.name for p in scene.planes}, edges=edges))
    lines = next(layer for layer in spec["layers"] if layer["id"] == "lines")
    assert lines["widthUnits"] == "pixels"
    (orbit,) = spec["views"]
    assert orbit["@@type"] == "OrbitView" and orbit["orthographic"] is True
    assert (orbit["near"], orbit["far"]) == (camera.NEAR, camera.FAR)


def test_near_and_far_keep_every_plane_in_view_and_zoom_about_the_pointer():
    """At the largest zoom in the lowest view: nothing twice the widest network's reach from its
    middle is clipped (the target may wander); deck.gl's zoom about the pointer, which reads near
    and far back as if the projection were a perspective one (panByPosition), stays within 6 %
    of true for a point anywhere in the network; and at every preset's framed zoom two planes
    lie several steps of deck.gl's 16-bit picking depth buffer apart."""
    focal = 0.5 / math.tan(math.radians(25))
    near, far = camera.NEAR, camera.FAR
    corners = np.concatenate([camera.plane_corners(p) for p in geometry.planes(ARCHITECTURES["lenet-wide"])])
    reach = np.linalg.norm(corners - (corners.min(axis=0) + corners.max(axis=0)) / 2, axis=1).max()
    per_unit = 2.0 ** camera.MAX_ZOOM / camera.HEIGHTS[0]
    z_view = per_unit * np.linspace(-2 * reach, 2 * reach, 101) - focal
    assert ((-far <= z_view) & (z_view <= -near)).all()
    m10, m14 = -2 / (far - near), -(far + near) / (far - near)
    n, f = m14 / (m10 - 1), m14 / (m10 + 1)  # deck.gl's getProjectionParameters
    z_view = per_unit * np.linspace(-reach, reach, 101) - focal
    depth = (-2 * z_view - (far + near)) / (far - near)
    centre = (2 * focal - (far + near)) / (far - near)
    ratio = (f - centre * (f - n)) / (f - depth * (f - n))
    assert np.isfinite(ratio).all() and np.abs(ratio - 1).max() < 0.06
    for name in ARCHITECTURES:
        scene = setup(name)[4]
        for view in camera.VIEWS:
            framed = scene3d.scene_frame(scene, view)
            steps = 2.0 ** framed.zoom / framed.height * geometry.DEPTH * 2 ** 16 / (far - near)
            assert steps > 3, (name, view)


def test_the_camera_depends_on_the_network_only():
    """A new drawing or a hidden layer leaves the camera where it is; hidden planes lose their
    labels only."""
    arch, model, x, outputs, scene = setup("lenet5")
    scales = scene3d.plane_scales(scene, model, outputs)
    whole = deck_json(scene3d.build_deck(scene, scales, {p.name for p in scene.planes}, view="side"))
    other = setup("lenet5", seed=3)[4]
    again = deck_json(scene3d.build_deck(other, scales, {"conv1", "fc1"}, view="side"))
    assert again["initialViewState"] == whole["initialViewState"]
    assert {r["t"].split()[0] for layer in again["layers"] if layer["id"] == "labels"
            for r in layer["data"]} == {"conv1", "fc1"}
    framed = scene3d.scene_frame(scene, "side")
    state = whole["initialViewState"]
    assert state["zoom"] == framed.zoom and state["target"] == list(framed.target)
    assert (state["rotationOrbit"], state["rotationX"]) == (-75, 10)
