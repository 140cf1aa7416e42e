"""The 3D view's geometry: every unit of every layer once, in its place, with the lines that the
unit inspector's arithmetic says it reads."""

import numpy as np
import pytest
import torch

from lenet_core.errors import LabError
from lenet_core.inspect import geometry, selection
from lenet_core.inspect.activations import forward_all
from lenet_core.inspect.unit import inspect_unit, receptive_field
from lenet_core.model.architectures import ARCHITECTURES, build_model, pad_to_input
from lenet_core.model.shapes import shape_table

CLASSES = [str(i) for i in range(10)]


def network(name, seed=0):
    torch.manual_seed(seed)
    arch = ARCHITECTURES[name]
    model = build_model(arch).eval()
    x = pad_to_input(torch.rand(1, 1, 28, 28), arch)  # what model_input gives lenet5: 32×32
    outputs, probabilities = forward_all(model, x)
    return arch, model, x, outputs, probabilities


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_plane_holds_as_many_units_as_the_shape_table_says(name):
    arch, model, x, outputs, probabilities = network(name)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    rows = {row.name: row.elements for row in shape_table(arch).rows}
    counts = scene.counts()
    assert counts.pop("input") == arch.input_size ** 2
    assert counts == {plane.name: rows[plane.name] for plane in scene.planes[1:]}
    assert len(scene) == arch.input_size ** 2 + sum(counts.values())


def test_lenet5_is_harleys_9134_units_in_eight_planes():
    arch, model, x, outputs, probabilities = network("lenet5")
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    assert [p.name for p in scene.planes] == ["input", "conv1", "pool1", "conv2", "pool2",
                                              "fc1", "fc2", "fc3"]
    assert len(scene) == 1024 + 6 * 28 * 28 + 6 * 14 * 14 + 16 * 10 * 10 + 16 * 5 * 5 + 120 + 100 + 10
    assert scene.planes[1].shows == "tanh1" and scene.planes[1].modules == ("conv1", "tanh1")
    assert scene.planes[-1].kind == "output"


def test_planes_are_traced_once_per_architecture(monkeypatch):
    arch = ARCHITECTURES["lenet5"]
    first = geometry.planes(arch)
    monkeypatch.setattr(geometry, "shape_table", lambda arch: pytest.fail("traced again"))
    again = geometry.planes(arch)
    assert again == first
    again.pop()  # a caller's list is its own
    assert geometry.planes(arch) == first


def test_planes_show_their_last_module_and_the_output_shows_probabilities():
    arch, model, x, outputs, probabilities = network("lenet-modern")
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    conv1 = geometry.plane_named(arch, "conv1")
    assert conv1.modules == ("conv1", "bn1", "relu1")
    np.testing.assert_allclose(scene.values_of(conv1), outputs["relu1"].numpy().ravel())
    output = scene.planes[-1]
    np.testing.assert_allclose(scene.values_of(output), probabilities.numpy())
    unit = scene.find("conv1", (3, 12, 7))
    assert (scene.map[unit], scene.row[unit], scene.col[unit]) == (3, 12, 7)
    assert scene.value[unit] == pytest.approx(float(outputs["relu1"][3, 12, 7]))


def test_positions_are_distinct_in_depth_order_and_maps_do_not_overlap():
    arch, model, x, outputs, probabilities = network("lenet-classic")
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    assert len(np.unique(scene.position, axis=0)) == len(scene)
    depth = [float(scene.position[scene.plane == p.index, 2].mean()) for p in scene.planes]
    assert depth == sorted(depth, reverse=True)  # input nearest the viewer, output furthest
    conv1 = scene.plane == 1
    for a in range(5):  # neighbouring maps leave a gap
        right = scene.position[conv1 & (scene.map == a), 0].max()
        left = scene.position[conv1 & (scene.map == a + 1), 0].min()
        assert left - right > geometry.MAP_GAP - 1e-6


