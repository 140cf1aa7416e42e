"""The unit selected in the 3D view: the lines to every unit it reads, and its arithmetic through
its plane's modules — the unit inspector's reports (:mod:`.unit`) placed in the 3D view's scene
(:mod:`.geometry`). Here, and not in geometry, because geometry is where units are drawn and knows
nothing of what a unit computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.inspect.geometry import Plane, Scene
from lenet_core.inspect.unit import UnitReport, inspect_unit
from lenet_core.model.architectures import Architecture


@dataclass
class Edges:
    """The lines from one unit to every unit it reads: parallel arrays, one entry a line."""

    target: int  # scene index of the selected unit
    source: np.ndarray  # scene indices of the units read
    product: np.ndarray  # input × weight of each line (what it adds to the weighted sum)
    strongest: np.ndarray  # bool: among the largest |input × weight|
    note: str  # what the lines stand for, one sentence

    def __len__(self) -> int:
        return len(self.source)


STRONGEST = 5  # lines drawn bold


def unit_edges(model: nn.Sequential, arch: Architecture, x: torch.Tensor,
               outputs: dict[str, torch.Tensor], scene: Scene, plane_name: str,
               unit: tuple[int, ...]) -> Edges:
    """The lines into ``unit`` of ``plane_name``: for a convolution, every value of its window
    in every input map; for pooling, its window in one map; for a dense unit, the whole previous
    plane. Window cells in the zero padding have no unit and no line."""
    plane = next((p for p in scene.planes if p.name == plane_name), None)
    if plane is None:
        raise LabError(f"the scene has no plane {plane_name!r}")
    target = scene.find(plane_name, unit)
    if plane.kind == "input":
        return Edges(target, np.zeros(0, int), np.zeros(0), np.zeros(0, bool),
                     "an input pixel reads nothing: it is the image")
    report = inspect_unit(model, arch, x, outputs, plane.weighted, unit)
    before = scene.planes[plane.index - 1]
    products, note = _products(report)
    if report.source_box is not None and len(before.shape) == 3:
        cells, products = _window_cells(report, before, products)
    else:
        cells = np.arange(before.size)
    source = scene.find(before.name, (0,) * len(before.shape)) + cells
    magnitude = np.abs(products)
    strongest = np.zeros(len(products), bool)
    if len(products):
        strongest[np.argsort(-magnitude, kind="stable")[:STRONGEST]] = True
        strongest &= magnitude > 0
    return Edges(target, source.astype(int), products.astype(np.float32), strongest, note)


def _products(report: UnitReport) -> tuple[np.ndarray, str]:
    """Input × weight of each value the unit reads, in the shape of ``report.inputs``."""
    inputs = np.asarray(report.inputs, np.float64)
    if report.weights is not None:
        return inputs * report.weights, "each line is input × weight: what it adds to the sum"
    if report.module == "MaxPool2d":
        weight = (inputs == inputs.max()).astype(float)
        weight /= weight.sum()
        return inputs * weight, "max pooling passes on the largest value: only its line counts"
    k = inputs.size
    return inputs / k, f"average pooling weighs each of its {k} values by 1/{k}"


def _window_cells(report: UnitReport, before: Plane, products: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Flattened indices into ``before`` of the window's cells that lie inside its maps, and
    their products (padding cells dropped)."""
    box = report.source_box
    c, h, w = before.shape
    window = products if products.ndim == 3 else products[None]
    channels = range(window.shape[0]) if products.ndim == 3 else [report.unit[0]]
    cells, kept = [], []
    for k, channel in enumerate(channels):
        for dy in range(box.height):
            for dx in range(box.width):
                y, xx = box.top + dy, box.left + dx
                if 0 <= y < h and 0 <= xx < w:
                    cells.append((channel * h + y) * w + xx)
                    kept.append(window[k, dy, dx])
    return np.array(cells, int), np.array(kept, float)


def unit_chain(model: nn.Sequential, arch: Architecture, x: torch.Tensor,
               outputs: dict[str, torch.Tensor], plane: Plane, unit: tuple[int, ...]
               ) -> list[UnitReport]:
    """The selected unit's whole story: the weighted module's report, then one for each module
    after it in the plane (batch norm, activation, dropout), ending at the value the plane shows.
    An input pixel has none, unless per-value modules come before the first weighted layer. After
    a flatten in the plane, the unit is its place in the flat vector (PyTorch's order)."""
    modules = {spec.name: spec.module for spec in arch.layers}
    chain = []
    for name in plane.modules:
        if modules[name] == "Flatten":  # it moves the value, computes nothing
            continue
        flat = outputs[name].dim() == 1 and len(unit) == 3
        place = (int(np.ravel_multi_index(unit, plane.shape)),) if flat else unit
        chain.append(inspect_unit(model, arch, x, outputs, name, place))
    return chain
