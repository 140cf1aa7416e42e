"""The 3D view as a pydeck ``Deck``: every unit a small tile coloured by its value, the lines of a
selected unit, plane titles and class names — built from a :class:`~lenet_core.inspect.geometry.Scene`.

deck.gl's ``OrbitView`` draws it without a map (``map_provider=None``); the camera turns, zooms
and pans in the browser, so a camera move costs no Python. Units are flat square tiles in their
plane, one ``SolidPolygonLayer`` a plane (its id is the plane's name, so a pick says which plane
and which unit). Each update sends every visible unit's index, colour and tooltip:
:func:`payload_bytes` measures it, and the compact record (one packed number and the tooltip)
keeps a whole LeNet-5 under 500 KB.

Why tiles and not cubes: deck.gl's cube layers (``GridCellLayer``, ``ColumnLayer``) draw one
*instance* per unit, and Chromium's software WebGL (SwiftShader, what a machine without a GPU
uses) pays ~25 µs per instance. A click makes deck.gl pick synchronously on the press; with 9,134
cubes that pick took 200–500 ms, longer than the 250 ms deck.gl's click gesture allows, so the
click was dropped and nothing was selected. Flat polygons are one draw of plain triangles: the
same pick takes ~40 ms. Extruded polygons would not help: their walls are instanced too.
"""

from __future__ import annotations

import json
import math
import zlib

import numpy as np
import pydeck as pdk
import torch
from pydeck.bindings.json_tools import default_serialize
from torch import nn

from lenet_core.inspect import geometry
from lenet_core.inspect.geometry import Edges, Plane, Scene
from lenet_core.present import colours
from lenet_core.present.colours import ColourScale

TILE = 0.8  # a unit's side: 0.2 of a gap between neighbours
BACKGROUND = [250, 250, 250]
SELECTED = [255, 140, 0]  # the selected unit's frame: orange, in no colour scale
FRAME, FRAME_DEPTH = 1.3, 0.4  # its side and thickness
LINE_WIDTH = 1.5  # pixels; the strongest lines get three times that
HEIGHT = 560  # pixels

# Camera presets: deck.gl's OrbitView with y up (orbitAxis "Y"). ``rotationOrbit`` turns about
# the vertical axis, ``rotationX`` tilts towards a view from above.
VIEWS = {
    "3/4": {"rotationOrbit": -42, "rotationX": 20, "zoom": 1.25},
    "front": {"rotationOrbit": 0, "rotationX": 0, "zoom": 1.5},
    "side": {"rotationOrbit": -90, "rotationX": 0, "zoom": 1.3},
    "top": {"rotationOrbit": 0, "rotationX": 89, "zoom": 1.3},
}
DEFAULT_VIEW = "3/4"


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by two spaces, which more than
    doubled the bytes of every update of a scene of 9,000 tiles."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"),
                          ensure_ascii=False)


def plane_scales(scene: Scene, model: nn.Sequential, outputs: dict[str, torch.Tensor],
                 difference: bool = False) -> dict[str, ColourScale]:
    """One rule per plane: the layer views' rule for the module the plane shows (a sigmoid's
    fixed 0…1, a ReLU's 0…max, a signed layer's ±max), grey for the input, 0…1 for the output's
    probabilities. A difference scene is signed everywhere: blue fell, red rose."""
    if difference:
        return {p.name: colours.signed_scale(scene.values_of(p), "change") for p in scene.planes}
    layer = colours.layer_scales(model, outputs)
    scales = {}
    for plane in scene.planes:
        values = scene.values_of(plane)
        if plane.kind == "input":
            low, high = float(values.min()), float(values.max())
            scales[plane.name] = ColourScale(low, high if high > low else low + 1, "grey",
                                             "the input the network sees: dark background, light ink")
        elif plane.kind == "output":
            scales[plane.name] = colours.fixed_scale(0.0, 1.0, "probability")
        else:
            scales[plane.name] = layer[plane.shows]
    return scales


# ---- the records the browser gets ---------------------------------------------------------------
#
# One SolidPolygonLayer a plane. A unit's record is a pair ``[u, tooltip]``: ``u`` packs the unit's
# index in its plane and its colour (index · 2^24 + RGB); deck.gl expressions unpack both in the
# browser (``this`` is the record), and the position is geometry's layout of the index with the
# plane's constants. A pair, not an object: keys would add 10 bytes to each of 9,000 records. Few
# layers matter too: with a layer per colour step (~140), a click in Chromium's software WebGL
# was too slow to count as a click and selected nothing.

