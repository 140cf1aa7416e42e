"""The network in 3D, as plain data: every unit of every layer with a place in space and a value.

A *plane* is what the 3D view draws as one layer: the input, each convolution or pooling layer
(feature maps side by side), each dense layer (a row) and the output (the ten classes). Layers
that act on one value at a time (activations, batch norm) and flatten belong to the plane before
them, so a convolution plane shows the maps after their activation, as Adam Harley's view does.
Each plane says which module does its arithmetic (``weighted``: the convolution, pooling or dense
layer) and whose output it shows (``shows``).

Where a plane's units are drawn is one :class:`PlaneLayout`: plain numbers (a grid, its origin,
its steps, the tile's side) and one formula, :func:`unit_centre`. NumPy reads them here (the
positions that lines and the camera use) and :mod:`lenet_core.present.view_spec` writes the same
formula out as JavaScript for the browser's element: the layout is declared once. Positions are in
scene units: one unit apart within a map, :data:`DEPTH` apart between planes; x runs right, y up,
z towards the viewer.

Colours are not here: a scene holds values, and the browser's element colours them. The
lines of a selected unit join this scene to the unit inspector's report: :mod:`.selection`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import torch

from lenet_core.errors import LabError
from lenet_core.model.architectures import Architecture
from lenet_core.model.shapes import shape_table

INPUT = "input"  # the input plane's name
DEPTH = 36.0  # between two planes
TILE = 0.8  # the side of a unit's tile: 0.2 of a gap between neighbours
MAP_GAP = 4.0  # between two maps of one plane
DENSE_STEP = 1.5  # between two units of a dense plane
OUTPUT_STEP = 10.0  # between two output classes: room for their names under the tiles
PER_VALUE = ("activation", "norm", "flatten", "dropout")  # kinds that join the plane before them


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
        after = [m for m in self.modules if m not in (self.weighted, "flatten")]
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
    shapes = {row.name: tuple(row.output_shape[1:]) for row in shape_table(arch).rows}
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


# ---- the layout: where every unit is drawn, declared once as data ------------------------------

@dataclass(frozen=True)
class PlaneLayout:
    """Where one plane's units are drawn, as plain numbers (``dataclasses.asdict`` gives JSON).

    The plane is ``maps`` grids of ``rows`` × ``cols`` units, ``map_cols`` grids to a band of maps
    (all of them in one band, side by side, unless that is wider than :data:`ROW_LIMIT`); unit
    ``i`` (the plane's output flattened, as PyTorch orders it) is in map ``m = i // (rows·cols)``,
    row ``i // cols % rows`` and column ``i % cols``, and its tile, a square of side ``tile``, is
    centred on ``(x0 + (m % map_cols)·map_step + column·col_step, y0 − (m // map_cols)·band_step
    − row·row_step, z)``: :func:`unit_centre`. A dense plane, and the output, is one map whose
    units fill rows of ``cols`` (one row, unless wider than ROW_LIMIT), the last row maybe short."""

    maps: int
    rows: int
    cols: int
    x0: float  # the centre of unit 0: map 0, row 0, column 0
    y0: float
    z: float
    col_step: float  # from a unit to its right-hand neighbour
    row_step: float  # from a row down to the next
    map_step: float  # from a map's column 0 to the next map's in its band
    tile: float
    map_cols: int  # maps in a band, side by side
    band_step: float  # from a band of maps down to the next


# The widest a row of maps (or of dense units) is drawn, in scene units: LeNet's own planes are
# one row each (lenet-wide's conv1, 16 maps of 28, is the widest: 508); a wider plane folds into
# bands of rows, so that 64 maps or 1,024 units stay a block the camera can frame at a size
# where a tile is still seen, instead of a line thousands of units long.
ROW_LIMIT = 520.0


@functools.cache
def plane_layout(plane: Plane) -> PlaneLayout:
    """The plane's layout: maps side by side in bands at most ROW_LIMIT wide, dense units in
    rows as wide, each plane centred on x = 0 and y = 0 and :data:`DEPTH` behind the one before."""
    z = -plane.index * DEPTH
    if len(plane.shape) == 3:
        c, h, w = plane.shape
        per_band = max(1, min(c, int((ROW_LIMIT + MAP_GAP) // (w + MAP_GAP))))
        bands = -(-c // per_band)
        width = per_band * w + (per_band - 1) * MAP_GAP
        height = bands * h + (bands - 1) * MAP_GAP
        return PlaneLayout(c, h, w, x0=-width / 2 + 0.5, y0=height / 2 - 0.5, z=z, col_step=1.0,
                           row_step=1.0, map_step=w + MAP_GAP, tile=TILE, map_cols=per_band,
                           band_step=h + MAP_GAP)
    (n,) = plane.shape
    step = OUTPUT_STEP if plane.kind == "output" else DENSE_STEP
    cols = max(1, min(n, int(ROW_LIMIT // step) + 1))
    rows = -(-n // cols)
    return PlaneLayout(1, rows, cols, x0=-(cols - 1) / 2 * step, y0=(rows - 1) / 2 * step, z=z,
                       col_step=step, row_step=step, map_step=cols * step, tile=TILE, map_cols=1,
                       band_step=rows * step)


def grid_cell(i, layout: PlaneLayout):
    """(map, row, column) of unit ``i`` in the layout's grid."""
    return i // (layout.rows * layout.cols), i // layout.cols % layout.rows, i % layout.cols


def unit_centre(i, layout: PlaneLayout):
    """``(x, y, z)``, the centre of unit ``i``'s tile: the layout's one formula.

    ``i`` is anything with ``+ − · // %`` on whole numbers: a NumPy array of unit indices here
    (:func:`plane_positions`), and in :mod:`lenet_core.present.view_spec` a JavaScript
    expression (:class:`lenet_core.present.scene.Js`), which this same function writes out for the
    browser. Keep it to those operators and ``i ≥ 0``."""
    m, row, col = grid_cell(i, layout)
    if layout.map_cols >= layout.maps:  # one band: the map's place is its number
        band, place = 0, m
    else:
        band, place = m // layout.map_cols, m % layout.map_cols
    return (layout.x0 + place * layout.map_step + col * layout.col_step,
            layout.y0 - band * layout.band_step - row * layout.row_step, layout.z)


def plane_positions(plane: Plane) -> np.ndarray:
    """N×3 float32 positions of the plane's units, in the order of its flattened output."""
    x, y, z = unit_centre(np.arange(plane.size), plane_layout(plane))
    return np.stack([x, y, np.full(plane.size, z)], axis=1).astype(np.float32)


@functools.cache
def plane_box(plane: Plane) -> tuple[float, float, float, float, float]:
    """``(left, right, bottom, top, z)``: the rectangle that the plane's unit positions span."""
    positions = plane_positions(plane)
    (left, bottom, z), (right, top, _) = positions.min(axis=0), positions.max(axis=0)
    return float(left), float(right), float(bottom), float(top), float(z)


def unit_index(plane: Plane) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(map, row, column) of each unit in flattened order, in the layout's grid (a vector plane's
    units are all map 0, in rows of the layout's ``cols``)."""
    return grid_cell(np.arange(plane.size), plane_layout(plane))


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
                 probabilities: torch.Tensor) -> np.ndarray:
    """The values the plane shows, flattened: the model's input (what ``outputs`` were computed
    from; or what the per-value modules before the first weighted layer made of it), a module's
    output, or the class probabilities for the output plane."""
    if plane.kind == "input" and plane.shows == INPUT:
        values = x
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
        values = plane_values(plane, x, outputs, probabilities)
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