def test_a_planes_box_spans_its_units_as_the_layout_places_them():
    arch = ARCHITECTURES["lenet5"]
    conv1, output = geometry.plane_named(arch, "conv1"), geometry.plane_named(arch, "fc3")
    # six maps of 28 with gaps of 4: 188 across, centred; unit centres half a unit in
    assert geometry.plane_box(conv1) == (-93.5, 93.5, -13.5, 13.5, -36.0)
    left, right, bottom, top, z = geometry.plane_box(output)
    assert (right - left, bottom, top, z) == (9 * geometry.OUTPUT_STEP, 0.0, 0.0, -7 * geometry.DEPTH)
    assert left == -right


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_a_convolution_units_lines_are_its_receptive_window_in_every_input_map(name):
    arch, model, x, outputs, probabilities = network(name)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    unit = (5, 3, 4)
    edges = selection.unit_edges(model, arch, x, outputs, scene, "conv2", unit)
    report = inspect_unit(model, arch, x, outputs, "conv2", unit)
    box = report.source_box
    maps = scene.planes[2].shape[0]  # pool1's: 6, or 16 for lenet-wide
    expected = {(c, y, xx) for c in range(maps) for y in range(box.top, box.bottom + 1)
                for xx in range(box.left, box.right + 1)}
    got = {(int(scene.map[i]), int(scene.row[i]), int(scene.col[i])) for i in edges.source}
    assert got == expected and len(edges) == maps * 25
    assert set(scene.plane[edges.source]) == {scene.planes[2].index}  # pool1
    assert edges.product.sum() + report.bias == pytest.approx(report.value, rel=1e-4, abs=1e-4)
    assert edges.strongest.sum() == selection.STRONGEST
    assert np.abs(edges.product[edges.strongest]).min() >= np.abs(edges.product[~edges.strongest]).max()


def test_lines_into_the_padding_are_dropped_and_the_input_field_matches_the_inspector():
    arch, model, x, outputs, probabilities = network("lenet-classic")
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    edges = selection.unit_edges(model, arch, x, outputs, scene, "conv1", (0, 0, 0))
    field = receptive_field(arch, "conv1", 0, 0).clipped(28, 28)
    got = {(int(scene.row[i]), int(scene.col[i])) for i in edges.source}
    assert got == {(y, xx) for y in range(field.top, field.bottom + 1)
                   for xx in range(field.left, field.right + 1)}
    assert len(edges) == 9  # a 5×5 window, padded by 2, at the corner


def test_a_dense_unit_reads_the_whole_previous_plane_and_its_lines_sum_to_its_value():
    arch, model, x, outputs, probabilities = network("lenet5")
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    edges = selection.unit_edges(model, arch, x, outputs, scene, "fc1", (17,))
    assert len(edges) == 400 and set(scene.plane[edges.source]) == {4}
    np.testing.assert_allclose(scene.value[edges.source], outputs["pool2"].numpy().ravel())
    bias = float(model.fc1.bias.detach()[17])
    assert edges.product.sum() + bias == pytest.approx(float(outputs["fc1"][17]), abs=1e-4)
    out = selection.unit_edges(model, arch, x, outputs, scene, "fc3", (7,))
    assert len(out) == 100


def test_pooling_lines_weigh_the_window_as_the_rule_does():
    arch, model, x, outputs, probabilities = network("lenet5")  # max pooling
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    edges = selection.unit_edges(model, arch, x, outputs, scene, "pool1", (2, 4, 5))
    assert len(edges) == 4 and set(scene.map[edges.source]) == {2}
    assert edges.product.sum() == pytest.approx(float(outputs["pool1"][2, 4, 5]), abs=1e-6)
    assert (edges.product != 0).sum() == 1
    arch, model, x, outputs, probabilities = network("lenet-classic")  # average pooling
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    edges = selection.unit_edges(model, arch, x, outputs, scene, "pool2", (9, 1, 1))
    assert edges.product.sum() == pytest.approx(float(outputs["pool2"][9, 1, 1]), abs=1e-6)


def test_a_units_chain_ends_at_the_value_its_plane_shows():
    arch, model, x, outputs, probabilities = network("lenet-modern")
    plane = geometry.plane_named(arch, "fc1")
    chain = selection.unit_chain(model, arch, x, outputs, plane, (11,))
    assert [r.layer for r in chain] == ["fc1", "bn3", "relu3"]
    assert chain[-1].value == pytest.approx(float(outputs["relu3"][11]), abs=1e-5)
    assert selection.unit_chain(model, arch, x, outputs, geometry.plane_named(arch, "input"), (0, 0, 0)) == []


def test_difference_subtracts_and_refuses_two_architectures():
    arch, model, x, outputs, probabilities = network("lenet5")
    a = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    x2 = pad_to_input(torch.rand(1, 1, 28, 28), arch)
    b = geometry.build_scene(arch, x2, *forward_all(model, x2), CLASSES)
    diff = geometry.difference(a, b)
    np.testing.assert_allclose(diff.value, a.value - b.value)
    arch2, _, x3, outputs3, probabilities3 = network("lenet-classic")
    other = geometry.build_scene(arch2, x3, outputs3, probabilities3, CLASSES)
    with pytest.raises(LabError, match="cannot compare"):
        geometry.difference(a, other)


def test_an_unknown_plane_is_a_readable_error():
    arch = ARCHITECTURES["lenet5"]
    with pytest.raises(LabError, match="no plane 'tanh1'"):
        geometry.plane_named(arch, "tanh1")