PACK = 1 << 24  # one unit index step in ``u``


def pack(index: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, np.int64)
    return np.asarray(index, np.int64) * PACK + (rgb[:, 0] << 16) + (rgb[:, 1] << 8) + rgb[:, 2]


def unpack(u: int) -> tuple[int, list[int]]:
    """``(index, [r, g, b])`` of a packed record, as the browser's expressions read it."""
    u = int(u)
    c = u % PACK
    return u // PACK, [c >> 16, (c >> 8) & 255, c & 255]


def _floor(expression: str) -> str:
    """Integer part of a non-negative expression, as deck.gl expressions write it (pydeck adds
    the ``@@=`` that marks a string as an expression)."""
    return f"(({expression}) | 0)"


U = "this[0]"  # a record's packed number, in an expression
INDEX = _floor(f"{U} / {PACK}")  # the unit's index in its plane
COLOUR = f"[{_floor(f'{U} % {PACK} / 65536')}, {_floor(f'{U} % 65536 / 256')}, {U} % 256]"
# Ambient light only: every face of a cube shows its colour exactly as the legend draws it.
FLAT = {"ambient": 1.0, "diffuse": 0.0, "shininess": 1, "specularColor": [0, 0, 0]}


def corner_expressions(plane: Plane, i: str = INDEX) -> tuple[str, str, str]:
    """x, y and z of the lower-left corner of unit ``i``'s tile: geometry's layout
    (:func:`plane_positions`) as deck.gl expressions, the tile centred on the unit's position."""
    z = f"{-plane.index * geometry.DEPTH:g}"
    inset = (1 - TILE) / 2  # from a cell's corner to its tile's
    if len(plane.shape) == 3:
        c, h, w = plane.shape
        x0, y0 = geometry.map_origin(c, h, w)
        x = f"{x0 + inset:g} + {_floor(f'{i} / {h * w}')} * {w + geometry.MAP_GAP:g} + {i} % {w}"
        y = f"{y0 - 1 + inset:g} - {_floor(f'({i} % {h * w}) / {w}')}"
        return x, y, z
    (n,) = plane.shape
    step = geometry.vector_step(plane)
    x0 = geometry.vector_origin(n, step) - TILE / 2
    return f"{x0:g} + {i} * {step:g}", f"{-TILE / 2:g}", z


def tile_expression(plane: Plane, i: str = INDEX) -> str:
    """Unit ``i``'s tile as a deck.gl polygon expression: four corners, counter-clockwise."""
    x, y, z = corner_expressions(plane, i)
    x1, y1 = f"{x} + {TILE:g}", f"{y} + {TILE:g}"
    return f"[[{x}, {y}, {z}], [{x1}, {y}, {z}], [{x1}, {y1}, {z}], [{x}, {y1}, {z}]]"


def unit_where(plane: Plane, unit: int, classes) -> str:
    """Where unit number ``unit`` (flat) of ``plane`` is: ``map 4 (12, 7)``, ``unit 17``, ``class 7``."""
    if len(plane.shape) == 3:
        m, r, c = np.unravel_index(unit, plane.shape)
        return f"map {m + 1} ({r}, {c})" if plane.kind != "input" else f"({r}, {c})"
    if plane.kind == "output" and unit < len(classes):
        return f"class {classes[unit]}"
    return f"unit {unit}"


def _value_text(plane: Plane, value: float, difference: bool) -> str:
    if difference:
        return f"{value:+.3f}"
    return f"p = {value:.3f}" if plane.kind == "output" else f"{value:.3f}"


def plane_layer(scene: Scene, plane: Plane, scale: ColourScale, difference: bool = False) -> pdk.Layer:
    """The plane's tiles: one pickable layer, its id the plane's name."""
    values = scene.values_of(plane)
    packed = pack(np.arange(plane.size), scale.colour(values))
    records = [[int(u), f"{plane.name} {unit_where(plane, i, scene.classes)}: "
                        f"{_value_text(plane, float(values[i]), difference)}"]
               for i, u in enumerate(packed)]
    polygon = tile_expression(plane)
    return pdk.Layer(
        "SolidPolygonLayer", data=records, id=plane.name, get_polygon=polygon,
        get_fill_color=COLOUR, extruded=False, pickable=True,
        data_comparator=SAME_DATA, update_triggers=update_triggers(polygon, packed))


