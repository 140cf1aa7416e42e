"""Every view works for any network the designer accepts: networks written in the grammar, with
random weights, through the engine functions the Draw page, the Layer Explorer and the Shapes
page call — the forward pass, the 3D view's scene, lines, deck, budget and camera, the unit
inspector's arithmetic (checked against the real tensors), the Explorer's statistics, the layer
grids and the shape chart."""

import base64
import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch

from lenet_core.inspect import explore, geometry, selection
from lenet_core.inspect.activations import forward_all
from lenet_core.inspect.unit import Box, inspect_unit, receptive_field
from lenet_core.model.architectures import build_model
from lenet_core.model.grammar import parse_network
from lenet_core.model.limits import size_problem
from lenet_core.model.shapes import shape_table, to_records
from lenet_core.present import camera, colours, pictures
from lenet_core.present import scene as scene3d
from lenet_core.present.charts.shapes import LAYER_KIND_COLOURS, shapes_charts
from lenet_core.present.view_spec import scene_values, view_spec

CLASSES = [str(i) for i in range(10)]
DEEP = " ".join(["conv(2,3,pad=1) relu"] * 14) + " flatten fc(10)"  # 30 layers, 16 planes
NETWORKS = {
    # the issue's own example: strided and padded, max pooling with stride 1 (≠ its window),
    # three convolutions, batch norm, dropout, every activation
    "strided": "conv(32,3,stride=2,pad=1) relu maxpool(3,stride=1) conv(8,3) batchnorm tanh dropout(0.3) "
               "conv(4,3,pad=1) sigmoid avgpool(2) flatten fc(64) relu fc(10)",
    "mlp": "flatten fc(128) relu fc(10)",  # no convolution at all
    "single": "conv(4,3) flatten fc(10)",  # one dense layer straight after flatten
    "input32": "input(32) conv(6,5) tanh maxpool(3,stride=2) conv(16,3,stride=2,pad=1) tanh flatten "
               "fc(120) batchnorm relu dropout(0.5) fc(84) tanh fc(10)",
    # no pooling, a convolution straight after a convolution, dropout after flatten, dense after dense
    "no-pool": "conv(8,3) relu conv(8,3,stride=2) relu conv(16,3) relu flatten dropout(0.2) fc(32) fc(10)",
    # per-value layers before any weighted one: batch norm 2-d on the input, 1-d after flatten
    "norm-first": "batchnorm conv(4,5,stride=3) sigmoid flatten batchnorm fc(10)",
    "flat-norm": "flatten batchnorm fc(32) sigmoid fc(10)",
    "deep": DEEP,
}
# Near the limits: 64 maps of 28×28, three convolutions, a dense layer of 512.
WIDE = ("conv(64,3,pad=1) relu conv(64,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) "
        "flatten fc(512) relu fc(10)")


def network(text, name="my-net", seed=0):
    torch.manual_seed(seed)
    arch = parse_network(text, name)
    model = build_model(arch).eval()
    x = torch.randn(1, 1, arch.input_size, arch.input_size)
    outputs, probabilities = forward_all(model, x)
    return arch, model, x, outputs, probabilities


