"""The 3D view's layout is declared once: the tiles the browser draws (deck.gl's expressions, as
the deck sends them) sit exactly where NumPy puts every unit for lines, picking and the camera."""

import json
import shutil
import subprocess
from dataclasses import asdict

import numpy as np
import pytest
import torch

from lenet_core.inspect import geometry
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model, pad_to_input
from lenet_core.present import scene as scene3d

CLASSES = [str(i) for i in range(10)]


def sent_tiles(name: str) -> dict[str, tuple[str, list[int]]]:
    """Each plane's polygon expression and its units' packed records, from the deck's JSON."""
    torch.manual_seed(0)
    arch = ARCHITECTURES[name]
    model = build_model(arch).eval()
    x = pad_to_input(torch.rand(1, 1, 28, 28), arch)
    outputs, probabilities = forward_all(model, x)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                              {p.name for p in scene.planes})
    return {layer["id"].split(scene3d.ID_SEP)[0]: (layer["getPolygon"].removeprefix("@@="),
                                                    [record[0] for record in layer["data"]])
            for layer in json.loads(deck.to_json())["layers"] if layer["@@type"] == "SolidPolygonLayer"}


def in_python(expression: str, packed: list[int]) -> np.ndarray:
    """N×4×3 corners: the expression read as Python over every record at once (``(a | 0)``, the
    integer part of a non-negative number, is ``(a // 1)``)."""
    u = np.array(packed, dtype=np.int64)
    corners = eval(expression.replace(" | 0)", " // 1)").replace("this[0]", "u"), {"u": u})
    return np.stack([np.stack([np.broadcast_to(np.asarray(v, float), u.shape) for v in corner], axis=1)
                     for corner in corners], axis=1)


NODE_EVAL = """
const planes = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {};
for (const [name, [expression, packed]] of Object.entries(planes)) {
  const polygon = new Function("return " + expression);
  out[name] = packed.map(u => polygon.call([u, ""]));
}
process.stdout.write(JSON.stringify(out));
"""


def in_javascript(tiles: dict[str, tuple[str, list[int]]]) -> dict[str, np.ndarray]:
    """N×4×3 corners of every plane: the expressions run by Node, ``this`` each record."""
    done = subprocess.run(["node", "-e", NODE_EVAL], input=json.dumps(tiles), capture_output=True,
                          text=True, timeout=60, check=True)
    return {name: np.array(corners, float) for name, corners in json.loads(done.stdout).items()}


@pytest.mark.parametrize("evaluate", ["python", "javascript"])
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_tile_the_browser_draws_is_centred_where_numpy_puts_its_unit(name, evaluate):
    tiles = sent_tiles(name)
    if evaluate == "javascript":
        if shutil.which("node") is None:
            pytest.skip("no Node.js here to run the expressions as JavaScript")
        corners = in_javascript(tiles)
    else:
        corners = {plane: in_python(*tiles[plane]) for plane in tiles}
    planes = geometry.planes(ARCHITECTURES[name])
    assert set(corners) == {p.name for p in planes}
    for plane in planes:
        layout = geometry.plane_layout(plane)
        got = corners[plane.name]
        side = layout.tile
        # a square of the layout's side, counter-clockwise from the lower left, in the plane
        np.testing.assert_allclose(got[:, 1:] - got[:, :1], np.broadcast_to(
            [[side, 0, 0], [side, side, 0], [0, side, 0]], got[:, 1:].shape), atol=1e-9)
        np.testing.assert_allclose(got.mean(axis=1), geometry.plane_positions(plane), atol=1e-4,
                                   err_msg=f"{name} {plane.name}: the browser and NumPy disagree")


def test_a_layout_is_plain_numbers_that_survive_json():
    arch = ARCHITECTURES["lenet5"]
    conv1, fc3 = geometry.plane_named(arch, "conv1"), geometry.plane_named(arch, "fc3")
    # six maps of 28 side by side with gaps of 4 (188 across, centred), one plane deep: one band
    assert geometry.plane_layout(conv1) == geometry.PlaneLayout(
        maps=6, rows=28, cols=28, x0=-93.5, y0=13.5, z=-36.0, col_step=1.0, row_step=1.0,
        map_step=32.0, tile=0.8, map_cols=6, band_step=32.0)
    # the ten classes in a row, OUTPUT_STEP apart, centred
    assert geometry.plane_layout(fc3) == geometry.PlaneLayout(
        maps=1, rows=1, cols=10, x0=-45.0, y0=0.0, z=-252.0, col_step=10.0, row_step=10.0,
        map_step=100.0, tile=0.8, map_cols=1, band_step=10.0)
    for name, arch in ARCHITECTURES.items():
        for plane in geometry.planes(arch):
            layout = geometry.plane_layout(plane)
            assert geometry.PlaneLayout(**json.loads(json.dumps(asdict(layout)))) == layout
            assert layout.maps * layout.rows * layout.cols == plane.size, (name, plane.name)
