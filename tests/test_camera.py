"""The 3D view's camera (lenet_core/present/camera.py): each preset framed to each network, every
tile and label inside the narrowest view, no two labels overlapping. The browser's three.js
camera is set from the same numbers (tests/e2e/test_network_live.py checks where it puts a unit)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from lenet_core import data
from lenet_core.inspect import geometry
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model, pad_to_input
from lenet_core.present import camera

CLASSES = [str(i) for i in range(10)]
def setup(name, seed=0):
    torch.manual_seed(seed)
    arch = ARCHITECTURES[name]
    model = build_model(arch).eval()
    x = pad_to_input(torch.rand(1, 1, 28, 28), arch)
    outputs, probabilities = forward_all(model, x)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    return arch, model, x, outputs, scene


# ---- each preset framed to each network -----------------------------------------------------

def frame(scene, view) -> camera.Frame:
    return camera.frame(tuple(scene.planes), tuple(scene.classes), view)


def test_a_point_lands_where_the_presets_rotation_and_zoom_put_it():
    """Orthographic: 2^zoom pixels a scene unit, along the rotated axes, y down on screen."""
    points = np.random.default_rng(0).uniform(-200, 200, (50, 3))
    target, zoom = np.array([12.0, -3.0, -100.0]), 1.3
    for view in camera.VIEWS:
        turned = (camera.rotation(view) @ (points - target).T).T * 2.0 ** zoom
        np.testing.assert_allclose(camera.to_screen(points, view, zoom, tuple(target)),
                                   np.stack([turned[:, 0], -turned[:, 1]], axis=1), atol=1e-9)
    assert np.allclose(camera.rotation("front"), np.eye(3))



def tile_corners(scene) -> np.ndarray:
    h = geometry.TILE / 2
    return np.concatenate([scene.position + [dx, dy, 0] for dx in (-h, h) for dy in (-h, h)])


def assert_framed(scene, view) -> camera.Frame:
    """Every tile corner and label box of ``scene`` inside the narrowest view with the margin,
    no two labels overlapping, each plane named once, and the frame the largest that fits."""
    framed = frame(scene, view)
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
    assert frame(scenes["lenet5"], "top").height > 500  # a stack of eight planes seen from above
    assert frame(scenes["lenet-wide"], "3/4").height == camera.HEIGHTS[0]  # wide and low
