"""The network in 3D, as plain arrays: every unit of every layer with a place in space and a value,
and for one unit the lines to the units it reads from.

A *plane* is what the 3D view draws as one layer: the input, each convolution or pooling layer
(feature maps side by side), each dense layer (a row) and the output (the ten classes). Layers
that act on one value at a time (activations, batch norm) and flatten belong to the plane before
them, so a convolution plane shows the maps after their activation, as Adam Harley's view does.
Each plane says which module does its arithmetic (``weighted``: the convolution, pooling or dense
layer) and whose output it shows (``shows``). Positions are in scene units: one unit apart
within a map, :data:`DEPTH` apart between planes; x runs right, y up, z towards the viewer.

Colours are not here: a scene holds values, and :mod:`lenet_core.present.scene` colours them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.inspect.unit import INPUT, UnitReport, first_layer_input, inspect_unit, output_shapes
from lenet_core.model.architectures import Architecture

DEPTH = 36.0  # between two planes
TILE = 0.8  # the side of a unit's tile: 0.2 of a gap between neighbours
MAP_GAP = 4.0  # between two maps of one plane
DENSE_STEP = 1.5  # between two units of a dense plane
OUTPUT_STEP = 10.0  # between two output classes: room for their names under the tiles
PER_VALUE = ("activation", "norm", "flatten")  # kinds that join the plane before them


@dataclass(frozen=True)
class Plane:
    """One layer of the 3D view."""

    name: str  # "input", "conv1", "pool1", "fc1", ..., the weighted module's name
    index: int  # 0 for the input, in depth order
    kind: str  # input, maps, vector, output
    shape: tuple[int, ...]  # (C, H, W) or (N,)
    weighted: str | None  # the module whose arithmetic makes a unit (None for the input)
    shows: str  # the module whose output the plane shows ("sigmoid1"), or "input"
    modules: tuple[str, ...]  # every module the plane stands for, in order

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def title(self) -> str:
        dims = "×".join(map(str, self.shape[1:])) if len(self.shape) == 3 else str(self.shape[0])
        count = f"{self.shape[0]}@{dims}" if len(self.shape) == 3 else dims
        after = [m for m in self.modules[1:] if m != "flatten"]
        return f"{self.name} · {count}" + (f" (after {', '.join(after)})" if after else "")


def planes(arch: Architecture) -> list[Plane]:
    """The architecture's planes in depth order, from its layer specs alone.

    Worked out once per architecture: its shapes come from tracing a zero input through the
    network, which took 20–70 ms of each stroke's rerun on a busy two-core machine (twice: the
    view and the scene both ask)."""
    return list(_planes_of(arch))


@functools.cache
def _planes_of(arch: Architecture) -> tuple[Plane, ...]:
    """Frozen planes, the same for every caller."""
    return tuple(_trace_planes(arch))


def _trace_planes(arch: Architecture) -> list[Plane]:
    shapes = output_shapes(arch)
    found = [Plane(INPUT, 0, "input", arch.input_shape, None, INPUT, ())]
    for spec in arch.layers:
        if spec.kind in PER_VALUE:
            last = found[-1]
            shows = last.shows if spec.kind == "flatten" else spec.name
            found[-1] = replace(last, shows=shows, modules=last.modules + (spec.name,))
            continue
        kind = "maps" if len(shapes[spec.name]) == 3 else "vector"
        found.append(Plane(spec.name, len(found), kind, shapes[spec.name], spec.name, spec.name,
                           (spec.name,)))
    found[-1] = replace(found[-1], kind="output")
    return found


def plane_named(arch: Architecture, name: str) -> Plane:
    for plane in planes(arch):
        if plane.name == name:
            return plane
    names = ", ".join(p.name for p in planes(arch))
    raise LabError(f"{arch.name} has no plane {name!r}: choose one of {names}")


# ---- positions ----------------------------------------------------------------------------------

def map_origin(c: int, h: int, w: int) -> tuple[float, float]:
    """The top-left corner (x, y) of the first of ``c`` maps side by side in one row, the row
    centred on x = 0 and y = 0; map k starts ``k · (w + MAP_GAP)`` further right."""
    return -(c * w + (c - 1) * MAP_GAP) / 2, h / 2


def vector_origin(n: int, step: float) -> float:
    """The x of unit 0 of a row of ``n`` units ``step`` apart, centred on x = 0."""
    return -(n - 1) / 2 * step


def vector_step(plane: Plane) -> float:
    return OUTPUT_STEP if plane.kind == "output" else DENSE_STEP


def plane_positions(plane: Plane) -> np.ndarray:
    """N×3 float32 positions of the plane's units, in the order of its flattened output."""
    z = -plane.index * DEPTH
    if len(plane.shape) == 3:
        c, h, w = plane.shape
        x0, y0 = map_origin(c, h, w)
        cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
        x = x0 + cc * (w + MAP_GAP) + xx + 0.5
        y = y0 - yy - 0.5
    else:
        (n,) = plane.shape
        x = vector_origin(n, vector_step(plane)) + np.arange(n) * vector_step(plane)
        y = np.zeros(n)
    return np.stack([x.ravel(), y.ravel(), np.full(x.size, z)], axis=1).astype(np.float32)


