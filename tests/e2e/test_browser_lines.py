"""Hover lines without the server: the element's edges.js finds the units a unit reads and each
line's input × weight exactly as lenet_core.inspect.selection.unit_edges does (the lines a click
showed before the element), for every kind of plane — a convolution with padding, average and max
pooling, dense layers after flatten and after a dense layer, and the output — on every built-in
network. No server: a blank page with the module loaded."""

import numpy as np
import pytest
import torch

from lenet_core.data import read_split
from lenet_core.inspect import geometry, selection
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.browser import bundle_json
from lenet_core.model.checkpoints import CheckpointMeta
from lenet_core.model.inputs import model_input
from lenet_core.present.view_spec import spec_json

from .support import ROOT

pytestmark = pytest.mark.e2e

NET3D = ROOT / "pages" / "components" / "net3d"
UNITS_PER_PLANE = 12

LINES = """([bundle, spec, values, asked]) => {
  const model = decodeModel(JSON.parse(bundle)), planes = JSON.parse(spec).planes;
  const v = planes.map((p) => Float32Array.from(values[p.name]));
  return asked.map(([p, i]) => {
    const l = window.unitLines(planes, model, v, p, i);
    return l && {source: Array.from(l.source), product: Array.from(l.product),
                 strongest: Array.from(l.strongest), note: l.note};
  });
}"""


def network(name: str):
    torch.manual_seed(1)
    arch = ARCHITECTURES[name]
    model = build_model(arch, init="xavier").eval()
    meta = CheckpointMeta(name, "mnist", [str(d) for d in range(10)], 0.1307, 0.3081)
    images, _ = read_split("mnist-5k", "test")
    x = model_input(np.asarray(images[7]), meta)
    outputs, probabilities = forward_all(model, x)
    return arch, model, meta, x, outputs, geometry.build_scene(arch, x, outputs, probabilities, meta.classes)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_hover_lines_are_the_lines_python_draws_for_a_selected_unit(page, name):
    arch, model, meta, x, outputs, scene = network(name)
    page.set_content("<!doctype html><title>lines</title>")
    page.add_script_tag(path=str(NET3D / "forward.js"))
    source = (NET3D / "edges.js").read_text()
    page.add_script_tag(content=source + "\nwindow.unitLines = unitLines;", type="module")
    page.wait_for_function("() => typeof window.unitLines === 'function'")
    rng = np.random.default_rng(0)
    asked = [(0, 5)]  # an input pixel: no lines
    for plane in scene.planes[1:]:
        units = [0, plane.size - 1, *rng.integers(0, plane.size, UNITS_PER_PLANE - 2)]
        asked += [(plane.index, int(u)) for u in units]
    values = {p.name: scene.values_of(p).tolist() for p in scene.planes}
    got = page.evaluate(LINES, [bundle_json(model, meta), spec_json(arch, meta.classes), values, asked])
    assert got[0] is None
    for (p, i), lines in zip(asked[1:], got[1:]):
        plane, before = scene.planes[p], scene.planes[p - 1]
        unit = tuple(int(u) for u in np.unravel_index(i, plane.shape))
        edges = selection.unit_edges(model, arch, x, outputs, scene, plane.name, unit)
        start = scene.find(before.name, (0,) * len(before.shape))
        where = f"{name} {plane.name} {unit}"
        assert lines["source"] == (edges.source - start).tolist(), where
        np.testing.assert_allclose(lines["product"], edges.product, rtol=1e-4, atol=1e-6, err_msg=where)
        assert lines["strongest"] == edges.strongest.astype(int).tolist(), where
        assert lines["note"] == edges.note, where
