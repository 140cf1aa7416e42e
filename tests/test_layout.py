"""The 3D view's layout is declared once: the browser places each unit with geometry's own formula,
written out as JavaScript (lenet_core/present/view_spec.py sends it), exactly where NumPy puts it
for lines, picking and the camera."""

import json
import shutil
import subprocess
from dataclasses import asdict

import numpy as np
import pytest

from lenet_core.inspect import geometry
from lenet_core.model.architectures import ARCHITECTURES
from lenet_core.present.view_spec import view_spec

CLASSES = [str(i) for i in range(10)]


def sent_planes(name: str) -> list[dict]:
    return view_spec(ARCHITECTURES[name], CLASSES)["planes"]


def in_python(plane: dict) -> np.ndarray:
    """N×3 centres: the expressions read as Python over every unit at once (``(a | 0)``, the
    integer part of a non-negative number, is ``(a // 1)``)."""
    i = np.arange(plane["size"], dtype=np.int64)
    centre = [eval(code.replace(" | 0)", " // 1)"), {"i": i}) for code in plane["centre"]]
    return np.stack([np.broadcast_to(np.asarray(v, float), i.shape) for v in centre], axis=1)


NODE_EVAL = """
const planes = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {};
for (const plane of planes) {
  const centre = new Function("i", `return [${plane.centre.join(", ")}];`);
  out[plane.name] = [...Array(plane.size).keys()].map(centre);
}
process.stdout.write(JSON.stringify(out));
"""


def in_javascript(planes: list[dict]) -> dict[str, np.ndarray]:
    """N×3 centres of every plane: the expressions run by Node.js, as the browser runs them."""
    done = subprocess.run(["node", "-e", NODE_EVAL], input=json.dumps(planes), capture_output=True,
                          text=True, timeout=120, check=True)
    return {name: np.array(centres, float) for name, centres in json.loads(done.stdout).items()}


@pytest.mark.parametrize("evaluate", ["python", "javascript"])
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_unit_the_browser_draws_is_centred_where_numpy_puts_it(name, evaluate):
    sent = sent_planes(name)
    if evaluate == "javascript":
        if shutil.which("node") is None:
            pytest.skip("no Node.js here to run the expressions as JavaScript")
        centres = in_javascript(sent)
    else:
        centres = {plane["name"]: in_python(plane) for plane in sent}
    planes = geometry.planes(ARCHITECTURES[name])
    assert set(centres) == {p.name for p in planes}
    for plane in planes:
        assert next(p for p in sent if p["name"] == plane.name)["tile"] == geometry.plane_layout(plane).tile
        np.testing.assert_allclose(centres[plane.name], geometry.plane_positions(plane), atol=1e-4,
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