# deck.gl rebuilds every attribute of a layer whose ``data`` is a new array, and after each
# stroke every layer's is (the JSON is parsed anew). A plane's tiles never move, so its data
# counts as unchanged (``dataComparator``) and the triggers say what did: the tiles are rebuilt
# only when their polygon expression changes (another network), the colours only when the
# values do. Rebuilding the tiles of 9,000 units took ~60 ms of the browser's time per stroke.
SAME_DATA = "true"  # a deck.gl expression: the comparator's "no change"


def digest(value) -> int:
    """A short fingerprint of a string or an array, for an update trigger."""
    data = value.encode() if isinstance(value, str) else np.ascontiguousarray(value).tobytes()
    return zlib.crc32(data)


def update_triggers(polygon: str, packed: np.ndarray) -> dict[str, int]:
    """What makes deck.gl recompute a plane layer's attributes: its tiles' expression, and
    its units' packed colours."""
    return {"getPolygon": digest(polygon), "getFillColor": digest(packed)}


ID_SEP = "~"  # a layer id's plane name ends here, if anything follows it


def line_colours(products: np.ndarray) -> np.ndarray:
    """N×4 uint8: input × weight on a signed scale (blue lowers the sum, red raises it), never
    paler than half-strength so that a weak line still shows."""
    scale = colours.signed_scale(products, "input × weight")
    rgb = scale.colour(products).astype(float)
    strength = np.abs(products) / colours.largest(products)
    rgb = rgb * (0.5 + 0.5 * strength[:, None]) if len(products) else rgb
    alpha = np.full((len(products), 1), 255.0)
    return np.concatenate([rgb, alpha], axis=1).round().astype(np.uint8)


def edge_records(scene: Scene, edges: Edges, visible: set[str]) -> list[dict]:
    """One dict per line whose source plane is visible: ``s`` source, ``e`` end, ``c`` colour,
    ``w`` width in pixels (the strongest lines wider)."""
    rgba = line_colours(edges.product)
    end = [round(float(v), 2) for v in scene.position[edges.target]]
    records = []
    for k, i in enumerate(edges.source):
        if scene.planes[scene.plane[i]].name not in visible:
            continue
        records.append({"s": [round(float(v), 2) for v in scene.position[i]], "e": end,
                        "c": rgba[k].tolist(), "w": LINE_WIDTH * (3 if edges.strongest[k] else 1)})
    return records


# ---- the deck -----------------------------------------------------------------------------------

def scene_span(scene: Scene) -> float:
    """How many times LeNet's layout the network is, across (its widest plane) or deep (its
    planes), whichever is more: 1 for LeNet's own architectures."""
    width, depth = np.ptp(scene.position[:, 0]), np.ptp(scene.position[:, 2])
    return float(max(width / LENET_WIDTH, depth / LENET_DEPTH))


LENET_WIDTH, LENET_DEPTH = 219.0, 252.0  # LeNet's layout (6 maps of 28 a row, 8 planes): VIEWS' zooms
# Zoom steps out for each doubling of the span. A full step (the whole network as large as LeNet
# is drawn) left lenet-wide small in the 3/4 view, its near maps seen larger (perspective); 0.75
# filled the view at 1280 and 1440 px wide with every plane inside it (screenshots looked at).
ZOOM_OUT = 0.75


def view_state(scene: Scene, view: str) -> pdk.ViewState:
    """The camera of a preset, aimed at the middle of the network, zoomed out as far as a network
    wider or deeper than LeNet needs to fit the same view (deck.gl's zoom is a power of two)."""
    depth = float(scene.position[:, 2].min())
    preset = dict(VIEWS[view])
    preset["zoom"] = round(preset["zoom"] - ZOOM_OUT * max(0.0, math.log2(scene_span(scene))), 3)
    return pdk.ViewState(target=[0, 0, round(depth / 2, 2)], min_zoom=-2, max_zoom=6, **preset)


LABEL_BACKGROUND = [255, 255, 255, 225]


def plane_label(plane: Plane) -> str:
    """A plane's name and shape in ASCII (deck.gl's text atlas has no "×"): ``conv1 6@28x28``."""
    shape = plane.shape
    return f"{plane.name} {shape[0]}@{shape[1]}x{shape[2]}" if len(shape) == 3 else f"{plane.name} {shape[0]}"


def plane_labels(scene: Scene, visible: set[str]) -> list[dict]:
    """A name over each visible plane's top-left corner, each output class's name under its tile."""
    labels = []
    for plane in scene.planes:
        if plane.name not in visible:
            continue
        where = scene.plane == plane.index
        left = float(scene.position[where, 0].min()) - 0.5
        top = float(scene.position[where, 1].max()) + 1.5
        z = float(scene.position[where, 2][0])
        labels.append({"p": [left, top, z], "t": plane_label(plane), "s": 12, "a": "start"})
        if plane.kind == "output":
            for i in np.flatnonzero(where):
                x, y, _ = scene.position[i]
                name = scene.classes[scene.col[i]].encode("ascii", "replace").decode()
                labels.append({"p": [float(x), float(y) - 2, z], "t": name, "s": 12, "a": "middle"})
    return labels