def plane_box(plane: Plane) -> tuple[float, float, float, float, float]:
    """``(left, right, bottom, top, z)``: the rectangle that the plane's unit positions span."""
    positions = plane_positions(plane)
    (left, bottom, z), (right, top, _) = positions.min(axis=0), positions.max(axis=0)
    return float(left), float(right), float(bottom), float(top), float(z)


def unit_index(plane: Plane) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(map, row, column) of each unit in flattened order; a vector plane's units are map 0,
    row 0, column = the unit's index."""
    if len(plane.shape) == 3:
        c, h, w = plane.shape
        cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
        return cc.ravel(), yy.ravel(), xx.ravel()
    (n,) = plane.shape
    return np.zeros(n, int), np.zeros(n, int), np.arange(n)


# ---- the scene ----------------------------------------------------------------------------------

@dataclass
class Scene:
    """Every unit of every plane: parallel arrays, one entry a unit, in plane order."""

    arch: str
    planes: list[Plane]
    plane: np.ndarray  # plane index of each unit
    map: np.ndarray
    row: np.ndarray
    col: np.ndarray
    position: np.ndarray  # N×3 float32
    value: np.ndarray  # N float32: the plane's output (the output plane: probabilities)
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.value)

    def counts(self) -> dict[str, int]:
        return {p.name: int((self.plane == p.index).sum()) for p in self.planes}

    def values_of(self, plane: Plane) -> np.ndarray:
        return self.value[self.plane == plane.index]

    def find(self, plane: str, unit: tuple[int, ...]) -> int:
        """The scene index of ``unit`` ((map, row, col) or (index,)) of ``plane``."""
        p = next(q for q in self.planes if q.name == plane)
        start = int(np.searchsorted(self.plane, p.index))
        offset = int(np.ravel_multi_index(tuple(unit), p.shape))
        return start + offset


def plane_values(plane: Plane, x: torch.Tensor, outputs: dict[str, torch.Tensor],
                 probabilities: torch.Tensor, arch: Architecture) -> np.ndarray:
    """The values the plane shows, flattened: the input as the first layer takes it, a module's
    output, or the class probabilities for the output plane."""
    if plane.kind == "input":
        values = first_layer_input(arch, x)[0]
    elif plane.kind == "output":
        values = probabilities
    else:
        values = outputs[plane.shows]
    return values.detach().to("cpu", torch.float32).numpy().ravel()


def build_scene(arch: Architecture, x: torch.Tensor, outputs: dict[str, torch.Tensor],
                probabilities: torch.Tensor, classes) -> Scene:
    """The scene of one input: ``outputs``/``probabilities`` from :func:`forward_all`."""
    found = planes(arch)
    parts = {"plane": [], "map": [], "row": [], "col": [], "position": [], "value": []}
    for plane in found:
        c, r, k = unit_index(plane)
        parts["plane"].append(np.full(plane.size, plane.index, np.int16))
        parts["map"].append(c.astype(np.int16))
        parts["row"].append(r.astype(np.int16))
        parts["col"].append(k.astype(np.int16))
        parts["position"].append(plane_positions(plane))
        values = plane_values(plane, x, outputs, probabilities, arch)
        if values.size != plane.size:
            raise LabError(f"{plane.name} gave {values.size} values for {plane.size} units: "
                           f"is the model a {arch.name}?")
        parts["value"].append(values)
    joined = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    return Scene(arch.name, found, classes=tuple(str(c) for c in classes), **joined)


def difference(scene: Scene, reference: Scene) -> Scene:
    """``scene`` with each value minus ``reference``'s: what changed between two samples or two
    checkpoints of the same architecture."""
    if scene.arch != reference.arch:
        raise LabError(f"cannot compare a {scene.arch} with a {reference.arch}: "
                       "choose two inputs or checkpoints of one architecture")
    return replace(scene, value=scene.value - reference.value)


# ---- the lines of one unit ----------------------------------------------------------------------

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


def _report(model: nn.Sequential, arch: Architecture, x, outputs, plane: Plane,
            unit: tuple[int, ...]) -> UnitReport:
    return inspect_unit(model, arch, x, outputs, plane.weighted, unit)


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
    report = _report(model, arch, x, outputs, plane, unit)
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
    after it in the plane (batch norm, activation), ending at the value the plane shows."""
    if plane.kind == "input":
        return []
    chain = []
    for name in plane.modules:
        if name == "flatten":
            continue
        chain.append(inspect_unit(model, arch, x, outputs, name, unit))
    return chain