def some_units(shape) -> list[tuple[int, ...]]:
    """The first, a middle and the last unit of an output of ``shape``."""
    return sorted({tuple(0 for _ in shape), tuple(n // 2 for n in shape), tuple(n - 1 for n in shape)})


def test_the_networks_are_ones_the_designer_accepts():
    for name, text in {**NETWORKS, "wide": WIDE}.items():
        assert size_problem(parse_network(text, name)) is None, name
    assert len(parse_network(DEEP, "deep").layers) == 30


# ---- the unit inspector: its arithmetic is the forward pass ------------------------------------

@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_layers_units_recompute_to_the_forward_pass(name):
    arch, model, x, outputs, _ = network(NETWORKS[name], name)
    for layer, output in outputs.items():
        for unit in some_units(output.shape):
            report = inspect_unit(model, arch, x, outputs, layer, unit)
            assert report.value == pytest.approx(float(output[unit]), abs=1e-4), (layer, unit)
            assert report.image_field.height >= 1 and report.image_field.bottom <= 27, (layer, unit)


def test_a_strided_padded_convolution_unit_reads_the_window_its_stride_and_padding_give():
    arch, model, x, outputs, _ = network(NETWORKS["strided"])
    report = inspect_unit(model, arch, x, outputs, "conv1", (5, 3, 0))
    # stride 2, padding 1, window 3: output row 3 reads rows 5..7, column 0 reads columns -1..1
    assert report.source_box == Box(5, -1, 7, 1)
    padded = torch.nn.functional.pad(x[0], (1, 1, 1, 1))[:, 5 + 1:8 + 1, -1 + 1:2 + 1]
    weight, bias = model.conv1.weight[5].detach(), model.conv1.bias[5].detach()
    assert report.weighted_sum == pytest.approx(float((padded * weight).sum()), abs=1e-4)
    assert report.inputs[0, :, 0].tolist() == [0, 0, 0]  # the padding column
    assert report.pre_activation == pytest.approx(float(outputs["conv1"][5, 3, 0]), abs=1e-4)
    assert report.bias == pytest.approx(float(bias))


def test_a_pool_whose_stride_is_not_its_window_reads_overlapping_windows():
    arch, model, x, outputs, _ = network(NETWORKS["strided"])
    first = inspect_unit(model, arch, x, outputs, "pool1", (2, 4, 6))
    second = inspect_unit(model, arch, x, outputs, "pool1", (2, 4, 7))
    assert first.source_box == Box(4, 6, 6, 8) and second.source_box == Box(4, 7, 6, 9)  # stride 1
    assert first.value == pytest.approx(float(outputs["relu1"][2, 4:7, 6:9].max()), abs=1e-6)
    assert first.value == pytest.approx(float(outputs["pool1"][2, 4, 6]), abs=1e-6)
    # in the input: pool rows 4..6 come from conv1 rows 4..6, i.e. input rows 4·2−1 .. 6·2−1+2
    assert receptive_field(arch, "pool1", 4, 6) == Box(7, 11, 13, 17)
    avg = inspect_unit(model, arch, x, outputs, "pool2", (1, 1, 1))
    assert avg.value == pytest.approx(float(outputs["sigmoid1"][1, 2:4, 2:4].mean()), abs=1e-6)


def test_a_dense_unit_after_a_dense_unit_and_after_flatten_sums_its_whole_input():
    arch, model, x, outputs, _ = network(NETWORKS["no-pool"])
    report = inspect_unit(model, arch, x, outputs, "fc2", (7,))
    with torch.no_grad():
        expected = float(model.fc2(outputs["fc1"].clone()[None])[0, 7])
    assert report.inputs.shape == (32,) and report.value == pytest.approx(expected, abs=1e-4)
    arch, model, x, outputs, _ = network(NETWORKS["mlp"])
    report = inspect_unit(model, arch, x, outputs, "fc1", (100,))
    assert report.inputs.shape == (784,)
    assert report.value == pytest.approx(float(outputs["fc1"][100]), abs=1e-4)
    flat = inspect_unit(model, arch, x, outputs, "flatten", (28 * 5 + 9,))
    assert flat.receptive_field == Box(5, 9, 5, 9)  # one pixel of the image: no layer before it


def test_dropout_passes_its_value_unchanged_and_says_so():
    arch, model, x, outputs, _ = network(NETWORKS["no-pool"])
    report = inspect_unit(model, arch, x, outputs, "dropout1", (123,))
    assert report.value == pytest.approx(float(outputs["relu3"].flatten()[123]))
    assert "training" in report.rule


# ---- the 3D view: planes, scene, lines, deck, budget ---------------------------------------------

@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_scene_holds_every_unit_and_each_units_lines_and_chain_agree_with_the_tensors(name):
    arch, model, x, outputs, probabilities = network(NETWORKS[name], name)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    shapes = {row.name: tuple(row.output_shape[1:]) for row in shape_table(arch).rows}
    weighted = [s.name for s in arch.layers if s.kind in ("conv", "pool", "dense")]
    assert [p.name for p in scene.planes] == ["input"] + weighted
    assert [p.shape for p in scene.planes[1:]] == [shapes[n] for n in weighted]
    assert len(scene) == scene3d.units_drawn(scene.planes) == sum(p.size for p in scene.planes)
    for plane in scene.planes[1:]:
        for unit in some_units(plane.shape):
            edges = selection.unit_edges(model, arch, x, outputs, scene, plane.name, unit)
            report = inspect_unit(model, arch, x, outputs, plane.weighted, unit)
            if report.weights is not None:  # the lines are the weighted sum's terms, padding left out
                assert edges.product.sum() == pytest.approx(report.weighted_sum, abs=1e-3)
            before = scene.planes[plane.index - 1]
            assert set(scene.plane[edges.source]) <= {before.index}
            chain = selection.unit_chain(model, arch, x, outputs, plane, unit)
            if plane.kind != "output":  # the output plane shows probabilities, not its logits
                shown = scene.value[scene.find(plane.name, unit)]
                assert chain[-1].value == pytest.approx(float(shown), abs=1e-4), (plane.name, unit)


def test_per_value_layers_before_the_first_weighted_one_are_the_input_planes_to_show():
    arch, model, x, outputs, probabilities = network(NETWORKS["flat-norm"])
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    plane = scene.planes[0]
    assert plane.shows == "bn1" and plane.title == "input · 1@28×28 (after bn1)"
    np.testing.assert_allclose(scene.values_of(plane), outputs["bn1"].numpy(), atol=1e-6)
    chain = selection.unit_chain(model, arch, x, outputs, plane, (0, 3, 4))
    assert [r.layer for r in chain] == ["bn1"] and chain[0].unit == (3 * 28 + 4,)
    assert chain[0].value == pytest.approx(float(outputs["bn1"][3 * 28 + 4]), abs=1e-5)
    # the planes after flatten: dropout after a convolution's flattened maps, unit by its place
    arch, model, x, outputs, probabilities = network(NETWORKS["no-pool"])
    conv3 = geometry.plane_named(arch, "conv3")
    assert conv3.shows == "dropout1" and conv3.title == "conv3 · 16@10×10 (after relu3, dropout1)"
    chain = selection.unit_chain(model, arch, x, outputs, conv3, (2, 3, 4))
    assert [r.layer for r in chain] == ["conv3", "relu3", "dropout1"]
    assert chain[-1].unit == (2 * 100 + 3 * 10 + 4,)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_view_names_every_plane_and_places_every_unit_of_a_written_network(name):
    arch, model, x, outputs, probabilities = network(NETWORKS[name], name)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    assert scene3d.too_many_to_draw(scene.planes) is None
    spec = view_spec(arch, CLASSES)
    assert [(p["name"], p["size"]) for p in spec["planes"]] == [(p.name, p.size) for p in scene.planes]
    assert spec["too_large"] is None
    for preset in spec["views"].values():
        assert preset["zoom_range"][0] <= preset["zoom"] <= preset["zoom_range"][1]
    # every plane's values as the element is sent them: one float32 each unit
    values = scene_values(scene)
    sizes = {name: len(base64.b64decode(text)) // 4 for name, text in values.items()}
    assert sizes == {p.name: p.size for p in scene.planes}


def test_a_network_over_the_3d_budget_is_refused_in_one_line_that_states_the_limit():
    planes = geometry.planes(parse_network(WIDE, "wide"))
    units = sum(p.size for p in planes)
    assert units > scene3d.MAX_3D_UNITS
    line = scene3d.too_many_to_draw(planes)
    assert line == (f"this network has {units:,} units to draw; the 3D view draws at most "
                    f"{scene3d.MAX_3D_UNITS:,}")
    assert "\n" not in line
    # the budget holds the bundled lenet-wide twice over (20,570 units)
    from lenet_core.model.architectures import ARCHITECTURES
    assert scene3d.units_drawn(geometry.planes(ARCHITECTURES["lenet-wide"])) * 1.9 < scene3d.MAX_3D_UNITS


# ---- the layout and the camera: framed to the network's size -------------------------------------

@pytest.mark.parametrize("text", ["conv(64,3,pad=1) flatten fc(10)", "conv(1024,15,stride=8) flatten fc(10)",
                                  "flatten fc(1024) fc(10)"])
def test_a_plane_wider_than_a_row_folds_into_bands_and_the_browser_draws_it_where_numpy_does(text):
    planes = geometry.planes(parse_network(text, "folded"))
    big = planes[1]
    layout = geometry.plane_layout(big)
    positions = geometry.plane_positions(big)
    assert np.ptp(positions[:, 0]) <= geometry.ROW_LIMIT
    assert len(np.unique(positions.round(3), axis=0)) == big.size  # no two units in one place
    if len(big.shape) == 3:  # maps keep apart: the gap between neighbours is at least MAP_GAP
        m = np.arange(big.size) // (layout.rows * layout.cols)
        boxes = [(positions[m == k].min(axis=0), positions[m == k].max(axis=0)) for k in range(big.shape[0])]
        lows = np.array([b[0][:2] for b in boxes])
        highs = np.array([b[1][:2] for b in boxes])
        for k in range(1, len(boxes)):
            apart = (lows[k] - highs[:k] >= geometry.MAP_GAP) | (lows[:k] - highs[k] >= geometry.MAP_GAP)
            assert apart.any(axis=1).all(), k
    spec = view_spec(parse_network(text, "folded"), CLASSES)
    (sent,) = [p for p in spec["planes"] if p["name"] == big.name]
    i = np.arange(big.size, dtype=np.int64)
    centre = [np.broadcast_to(np.asarray(eval(code.replace(" | 0)", " // 1)"), {"i": i}), float), i.shape)
              for code in sent["centre"]]
    np.testing.assert_allclose(np.stack(centre, axis=1), positions, atol=1e-4)
    if shutil.which("node"):  # and as the browser reads it: JavaScript
        script = ("const f = new Function('i', `return [${JSON.parse(process.argv[1]).join(',')}];`);"
                  f"const out = []; for (let i = 0; i < {big.size}; i++) out.push(f(i));"
                  "process.stdout.write(JSON.stringify(out));")
        done = subprocess.run(["node", "-e", script, json.dumps(sent["centre"])], capture_output=True,
                              text=True, timeout=60, check=True)
        np.testing.assert_allclose(np.array(json.loads(done.stdout)), positions, atol=1e-4)


def assert_framed(planes, view):
    """Every tile corner and every label of the network inside the narrowest view, with the
    margin, at the zoom and target the preset opens with, and that zoom one deck.gl allows."""
    framed = camera.frame(tuple(planes), tuple(CLASSES), view)
    inside = np.array([camera.NARROWEST, framed.height]) / 2 - camera.MARGIN + 1e-6
    corners = np.concatenate([camera.plane_corners(plane) for plane in planes])
    boxes = np.array([geometry.plane_box(plane) for plane in planes])
    assert (corners[:, 0].min(), corners[:, 0].max()) <= (boxes[:, 0].min(), boxes[:, 1].max())
    on_screen = camera.to_screen(corners, view, framed.zoom, framed.target)
    assert (np.abs(on_screen) <= inside).all(), f"{view}: a plane's box falls outside the view"
    for label in framed.labels:
        box = camera.label_box(label, view, framed.zoom, framed.target)
        assert (np.abs(box) <= np.tile(inside, 2)).all(), f"{view}: label {label.text!r} falls outside"
    assert camera.min_zoom(framed) <= framed.zoom <= camera.MAX_ZOOM
    assert camera.HEIGHTS[0] <= framed.height <= camera.HEIGHTS[1]
    return framed


SIZES = {
    "3 layers, 1 map": "conv(1,3) flatten fc(10)",
    "3 layers, 64 maps": "conv(64,3) flatten fc(10)",
    "30 layers, 2 maps": DEEP,
    "30 layers, 64 maps": " ".join(["conv(64,3,stride=2,pad=1) relu"] + ["conv(64,3,pad=1) relu"] * 13)
                          + " flatten fc(10)",
    "40 layers, 40 planes": "conv(1,1) " * 38 + "flatten fc(10)",
}


@pytest.mark.parametrize("view", list(camera.VIEWS))
def test_the_camera_frames_shallow_and_deep_narrow_and_wide_networks(view):
    frames = {name: assert_framed(geometry.planes(parse_network(text, name)), view)
              for name, text in SIZES.items()}
    # framed to its size: a small network is seen larger than a wide one, and than a deep one
    # wherever its depth shows (from the front the planes lie one behind the other)
    assert frames["3 layers, 1 map"].zoom > frames["3 layers, 64 maps"].zoom
    if view != "front":
        assert frames["3 layers, 1 map"].zoom > frames["30 layers, 2 maps"].zoom
    assert len(geometry.planes(parse_network(SIZES["30 layers, 64 maps"], "x"))) == 16
    for name, framed in frames.items():  # each plane named once, in depth order
        named = [label.plane for label in framed.labels if not label.tile]
        planes = [p.name for p in geometry.planes(parse_network(SIZES[name], name))]
        assert named == [p for p in planes if p in named] and named[0] == "input"
        if name != "40 layers, 40 planes":
            assert named == planes, name


def test_forty_planes_seen_from_the_front_keep_every_tile_in_view_and_name_what_fits():
    planes = geometry.planes(parse_network(SIZES["40 layers, 40 planes"], "forty"))
    framed = assert_framed(planes, "front")  # 40 names, 17 px each, cannot stack in 600 px
    named = [label for label in framed.labels if not label.tile]
    assert 20 <= len(named) < len(planes)


def test_a_wide_plane_is_still_seen_at_a_size_where_its_tiles_show():
    """64 maps of 28×28 side by side were 2,300 scene units wide: a 0.2-pixel tile."""
    planes = geometry.planes(parse_network("conv(64,3,pad=1) flatten fc(10)", "w"))
    framed = camera.frame(tuple(planes), tuple(CLASSES), "front")
    assert geometry.TILE * 2 ** framed.zoom >= 0.8  # pixels a tile, at the preset's zoom


# ---- the Explorer, the layer grids, the shape chart ----------------------------------------------

def test_active_thresholds_follow_the_last_rule_before_the_layer_whatever_it_is_called():
    arch = parse_network(NETWORKS["strided"], "s")
    assert explore.active_threshold(arch, "pool1") == 0.0  # max pooling after relu
    assert explore.active_threshold(arch, "dropout1") == 0.0  # after tanh
    assert explore.active_threshold(arch, "sigmoid1") == 0.5
    assert explore.active_threshold(arch, "pool2") == 0.5  # average pooling after sigmoid
    assert explore.active_threshold(arch, "flatten") == 0.5
    assert explore.active_threshold(arch, "fc1") == 0.0
    mlp = parse_network(NETWORKS["mlp"], "m")
    assert explore.active_threshold(mlp, "flatten") == 0.0


@pytest.mark.parametrize("name", list(NETWORKS))
def test_channel_statistics_and_colour_rules_cover_every_layer(name):
    arch, model, x, outputs, _ = network(NETWORKS[name], name)
    scales = colours.layer_scales(model, outputs)
    assert list(scales) == list(outputs)
    for layer, output in outputs.items():
        stats = explore.channel_stats(output, explore.active_threshold(arch, layer))
        assert len(stats) == (output.shape[0] if output.dim() == 3 else 1)
        assert stats["max"].max() == pytest.approx(float(output.max()), abs=1e-5)
        kind = arch.layers[arch.layer_names().index(layer)].module
        if kind == "Sigmoid":
            assert (scales[layer].vmin, scales[layer].vmax) == (0.0, 1.0)


def test_layer_grids_for_64_maps_1_map_and_1024_units():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(64, 28, 28)).astype(np.float32)
    scale = colours.signed_scale(maps)
    image = pictures.feature_maps(maps, scale)
    zoom = pictures.cell_zoom(28)
    assert image.shape[1] == 8 * (28 * zoom + 3) - 3  # eight maps a row
    assert image.shape[0] >= 8 * 28 * zoom  # eight rows
    # the last map's bottom-right value is where the grid puts it, in its colour
    assert (image[image.shape[0] - 1, image.shape[1] - 1] == scale.colour(maps[63, 27, 27])).all()
    one = pictures.feature_maps(maps[:1], scale)
    assert one.shape[1] == 28 * zoom
    units = rng.normal(size=1024).astype(np.float32)
    strip = pictures.dense_strip(units, colours.signed_scale(units))
    cols, cell = 50, 720 // 50
    assert strip.shape == (-(-1024 // cols) * cell, cols * cell, 3)
    assert (strip[0, 0] == colours.signed_scale(units).colour(units[0])).all()


def test_a_layer_grid_of_many_maps_stays_a_picture_a_page_can_show():
    maps = np.random.default_rng(1).normal(size=(1024, 2, 2)).astype(np.float32)
    image = pictures.feature_maps(maps, colours.signed_scale(maps))
    assert image.shape[1] <= 760 and image.shape[0] <= 1500, image.shape
    weights = torch.randn(256, 128, 3, 3)
    picture, _ = pictures.filter_grid(weights)
    assert picture.shape[0] * picture.shape[1] <= 4000 * 4000, picture.shape


def test_the_shape_chart_of_a_20_layer_network_has_a_bar_and_a_colour_for_every_layer():
    text = ("conv(8,3,pad=1) batchnorm relu maxpool(3,stride=1) conv(8,3,stride=2) tanh dropout(0.1) "
            "conv(16,3) sigmoid avgpool(2) conv(16,1) relu flatten dropout(0.2) fc(64) batchnorm relu "
            "fc(32) tanh fc(10)")
    arch = parse_network(text, "twenty")
    assert len(arch.layers) == 20
    records = pd.DataFrame(to_records(shape_table(arch)))
    records["kind"] = [spec.kind for spec in arch.layers]
    values, params = shapes_charts(records)
    spec = values.to_dict()  # checked against Vega-Lite's schema
    params.to_dict()
    assert spec["encoding"]["y"]["sort"] == list(records.sort_values("index")["label"])
    assert len(set(spec["encoding"]["y"]["sort"])) == 20
    assert set(records["kind"]) <= set(LAYER_KIND_COLOURS.domain)
    colours_used = dict(zip(LAYER_KIND_COLOURS.domain, LAYER_KIND_COLOURS.range))
    assert len(set(colours_used.values())) == len(colours_used)  # each kind its own colour


# ---- the pages: a run of a network written in the grammar ----------------------------------------

def run_of_network(home, name: str, text: str) -> str:
    """A completed run of ``text`` in a real store, with a real final checkpoint that carries the
    network's text (fresh weights: the views, not skill)."""
    from lenet_core.data import get_dataset
    from lenet_core.model.checkpoints import CheckpointMeta, save_checkpoint
    from lenet_core.runs import store_for
    from lenet_core.training.config import TrainConfig

    store = store_for(home)
    run = store.create(TrainConfig.from_dict({"dataset": "mnist-5k", "arch": name, "layers": text,
                                              "epochs": 1}))
    info = get_dataset("mnist-5k")
    meta = CheckpointMeta(name, "mnist-5k", list(info.classes), info.mean, info.std, 1, {"test_acc": 0.5},
                          run.id, run.config.to_dict(), layers=text)
    torch.manual_seed(0)
    save_checkpoint(home / "runs" / run.id / "final.pt", build_model(parse_network(text, name)).eval(), meta)
    store.mark(run.id, "completed", summary={"test_acc": 0.5})
    return run.id


@pytest.mark.parametrize("name", ["strided", "mlp", "input32", "norm-first"])
def test_the_draw_page_shows_a_written_network_in_3d_and_every_layer(lab_home, name):
    from helpers import SEVEN, draw, element_planes, open_page

    run_id = run_of_network(lab_home, "my-net", NETWORKS[name])
    at = open_page("pages/views/draw.py")
    at.selectbox(key="draw_model").set_value(f"run:{run_id}").run()
    draw(at, SEVEN)
    assert not at.exception
    arch = parse_network(NETWORKS[name], "my-net")
    assert element_planes(at, "draw") == {p.name for p in geometry.planes(arch)}
    texts = [m.value for m in at.markdown]
    for row in shape_table(arch).rows:
        assert any(t.startswith(f"**{row.label}**") for t in texts), row.label
    assert any("First guess" in t for t in texts)


def test_the_draw_page_explains_a_unit_selected_in_3d_through_batch_norm_and_dropout(lab_home):
    from helpers import SEVEN, click_unit, draw, open_page

    run_id = run_of_network(lab_home, "my-net", NETWORKS["strided"])
    at = open_page("pages/views/draw.py")
    at.selectbox(key="draw_model").set_value(f"run:{run_id}").run()
    draw(at, SEVEN)
    click_unit(at, "draw", "conv2", [3, 4, 4])
    assert not at.exception
    steps = "\n".join(c.value for c in at.code)
    assert "conv2: Σ w·x over 288 inputs (32 channels × 3×3)" in steps  # 32 maps of pool1
    assert "bn1: (" in steps and "tanh1: tanh(" in steps and "dropout1: dropout (not training)" in steps


def test_a_network_over_the_3d_budget_gets_one_line_and_its_layer_pictures_on_both_pages(lab_home):
    from helpers import SEVEN, draw, open_page

    text = "conv(64,3,pad=1) flatten fc(10)"  # 784 + 50,176 + 10 units
    run_id = run_of_network(lab_home, "big-net", text)
    at = open_page("pages/views/draw.py")
    at.selectbox(key="draw_model").set_value(f"run:{run_id}").run()
    draw(at, SEVEN)
    assert not at.exception
    assert at.get("component_instance") == []
    line = (f"This network has 50,970 units to draw; the 3D view draws at most {scene3d.MAX_3D_UNITS:,}: "
            "every layer's output is still shown in the layer pictures on this page.")
    assert [box.value for box in at.info] == [line]
    texts = [m.value for m in at.markdown]
    assert any(t.startswith("**conv1 · 64@28×28**") for t in texts)
    assert any(t.startswith("**softmax · 10**") for t in texts)
    at = open_page("pages/views/explorer.py")
    at.selectbox(key="explore_model").set_value(f"run:{run_id}").run()
    at.toggle(key="explore_3d_show").set_value(True).run()
    assert not at.exception
    assert at.get("component_instance") == [] and line in [box.value for box in at.info]
    assert any(m.value.startswith("**flatten · 50,176**") for m in at.markdown)


def test_the_explorer_inspects_a_dropout_unit_of_a_written_network_and_draws_it_in_3d(lab_home):
    from helpers import element_planes, open_page

    run_id = run_of_network(lab_home, "my-net", NETWORKS["no-pool"])
    at = open_page("pages/views/explorer.py")
    at.selectbox(key="explore_model").set_value(f"run:{run_id}").run()
    at.toggle(key="explore_3d_show").set_value(True).run()
    assert not at.exception
    assert element_planes(at, "explore") == {"input", "conv1", "conv2", "conv3", "fc1", "fc2"}
    at.selectbox(key="explore_unit_layer").set_value("dropout1").run()
    at.number_input(key="explore_unit_index_dropout1").set_value(1234).run()
    assert not at.exception
    assert any("dropout (not training)" in c.value for c in at.code)
    assert [s.value for s in at.success if "forward pass" in s.value][0].endswith("the same value.")
    assert not at.error