def build_deck(scene: Scene, scales: dict[str, ColourScale], visible: set[str],
               view: str = DEFAULT_VIEW, edges: Edges | None = None, difference: bool = False
               ) -> CompactDeck:
    """The whole view: the tiles of every visible plane, the selected unit's frame and lines,
    and the labels."""
    layers = []
    for plane in scene.planes:
        if plane.name in visible:
            layers.append(plane_layer(scene, plane, scales[plane.name], difference))
    if edges is not None:
        # an orange block just behind the selected tile: a frame from the front, a block from
        # any other side
        half, back = FRAME / 2, FRAME_DEPTH + 0.02
        corner = scene.position[edges.target] - np.array([half, half, back], np.float32)
        layers.append(pdk.Layer(
            "GridCellLayer", data=[{"p": [round(float(v), 2) for v in corner]}], id="selected",
            get_position="p", get_fill_color=SELECTED, cell_size=FRAME, get_elevation=FRAME_DEPTH,
            elevation_scale=1, extruded=True, pickable=False, material=FLAT))
        layers.append(pdk.Layer(
            "LineLayer", data=edge_records(scene, edges, visible), id="lines",
            get_source_position="s", get_target_position="e", get_color="c", get_width="w",
            width_units="pixels", pickable=False))
    layers.append(pdk.Layer(
        "TextLayer", data=plane_labels(scene, visible), id="labels", get_position="p",
        get_text="t", get_size="s", get_color=[40, 40, 40], billboard=True, pickable=False,
        get_text_anchor="a", get_alignment_baseline='"bottom"',
        # A pale box behind each name: at 3/4 a label falls over the tiles of the plane behind.
        background=True, get_background_color=LABEL_BACKGROUND, background_padding=[3, 1]))
    return CompactDeck(
        layers=layers, views=[pdk.View(type="OrbitView", controller=True, orbitAxis="Y", orthographic=True)],
        initial_view_state=view_state(scene, view), map_provider=None,
        parameters={"clearColor": [c / 255 for c in BACKGROUND] + [1]},
        tooltip={"html": "{1}", "style": {"fontSize": "13px", "padding": "4px 8px"}})


def payload_bytes(deck: pdk.Deck) -> int:
    """The size of what one update sends the browser: the deck's JSON, as Streamlit sends it."""
    return len(deck.to_json().encode())


PAYLOAD_GOAL = 500_000  # bytes an update may send for LeNet's own sizes (up to GOAL_UNITS units)
GOAL_UNITS = 10_000  # lenet-classic, lenet5, lenet-modern; lenet-wide draws 20,570


def payload_goal(planes: list[Plane]) -> float:
    """The most bytes one update of a scene of ``planes`` should send: PAYLOAD_GOAL, and as much
    more per unit for a network that draws more units than LeNet's own."""
    units = sum(plane.size for plane in planes)
    return PAYLOAD_GOAL * max(1.0, units / GOAL_UNITS)


def picked_unit(planes: list[Plane], selection: dict | None) -> tuple[str, tuple[int, ...]] | None:
    """The plane and unit a pydeck selection picked (``{"objects": {"conv1": [[u, tooltip]]}}``),
    or None: the layer id names the plane, the record's packed ``u`` the unit."""
    objects = (selection or {}).get("objects") or {}
    for layer_id, picked in objects.items():
        name = layer_id.split(ID_SEP)[0]
        plane = next((p for p in planes if p.name == name), None)
        if plane is not None and picked and isinstance(picked[0], list) and picked[0]:
            index, _ = unpack(picked[0][0])
            return name, tuple(int(v) for v in np.unravel_index(index, plane.shape))
    return None


def legend_text(edges: Edges | None) -> str:
    """What the colours and lines mean, in two sentences for under the view."""
    text = ("Each tile is one unit; its colour is its value on its plane's own rule (the legends "
            "beside the view). Turn: drag · zoom: scroll · pan: shift-drag or right-drag.")
    if edges is not None:
        text += (" Lines run from the selected unit (orange) to every unit it reads: red lines "
                 "push its sum up, blue ones pull it down, the five strongest drawn thick. "
                 + edges.note[0].upper() + edges.note[1:] + ".")
    return text


